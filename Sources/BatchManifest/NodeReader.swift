import Yams

/// Reads Yams nodes into located Swift values and collects a diagnostic for every problem instead
/// of stopping at the first. A problem with a value (its type, its range) is located at the value.
/// A problem with a block as a whole (a required key missing, keys that exclude each other, an
/// empty block, a step the provider cannot run) is located at the key that opens the block
/// (`budget:`), never at the mapping node itself: Yams marks a block mapping at its first entry,
/// which may be lines below the key and is not what the message is about.
struct NodeReader {
    let file: String
    let environment: [String: String]
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func location(of node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(.error, at: location, message))
    }

    mutating func warning(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(.warning, at: location, message))
    }

    mutating func error(_ message: String, at node: Node) { error(message, at: location(of: node)) }

    // MARK: Mappings

    /// A mapping's entries by key, after checking the keys against a schema: unknown keys (with a
    /// "did you mean" hint) and missing required keys are reported here.
    struct Fields {
        let node: Node
        /// Where the block opens: its key (`budget:`) when it has one, else the mapping itself (a
        /// list item, the file).
        let location: SourceLocation
        private(set) var entries: [String: (key: Node, value: Node)] = [:]
        /// Keys in the order written.
        private(set) var order: [String] = []

        init(node: Node, location: SourceLocation) {
            self.node = node
            self.location = location
        }

        mutating func add(_ name: String, key: Node, value: Node) {
            entries[name] = (key, value)
            order.append(name)
        }

        subscript(_ name: String) -> Node? { entries[name]?.value }
        func keyNode(_ name: String) -> Node? { entries[name]?.key }
        func has(_ name: String) -> Bool { entries[name] != nil }
    }

    /// Where the entry `name` of `fields` opens: its key.
    func opening(_ name: String, in fields: Fields) -> SourceLocation? {
        fields.keyNode(name).map(location(of:))
    }

    /// Reads the mapping written under the key `name` of `parent`, if present; problems with the
    /// block as a whole are located at that key. `context` defaults to `name`.
    mutating func block(
        _ name: String, in parent: Fields, _ context: String? = nil, allowed: [String], required: [String] = []
    ) -> Fields? {
        guard let node = parent[name] else { return nil }
        return fields(node, context ?? name, openedAt: opening(name, in: parent), allowed: allowed, required: required)
    }

    /// Reads a mapping with the given keys. `context` names the mapping in messages ("song", "the
    /// manifest"); `openedAt` is the key the mapping is written under, if any.
    mutating func fields(
        _ node: Node, _ context: String, openedAt opening: SourceLocation? = nil, allowed: [String], required: [String] = []
    ) -> Fields? {
        guard case .mapping(let mapping) = node else {
            error("\(context) must be a mapping, found \(describe(node))", at: node)
            return nil
        }
        var fields = Fields(node: node, location: opening ?? location(of: node))
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error("keys of \(context) must be plain names, found \(describe(keyNode))", at: keyNode)
                continue
            }
            let name = scalar.string
            guard allowed.contains(name) else {
                error("unknown key '\(name)' in \(context)\(Suggestion.hint(for: name, in: allowed))", at: keyNode)
                continue
            }
            fields.add(name, key: keyNode, value: valueNode)
        }
        for name in required where !fields.has(name) {
            error("\(context) is missing the required key '\(name)'", at: fields.location)
        }
        return fields
    }

    // MARK: Scalars

    /// A string value with `${VAR}` substituted. Any scalar but null reads as its text, so
    /// `model: 3.5` is the string "3.5". With `template`, braces in substituted values are
    /// escaped so the result can be parsed as a ``Template``.
    mutating func string(_ node: Node, _ context: String, template: Bool = false) -> Located<String>? {
        guard case .scalar(let scalar) = node, !isNull(node) else {
            error("\(context) must be a string, found \(describe(node))", at: node)
            return nil
        }
        let at = location(of: node)
        switch EnvironmentInterpolation.expand(scalar.string, environment: environment, escapingBraces: template) {
        case .success(let value): return Located(value, at: at)
        case .failure(let failure):
            error("\(context): \(failure)", at: at)
            return nil
        }
    }

    /// A string that must not be blank.
    mutating func nonEmptyString(_ node: Node, _ context: String, template: Bool = false) -> Located<String>? {
        guard let value = string(node, context, template: template) else { return nil }
        guard !value.value.trimmingWhitespace.isEmpty else {
            error("\(context) must not be empty", at: value.location)
            return nil
        }
        return value
    }

    mutating func int(_ node: Node, _ context: String, in range: ClosedRange<Int>? = nil) -> Located<Int>? {
        guard case .scalar = node, tagName(node) == Tag.Name.int.rawValue, let value = node.int else {
            error("\(context) must be a whole number, found \(describe(node))", at: node)
            return nil
        }
        if let range, !range.contains(value) {
            error("\(context) must be between \(range.lowerBound) and \(range.upperBound), found \(value)", at: node)
            return nil
        }
        return Located(value, at: location(of: node))
    }

    mutating func number(_ node: Node, _ context: String, minimum: Double = 0) -> Located<Double>? {
        let tag = tagName(node)
        guard case .scalar = node, tag == Tag.Name.int.rawValue || tag == Tag.Name.float.rawValue,
              let value = node.float, value.isFinite
        else {
            error("\(context) must be a number, found \(describe(node))", at: node)
            return nil
        }
        guard value >= minimum else {
            error("\(context) must be at least \(minimum.plainText), found \(value.plainText)", at: node)
            return nil
        }
        return Located(value, at: location(of: node))
    }

    mutating func bool(_ node: Node, _ context: String) -> Located<Bool>? {
        guard case .scalar = node, tagName(node) == Tag.Name.bool.rawValue, let value = node.bool else {
            error("\(context) must be true or false, found \(describe(node))", at: node)
            return nil
        }
        return Located(value, at: location(of: node))
    }

    mutating func sequence(_ node: Node, _ context: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error("\(context) must be a list, found \(describe(node))", at: node)
            return nil
        }
        return Array(sequence)
    }

    // MARK: Describing nodes

    func tagName(_ node: Node) -> String { node.tag.description }

    func isNull(_ node: Node) -> Bool { tagName(node) == Tag.Name.null.rawValue }

    /// "a mapping", "a list", "the string 'abc'", "the number 3", "nothing (null)".
    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch tagName(node) {
            case Tag.Name.null.rawValue: return "nothing (null)"
            case Tag.Name.bool.rawValue: return "the boolean \(scalar.string)"
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue: return "the number \(scalar.string)"
            default:
                let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "…" : scalar.string
                return "the string '\(text)'"
            }
        }
    }
}

extension Double {
    /// `30` rather than `30.0`; other values as Swift prints them (credits, limits).
    public var plainText: String {
        if self == rounded(), abs(self) < 1e15 { return String(Int64(self)) }
        return String(self)
    }
}
