import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderKit
import ProviderWiring
import Testing

/// `run --dry-run` prints the plan; `run` executes exactly that plan. Every ledger state of a
/// chain's first task (and every way its files can look on disk) × every option that changes a
/// decision: the dry-run's printed actions are taken, then the run is watched through the
/// provider (creates, status checks) and the ledger (events of that run), and the two agree.
@Suite("Dry-run and run agree", .serialized)
struct PlanAgreementTests {
    enum Setup: String, CaseIterable, Sendable {
        case new, pending, submitting, submitted, running, succeeded, partFailed, failed, blocked, ambiguous
        case downloadedUnchanged, downloadedTouched, downloadedCorrupt, downloadedMissing
    }

    enum Variant: String, CaseIterable, Sendable {
        case plain, retryFailed, resubmitAmbiguous, onAmbiguousResubmit, noReconcile, budget, downloadOnly
    }

    static func yaml(_ variant: Variant) -> String {
        var text = """
        version: 1
        name: agree
        pricing: { song: 10, extend: 10 }
        jobs:
          - name: a
            song: { prompt: x, lyrics: "[verse] hi" }
            extend: [{ start_time: 30 }, { start_time: 60 }]

        """
        if variant == .budget { text += "budget: { max_credits: 15 }\n" }
        if variant == .onAmbiguousResubmit { text += "ambiguity: { on_ambiguous: resubmit }\n" }
        return text
    }

    static let cases: [(Setup, Variant)] = Setup.allCases.flatMap { setup in Variant.allCases.map { (setup, $0) } }

    @Test(arguments: cases)
    func theRunDoesWhatTheDryRunSaid(setup: Setup, variant: Variant) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tempo-batch-agree-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let compilation = ManifestCompiler.compile(yaml: Self.yaml(variant), file: "agree.yaml", environment: [:], capabilities: Providers.catalogue)
        let manifest = try #require(compilation.manifest, "\(compilation.diagnostics)")
        let graph = try #require(compilation.graph)
        let song = try #require(graph.tasks.first)
        let backend = FakeBackend()
        let ledgerPath = LedgerFiles(root: root).ledger

