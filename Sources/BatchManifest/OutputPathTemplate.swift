/// `output.path`: where each chain's files go, relative to the output root.
///
/// Fields: `{manifest}`, `{job}`, `{variant}`, `{combo}` (the job's matrix values joined by `-`)
/// and any matrix key. A field that renders empty takes one neighbouring separator with it, so
/// `{style}-v{variant}` without a style renders `v1`, not `-v1`; empty folders disappear.
public struct OutputPathTemplate: Sendable {
    public static let builtInFields = ["manifest", "job", "variant", "combo"]
    public static let defaultText = "{manifest}/{job}/{combo}-v{variant}"
    static let separators: Set<Character> = ["-", "_", ".", " "]

    public let text: String
    let template: Template
    /// Where `output.path` was written, if it was.
    public let location: SourceLocation?

    init(text: String, template: Template, location: SourceLocation?) {
        self.text = text
        self.template = template
        self.location = location
    }

    public init(parsing text: String) throws(Template.ParseError) {
        self.init(text: text, template: try Template(parsing: text), location: nil)
    }

    public func uses(field: String) -> Bool {
        template.fields.contains(field) || (field != "manifest" && field != "job" && field != "variant" && template.fields.contains("combo"))
    }

    /// Why the template could leave the output root, or nil.
    static func escapeProblem(in template: Template) -> String? {
        let literalShape = template.render { _ in "x" }
        if literalShape.hasPrefix("/") || literalShape.hasPrefix("~") { return "is absolute; it must stay inside the output root" }
        if literalShape.contains("\\") { return "contains '\\'; use '/' between folders" }
        for component in literalShape.split(separator: "/", omittingEmptySubsequences: false) {
            if component == ".." || component == "." { return "contains '\(component)', which could escape the output root" }
        }
        return nil
    }

    /// The folder for one chain, relative to the output root.
    public func render(manifest: String, job: String, variant: Int, combination: [(key: String, value: String)]) -> String {
        let hole: Character = "\u{1}"
        let raw = template.render { field in
            let value = Self.value(of: field, manifest: manifest, job: job, variant: variant, combination: combination)
            return (value?.isEmpty ?? true) ? String(hole) : value
        }
        let components = raw.split(separator: "/", omittingEmptySubsequences: false).map { component in
            Self.collapse(Array(component), hole: hole)
        }
        return components.filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// What a field of `output.path` (and of the `tags:` templates) stands for in one chain.
    static func value(of field: String, manifest: String, job: String, variant: Int?, combination: [(key: String, value: String)]) -> String? {
        switch field {
        case "manifest": manifest
        case "job": job
        case "variant": variant.map(String.init)
        case "combo": combination.map(\.value).joined(separator: "-")
        default: combination.first { $0.key == field }?.value
        }
    }

    /// Removes the holes an empty field left, each with one neighbouring separator.
    static func collapse(_ characters: [Character], hole: Character) -> String {
        var characters = characters
        while let index = characters.firstIndex(of: hole) {
            let before = index > 0 ? characters[index - 1] : nil
            let after = index + 1 < characters.count ? characters[index + 1] : nil
            let beforeIsSeparator = before.map(separators.contains) ?? false
            let afterIsSeparator = after.map(separators.contains) ?? false
            if afterIsSeparator && (beforeIsSeparator || before == nil) {
                characters.remove(at: index + 1)
            } else if beforeIsSeparator && after == nil {
                characters.remove(at: index - 1)
                characters.remove(at: index - 1)
                continue
            }
            characters.remove(at: index)
        }
        return String(characters)
    }
}
