import Foundation

/// Text with `{field}` placeholders, filled per matrix combination (prompts, lyrics, URLs) or per
/// task (`output.path`). `{{` and `}}` stand for literal braces.
public struct Template: Sendable, Hashable {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case field(String)
    }

    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case unclosedBrace
        case unmatchedClosingBrace
        case emptyField
        case invalidFieldName(String)

        public var description: String {
            switch self {
            case .unclosedBrace: "'{' opens a placeholder that is never closed; write '{{' for a literal brace"
            case .unmatchedClosingBrace: "'}' closes no placeholder; write '}}' for a literal brace"
            case .emptyField: "'{}' names no placeholder"
            case .invalidFieldName(let name):
                "'{\(name)}' is not a placeholder name (letters, digits, '_' and '-', starting with a letter or '_')"
            }
        }
    }

    public let segments: [Segment]

    public init(segments: [Segment]) { self.segments = segments }

    /// A template that is plain text (braces are taken literally).
    public init(literal text: String) { segments = text.isEmpty ? [] : [.literal(text)] }

    public init(parsing text: String) throws(ParseError) {
        var segments: [Segment] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{" {
                if next < text.endIndex, text[next] == "{" {
                    literal.append("{")
                    index = text.index(after: next)
                    continue
                }
                guard let close = text[next...].firstIndex(of: "}") else { throw .unclosedBrace }
                let name = String(text[next..<close])
                if name.isEmpty { throw .emptyField }
                guard Template.isFieldName(name) else { throw .invalidFieldName(name) }
                if !literal.isEmpty { segments.append(.literal(literal)); literal = "" }
                segments.append(.field(name))
                index = text.index(after: close)
            } else if character == "}" {
                guard next < text.endIndex, text[next] == "}" else { throw .unmatchedClosingBrace }
                literal.append("}")
                index = text.index(after: next)
            } else {
                literal.append(character)
                index = next
            }
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }

    /// Field names in order of first use.
    public var fields: [String] {
        var seen = Set<String>()
        return segments.compactMap { segment in
            if case .field(let name) = segment, seen.insert(name).inserted { return name }
            return nil
        }
    }

    public var isEmpty: Bool { segments.isEmpty }

    /// Fills every field; a field `value(for:)` does not know renders as the empty string.
    public func render(_ value: (String) -> String?) -> String {
        var result = ""
        for segment in segments {
            switch segment {
            case .literal(let text): result += text
            case .field(let name): result += value(name) ?? ""
            }
        }
        return result
    }

    static func isFieldName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first,
              first == "_" || (first.properties.isAlphabetic && first.isASCII)
        else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
    }
}

/// `${VAR}` interpolation from the environment, applied to every string value of a manifest.
/// `$${` writes a literal `${`. A `$` not followed by `{` is literal.
public enum EnvironmentInterpolation {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case undefined(String)
        case unclosed
        case invalidName(String)
        case credential(String)

        public var description: String {
            switch self {
            case .undefined(let name): "environment variable '\(name)' is not set (referenced as ${\(name)})"
            case .unclosed: "'${' is never closed; write '$${' for a literal '${'"
            case .invalidName(let name): "'${\(name)}' is not an environment variable name"
            case .credential(let name): "${\(name)} is an API credential; credentials never belong in a manifest (they would be sent, stored and printed)"
            }
        }
    }

    /// Expands every `${NAME}`. With `escapingBraces`, braces inside substituted values are doubled
    /// so that a later `Template` parse keeps them literal instead of reading them as placeholders.
    public static func expand(
        _ text: String, environment: [String: String], escapingBraces: Bool
    ) -> Result<String, Failure> {
        guard text.contains("$") else { return .success(text) }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else {
                result.append(character)
                index = text.index(after: index)
                continue
            }
            let rest = text[text.index(after: index)...]
            if rest.hasPrefix("${") {
                result += "${"
                index = text.index(index, offsetBy: 3)
            } else if rest.hasPrefix("{") {
                let nameStart = rest.index(after: rest.startIndex)
                guard let close = rest[nameStart...].firstIndex(of: "}") else { return .failure(.unclosed) }
                let name = String(rest[nameStart..<close])
                guard isVariableName(name) else { return .failure(.invalidName(name)) }
                guard !credentialNames.contains(name) else { return .failure(.credential(name)) }
                guard let value = environment[name] else { return .failure(.undefined(name)) }
                result += escapingBraces
                    ? value.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
                    : value
                index = rest.index(after: close)
            } else {
                result.append("$")
                index = rest.startIndex
            }
        }
        return .success(result)
    }

    /// Variables that hold API credentials: refused anywhere in a manifest.
    public static let credentialNames: Set<String> = ["TEMPOLOR_API_KEY", "USEAPI_TOKEN"]

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
