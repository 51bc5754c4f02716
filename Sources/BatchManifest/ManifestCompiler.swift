import Foundation
import Yams

/// The result of reading a manifest: every diagnostic, and the manifest and its graph when
/// there were no errors.
public struct ManifestCompilation: Sendable {
    public let manifest: Manifest?
    public let graph: TaskGraph?
    public let diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.hasErrors }
}

/// Entry point of the manifest language: YAML text → located document → ``Manifest`` →
/// ``TaskGraph``. Pure apart from reading the file; the environment and the providers'
/// capabilities are passed in.
public enum ManifestCompiler {
    public static func compile(
        contentsOf path: String, environment: [String: String], provider: Provider? = nil, capabilities: ProviderCatalogue
    ) -> ManifestCompilation {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                return failure(path, 1, 1, "the file is not UTF-8 text")
            }
            text = decoded
        } catch {
            return failure(path, 1, 1, "cannot read the file: \((error as NSError).localizedDescription)")
        }
        return compile(yaml: text, file: path, environment: environment, provider: provider, capabilities: capabilities)
    }

    public static func compile(
        yaml: String, file: String, environment: [String: String], provider: Provider? = nil, capabilities: ProviderCatalogue
    ) -> ManifestCompilation {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return failure(file, 1, 1, "the manifest is empty") }
            root = node
        } catch let error as YamlError {
            return ManifestCompilation(manifest: nil, graph: nil, diagnostics: [diagnostic(for: error, file: file)])
        } catch {
            return failure(file, 1, 1, "cannot parse YAML: \(error)")
        }
        var reader = ManifestReader(file: file, environment: environment)
        guard let document = reader.read(root) else {
            return ManifestCompilation(manifest: nil, graph: nil, diagnostics: reader.diagnostics)
        }
        var converter = ManifestConverter(file: file)
        let manifest = converter.convert(document)
        var diagnostics = reader.diagnostics + converter.diagnostics
        // What the provider the manifest will actually run on (an override included) can do.
        if let manifest, let declared = capabilities[provider ?? manifest.provider] {
            diagnostics += CapabilityCheck.diagnostics(manifest, capabilities: declared)
        }
        guard let manifest, !diagnostics.hasErrors else {
            return ManifestCompilation(manifest: nil, graph: nil, diagnostics: diagnostics.sortedByLocation)
        }
        let (graph, graphDiagnostics) = GraphBuilder.expand(manifest, provider: provider)
        diagnostics += graphDiagnostics
        let ok = !diagnostics.hasErrors
        return ManifestCompilation(manifest: ok ? manifest : nil, graph: ok ? graph : nil, diagnostics: diagnostics.sortedByLocation)
    }

    private static func failure(_ file: String, _ line: Int, _ column: Int, _ message: String) -> ManifestCompilation {
        ManifestCompilation(
            manifest: nil, graph: nil,
            diagnostics: [Diagnostic(.error, at: SourceLocation(file: file, line: line, column: column), message)]
        )
    }

    /// A YAML syntax error as a located diagnostic.
    static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        func text(_ context: YamlError.Context?, _ problem: String) -> String {
            guard let context else { return "YAML syntax error: \(problem)" }
            return "YAML syntax error: \(problem) (\(context.text) at \(context.mark.line):\(context.mark.column))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return Diagnostic(.error, at: at(mark), text(context, problem))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic(.error, at: at(context.mark), "key \(keys) appears more than once in the same mapping")
        case .reader(let problem, let offset, _, let yaml):
            let (line, column) = offset.map { lineAndColumn(ofCharacterOffset: $0, in: yaml) } ?? (1, 1)
            return Diagnostic(.error, at: SourceLocation(file: file, line: line, column: column), "cannot read the file: \(problem)")
        default:
            return Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), "cannot parse YAML: \(error)")
        }
    }

    static func lineAndColumn(ofCharacterOffset offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