        try await FakeFileServer.with { base in
            // The first task's state, as an earlier run left it.
            let contentChanged = try await Self.prepare(setup, song: song, manifest: manifest, graph: graph, ledgerPath: ledgerPath, root: root, backend: backend)
            var provider = FakeProvider(backend: backend, filesBase: base)
            provider.canReconcile = variant != .noReconcile
            var options = RunOptions()
            options.outputRoot = root.path
            options.pollInterval = .seconds(1)
            options.retryFailed = variant == .retryFailed
            options.resubmitAmbiguous = variant == .resubmitAmbiguous
            options.downloadOnly = variant == .downloadOnly

            // The dry-run, as printed.
            let printed = OutputLog()
            var dry = options
            dry.dryRun = true
            dry.json = true
            let dryResult = await Runner.execute(manifest, graph, provider: provider, options: dry,
                                                 environment: .virtual(VirtualClock(), output: { printed.append($0) }))
            #expect(dryResult.exitCode == 0)
            let plan = try JSONDecoder().decode(PrintedPlan.self, from: Data(printed.text.utf8))
            var actions: [String: PlanAction] = [:]
            for task in plan.tasks { actions[task.key] = PlanAction(rawValue: task.action) }
            let before = try setup == .new ? [:] : Ledger.open(at: ledgerPath).tasks(keys: graph.tasks.map(\.key.hex))

            // The run.
            let log = OutputLog()
            _ = await Runner.execute(manifest, graph, provider: provider, options: options,
                                     environment: .virtual(VirtualClock(), seed: 3, output: { log.append($0) }))
            let ledger = try Ledger.open(at: ledgerPath)
            let run = try #require(try ledger.runs().last?.id)
            let groups = await backend.statusGroups
            for task in graph.tasks {
                let key = task.key.hex
                let action = try #require(actions[key], "the dry-run printed no action for \(task.fileStem)")
                let context = "\(setup) × \(variant): \(task.fileStem) planned \(action.rawValue)\n\(log.text)"
                let events = try ledger.events(of: key).filter { $0.runID == run }
                let after = try #require(try ledger.task(key))
                // A child of a task whose ambiguity awaits the provider's evidence runs only if
                // the evidence resolves it (the fake provider has none for a planted ambiguity).
                let conditional = task.parents.contains { parent in
                    var current: TaskKey? = parent
                    while let key = current {
                        if actions[key.hex] == .reconcile { return true }
                        current = graph[key]?.parents.first
                    }
                    return false
                }
                let paysNow = action.submits && !conditional
                #expect(await backend.creates(for: key) == (paysNow ? 1 : 0), "creates: \(context)")
                let polledItem = before[key]?.itemID.map { item in groups.contains { $0.contains(item) } } ?? false
                #expect(polledItem == (action == .poll), "status checks: \(context)")
                let downloaded = events.contains { $0.toState == .downloaded }
                let expectDownload = paysNow || [.poll, .download].contains(action) || (action == .verify && contentChanged)
                #expect(downloaded == expectDownload, "downloads: \(context)")
                if (action == .submit && !conditional) || [.resubmit, .poll, .download, .verify, .skip].contains(action) {
                    #expect(after.state == .downloaded, "final state: \(context)")
                }
                if action == .skip || (action == .verify && !contentChanged) {
                    #expect(events.allSatisfy { $0.toState == .downloaded && $0.fromState == .downloaded } || events.isEmpty, "untouched: \(context)")
                }
                if [.ambiguous, .failed, .overBudget, .held].contains(action) || (action == .reconcile) || conditional {
                    #expect(!events.contains { $0.toState == .submitting || $0.toState == .downloaded }, "nothing done: \(context)")
                }
            }
        }
    }

    struct PrintedPlan: Decodable {
        struct Task: Decodable {
            let key: String
            let action: String
        }
        let tasks: [Task]
    }

    /// Puts the chain's first task into `setup`. True when the file on disk now differs in content.
    static func prepare(
        _ setup: Setup, song: GraphTask, manifest: Manifest, graph: TaskGraph, ledgerPath: String, root: URL, backend: FakeBackend
    ) async throws -> Bool {
        guard setup != .new else { return false }
        let ledger = try Ledger.open(at: ledgerPath)
        try ledger.register(graph.tasks.map { task in
            TaskRecord(key: task.key.hex, manifest: manifest.name, job: task.job, kind: task.kind.rawValue, output: task.output,
                       fileStem: task.fileStem, request: RequestText.json(task.request), parents: task.parents.map(\.hex),
                       provider: task.request.provider.rawValue, cost: manifest.pricing.price(of: task.request), now: Date())
        })
        let run = try ledger.beginRun(manifest: manifest.name)
        let key = song.key.hex
        func result(_ phase: ItemReport.Phase) -> String {
            var report = ItemReport(phase: phase, providerStatus: "done", raw: .null)
            report.files = [.mp3]
            return StoredResult(report).json
        }
        func submitted() async throws {
            _ = try ledger.recordSubmitting(key, run: run)
            _ = try ledger.recordSubmitted(key, itemID: "earlier-1", run: run)
            await backend.plant(id: "earlier-1", reference: key, kind: .song)
        }
        switch setup {
        case .new, .pending:
            return false
        case .submitting:
            _ = try ledger.recordSubmitting(key, run: run)
        case .submitted:
            try await submitted()
        case .running:
            try await submitted()
            _ = try ledger.recordRunning(key, result: nil, run: run)
        case .succeeded, .partFailed:
            try await submitted()
            _ = try ledger.recordGenerated(key, state: setup == .succeeded ? .succeeded : .partFailed, result: result(setup == .succeeded ? .succeeded : .partFailed), detail: nil, run: run)
        case .failed:
            _ = try ledger.recordSubmitting(key, run: run)
            _ = try ledger.recordFailed(key, reason: "the provider failed it", run: run)
        case .blocked:
            _ = try ledger.recordBlocked(key, reason: "an earlier reason", run: run)
        case .ambiguous:
            _ = try ledger.recordSubmitting(key, run: run)
            _ = try ledger.recordAmbiguous(key, reason: "the answer was lost", run: run)
        case .downloadedUnchanged, .downloadedTouched, .downloadedCorrupt, .downloadedMissing:
            try await submitted()
            _ = try ledger.recordGenerated(key, state: .succeeded, result: result(.succeeded), detail: nil, run: run)
            let file = root.appendingPathComponent(song.output).appendingPathComponent("\(song.fileStem).mp3")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FakeFileServer.mp3.write(to: file)
            let (size, sha) = try #require(FileHash.sha256(of: file))
            let stat = try #require(FileStat.of(file.path))
            _ = try ledger.recordDownloaded(key, files: [FileRecord(taskKey: key, path: "\(song.output)/\(song.fileStem).mp3", size: size, sha256: sha,
                                                                    createdAt: Date(), mtime: stat.mtime, inode: stat.inode)], run: run)
            switch setup {
            case .downloadedTouched:
                try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: file.path)
            case .downloadedCorrupt:
                var bytes = FakeFileServer.mp3
                bytes[bytes.count - 1] ^= 0xFF
                try bytes.write(to: file)
                try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: file.path)
                return true
            case .downloadedMissing:
                try FileManager.default.removeItem(at: file)
                return true
            default:
                break
            }
        }
        return false
    }
}
