import Foundation

/// Reads API credentials from the environment or a credentials file, and nowhere else.
///
/// The file holds `NAME=value` lines (`#` comments and blank lines allowed), for example
/// `TEMPOLOR_API_KEY=Tempo-...`. The environment wins over the file.
public enum Credentials {
    public struct Missing: Error, CustomStringConvertible {
        public let name: String
        public let file: String?
        public var description: String {
            "no API key: set \(name) in the environment" + (file.map { " or in \($0)" } ?? " or pass --credentials FILE")
        }
    }

    public struct Unreadable: Error, CustomStringConvertible {
        public let file: String
        public var description: String { "cannot read the credentials file \(file)" }
    }

    /// A pool of keys: `NAME`, then `NAME_2`, `NAME_3`, … for as long as they are set (the
    /// environment or the file, each name on its own), the same key named twice counted once.
    /// `NAME` itself is required.
    public static func values(_ name: String, environment: [String: String], file: String?) throws -> [String] {
        var values = [try value(name, environment: environment, file: file)]
        var number = 2
        while let next = try? value("\(name)_\(number)", environment: environment, file: file) {
            if !values.contains(next) { values.append(next) }
            number += 1
        }
        return values
    }

    public static func value(_ name: String, environment: [String: String], file: String?) throws -> String {
        if let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw Unreadable(file: file) }
            for line in text.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
                let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
                    .replacingOccurrences(of: "export ", with: "")
                var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                if key == name, !value.isEmpty { return value }
            }
        }
        throw Missing(name: name, file: file)
    }
}
