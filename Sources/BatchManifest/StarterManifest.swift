import Foundation

/// The commented manifest `tempo-batch init` writes: every block explained, valid as written, and
/// runnable at once on the built-in simulator (no key, no network, nothing paid).
public enum StarterManifest {
    /// Where a checkout or a project keeps the manifest's JSON Schema.
    public static let schemaPath = "schema/manifest-v1.schema.json"

    /// The reference written when no schema is found: the convention of the repository's
    /// `manifests/` folder, beside its `schema/` folder.
    public static let conventionalSchemaReference = "../" + schemaPath

    /// The name used when `init` is given none.
    public static let defaultName = "my-music"

    /// Why a starter manifest was not written.
    public enum Refusal: Error, CustomStringConvertible {
        case badName(String, String)
        case exists(String)

        public var description: String {
            switch self {
            case .badName(let name, let problem): "the name '\(name)' \(problem)"
            case .exists(let path): "\(path) already exists; pass --force to replace it, or give another name"
            }
        }
    }

    /// A name as typed (`my-music` or `my-music.yaml`) without its YAML extension.
    public static func name(from typed: String) -> String {
        for suffix in [".yaml", ".yml"] where typed.count > suffix.count && typed.lowercased().hasSuffix(suffix) {
            return String(typed.dropLast(suffix.count))
        }
        return typed
    }

    /// Why `name` cannot name a starter manifest (its file and its `name:`), or nil when it can:
    /// ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit, so the file name
    /// needs no quoting in a shell and the manifest's folder stays inside the output root.
    public static func problem(withName name: String) -> String? {
        guard let first = name.unicodeScalars.first else { return "is empty" }
        func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        guard isLetterOrDigit(first), name.unicodeScalars.allSatisfy({ isLetterOrDigit($0) || "._-".unicodeScalars.contains($0) }) else {
            return "must be letters, digits, '.', '_' and '-', starting with a letter or digit"
        }
        guard name.count <= 100 else { return "is longer than 100 characters" }
        return PathSafety.problem(inComponent: name)
    }

    /// The `$schema` reference for a manifest written into `folder`: the nearest
    /// `schema/manifest-v1.schema.json` at or above `folder`, relative to it (as the repository's
    /// own manifests write it); else the one above `toolLocation` (the tool's own checkout), as an
    /// absolute path; else nil.
    public static func schemaReference(forManifestIn folder: String, toolLocation: String?) -> String? {
        if let levels = nearestSchema(above: absolute(folder))?.levels {
            return String(repeating: "../", count: levels) + schemaPath
        }
        if let toolLocation, let found = nearestSchema(above: (absolute(toolLocation) as NSString).deletingLastPathComponent) {
            return (found.folder as NSString).appendingPathComponent(schemaPath)
        }
        return nil
    }

    /// What ``write(name:into:force:toolLocation:)`` wrote.
    public struct Written: Sendable {
        /// The manifest's path: `folder` as given joined with the file name (just the file name for `.`).
        public var path: String
        /// The `$schema` reference written, and whether a schema was found for it.
        public var schemaReference: String
        public var schemaFound: Bool
    }

    /// Writes `<name>.yaml` into `folder` (created when missing). An existing file is refused
    /// unless `force`; without `force` the file is created exclusively, so a file that appears
    /// meanwhile is not replaced either.
    public static func write(name typed: String, into folder: String, force: Bool, toolLocation: String?) throws -> Written {
        let name = name(from: typed)
        if let problem = problem(withName: name) { throw Refusal.badName(typed, problem) }
        let path = folder == "." ? name + ".yaml" : (folder as NSString).appendingPathComponent(name + ".yaml")
        if !force && FileManager.default.fileExists(atPath: path) { throw Refusal.exists(path) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let found = schemaReference(forManifestIn: folder, toolLocation: toolLocation)
        let reference = found ?? conventionalSchemaReference
        let data = Data(text(name: name, schema: reference).utf8)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: force ? .atomic : .withoutOverwriting)
        } catch where !force && FileManager.default.fileExists(atPath: path) {
            throw Refusal.exists(path)
        }
        return Written(path: path, schemaReference: reference, schemaFound: found != nil)
    }

    private static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (full as NSString).standardizingPath
    }

    /// The nearest folder at or above `folder` holding `schema/manifest-v1.schema.json`, and how
    /// many levels up it is.
    private static func nearestSchema(above folder: String) -> (folder: String, levels: Int)? {
        var current = folder
        var levels = 0
        while true {
            if FileManager.default.fileExists(atPath: (current as NSString).appendingPathComponent(schemaPath)) {
                return (current, levels)
            }
            let parent = (current as NSString).deletingLastPathComponent
            if parent == current || parent.isEmpty { return nil }
            current = parent
            levels += 1
        }
    }
}
