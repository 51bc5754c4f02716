import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderWiring

/// A run of a manifest against ``FakeProvider`` in a temporary root, with its log and ledger.
struct FakeRun: Sendable {
    let root: URL
    let backend: FakeBackend
    let log: OutputLog
    /// The downloads the file server answered at once.
    let downloads: InFlight

    var ledgerPath: String { root.appendingPathComponent(".tempo-batch/ledger.sqlite").path }
    func ledger() throws -> Ledger { try Ledger.open(at: ledgerPath) }

    /// Compiles `yaml`, prepares the backend with `setUp`, runs it to the end and answers the result.
    static func run(
        _ yaml: String, holdDownloads: Duration = .zero, setUp: @Sendable (FakeBackend) async -> Void = { _ in },
        prepare: @Sendable (FakeRun) -> Void = { _ in },
        _ body: @Sendable (FakeRun, RunResult) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-fake-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let compilation = ManifestCompiler.compile(yaml: yaml, file: "fake.yaml", environment: [:], capabilities: Providers.catalogue)
        guard let manifest = compilation.manifest, let graph = compilation.graph else {
            throw FakeRunError(text: compilation.diagnostics.map(\.description).joined(separator: "\n"))
        }
        let backend = FakeBackend()
        // Every create call reads the task's row over a second connection (the intent test).
        await backend.setLedgerPath(root.appendingPathComponent(".tempo-batch/ledger.sqlite").path)
        await setUp(backend)
        let fake = FakeRun(root: root, backend: backend, log: OutputLog(), downloads: InFlight())
        prepare(fake)
        let result = try await FakeFileServer.with(hold: holdDownloads, inFlight: fake.downloads) { base in
            var options = RunOptions()
            options.outputRoot = root.path
            options.pollInterval = .seconds(1)
            let environment = RunEnvironment.virtual(VirtualClock(), seed: 3, output: { fake.log.append($0) })
            return await Runner.execute(manifest, graph, provider: FakeProvider(backend: backend, filesBase: base), options: options, environment: environment)
        }
        try await body(fake, result)
    }

    struct FakeRunError: Error, CustomStringConvertible {
        let text: String
        var description: String { text }
    }

    /// The states a task's log lines say it went through, in order (the text after the last `→`,
    /// or the line's only state).
    func loggedStates(of key: String) -> [String] {
        let short = String(key.prefix(12))
        return log.all.compactMap { line -> String? in
            guard let range = line.range(of: "\(short): ") else { return nil }
            var change = line[range.upperBound...]
            if let detail = change.range(of: " (") { change = change[..<detail.lowerBound] }
            let state = change.components(separatedBy: "→ ").last?.trimmingCharacters(in: .whitespaces) ?? ""
            return TaskState(rawValue: state) == nil ? nil : state
        }
    }
}
