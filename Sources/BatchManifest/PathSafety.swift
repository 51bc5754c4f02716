import Foundation

/// Rules for values that become folder names under the output root.
public enum PathSafety {
    /// Folder names the tool itself uses inside the output root.
    public static let reservedNames: Set<String> = [".tempo-batch", "_reports"]

    /// Why `component` cannot be one folder name inside the output root, or nil when it can.
    public static func problem(inComponent component: String) -> String? {
        if component.isEmpty { return "is empty" }
        if component == "." || component == ".." { return "would escape the output root ('\(component)')" }
        if component.contains("/") || component.contains("\\") {
            return "contains a path separator, which could escape the output root"
        }
        if component.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "contains control characters"
        }
        if component.hasPrefix(".") { return "starts with '.', which would hide its folder" }
        if reservedNames.contains(component) { return "is reserved for the tool's own files" }
        return nil
    }
}

/// Checks for the URLs a manifest may contain (`callback_url`, `stems.url`).
enum URLCheck {
    static func problem(in text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            return "is not a URL"
        }
        guard scheme == "http" || scheme == "https" else { return "must be an http or https URL" }
        guard let host = url.host, !host.isEmpty else { return "has no host" }
        return nil
    }

    /// The URL without its query string, which may carry a secret token.
    static func redacted(_ text: String) -> String {
        guard let query = text.firstIndex(of: "?") else { return text }
        return text[..<query] + "?…"
    }
}

/// Normalises text fields before they enter a request and a task key: line endings become
/// `\n`, trailing spaces are dropped, and leading and trailing blank lines are trimmed. So
/// `|` versus `|-` block scalars or stray trailing spaces never spend credits again.
public enum TextNormalizer {
    public static func normalize(_ text: String) -> String {
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { line -> Substring in
                var line = line
                while let last = line.last, last == " " || last == "\t" { line.removeLast() }
                return line
            }
        while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines.removeFirst() }
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        guard !lines.isEmpty else { return "" }
        var joined = lines.joined(separator: "\n")
        while let first = joined.first, first == " " || first == "\t" { joined.removeFirst() }
        return joined
    }
}
