import BatchLedger
import BatchManifest
import Foundation
import Hummingbird
import Logging
import ProviderKit

/// An in-memory provider that proves the seam on its own: no TemPolor or useapi code runs.
/// Items finish after a fixed number of status checks; status checks are grouped in threes;
/// files are served by a tiny loopback file server; one create can "lose its answer" after
/// making its item, which only `reconcile` (by the submission's reference) finds again.
actor FakeBackend {
    struct Item {
        var reference: String
        var kind: TaskKind
        var checks = 0
    }

    private(set) var items: [String: Item] = [:]
    private(set) var creates = 0
    private(set) var statusGroups: [[String]] = []
    private(set) var statesDuringSubmit: [TaskState?] = []
    private(set) var reconciliations = 0
    /// The creates (1-based) whose answers are lost after the item was made.
    var losingAnswers: Set<Int> = []
    /// The creates (1-based) that are accepted but name no item.
    var namingNothing: Set<Int> = []
    private(set) var callbackURLs: [String] = []
    private(set) var createdReferences: [String] = []
    /// Read during each create call, to prove the intent row is durable before it.
    var ledgerPath: String?

    func setLosingAnswers(_ creates: Set<Int>) { losingAnswers = creates }
    func setNamingNothing(_ creates: Set<Int>) { namingNothing = creates }
    func setLedgerPath(_ path: String) { ledgerPath = path }
    /// An item made before this backend's run (by an earlier run), under a known id.
    func plant(id: String, reference: String, kind: TaskKind) { items[id] = Item(reference: reference, kind: kind) }
    /// How many create calls were made for a task key.
    func creates(for reference: String) -> Int { createdReferences.filter { $0 == reference }.count }

    func create(_ submission: Submission) throws(ProviderError) -> String? {
        callbackURLs.append(submission.callbackURL)
        if let ledgerPath {
            let ledger = try? Ledger.open(at: ledgerPath)
            statesDuringSubmit.append((try? ledger?.task(submission.reference))??.state)
        }
        creates += 1
        createdReferences.append(submission.reference)
        let id = "fake-\(creates)"
        items[id] = Item(reference: submission.reference, kind: submission.kind)
        if losingAnswers.contains(creates) { throw ProviderError(.ambiguous, "fake: the answer was lost") }
        return namingNothing.contains(creates) ? nil : id
    }

    func check(_ ids: [String]) -> [String: Int] {
        statusGroups.append(ids)
        var checks: [String: Int] = [:]
        for id in ids where items[id] != nil {
            items[id]?.checks += 1
            checks[id] = items[id]?.checks
        }
        return checks
    }

    func find(reference: String, excluding known: Set<String>) -> String? {
        reconciliations += 1
        return items.first { $0.value.reference == reference && !known.contains($0.key) }?.key
    }
}

struct FakeProvider: GenerationProvider {
    let backend: FakeBackend
    let filesBase: String
    let groupSize = 3
    let checksUntilDone = 2
    /// Whether `reconcile` is offered (a provider without evidence leaves ambiguity to people).
    var canReconcile = true

    var capabilities: ProviderCapabilities {
        ProviderCapabilities(name: "fake", extend: true, lyricsGeneration: true, instrumental: true, chainStems: .create,
                             stemsOfURL: true, voiceID: true, instrumentalParameters: true, songModels: [], instrumentalModels: [])
    }

    func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
        guard let id = try await backend.create(submission) else { return [] }
        return [ItemRef(id: id, kind: submission.kind, chain: submission.chain)]
    }

    func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] {
        stride(from: 0, to: refs.count, by: groupSize).map { Array(refs[$0..<min(refs.count, $0 + groupSize)]) }
    }

    func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport] {
        let checks = await backend.check(group.map(\.id))
        return checks.mapValues { count in
            var report = ItemReport(phase: count >= checksUntilDone ? .succeeded : .working, providerStatus: count >= checksUntilDone ? "done" : "busy", raw: .null)
            report.files = [.mp3]
            return report
        }
    }

    func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation {
        FileLocation(url: "\(filesBase)/files/\(ref.id).\(file.rawValue)")
    }

    var reconcilesLostAnswers: Bool { canReconcile }

    func reconcile(_ submission: Submission, sentAfter: Double, excluding known: Set<String>) async throws(ProviderError) -> Reconciliation? {
        guard let id = await backend.find(reference: submission.reference, excluding: known) else { return nil }
        return Reconciliation(refs: [ItemRef(id: id, kind: submission.kind, chain: submission.chain)], evidence: "fake reference match")
    }
}

/// How many requests a server is answering at once, and the most it ever answered at once.
final class InFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private var peak = 0
    private var total = 0

    var max: Int { lock.withLock { peak } }
    /// Requests seen in all.
    var entered: Int { lock.withLock { total } }
    func enter() { lock.withLock { current += 1; total += 1; peak = Swift.max(peak, current) } }
    func leave() { lock.withLock { current -= 1 } }
}

/// Serves a few bytes that pass the mp3 check at `/files/<anything>` on loopback port 0 (or
/// the routes of `router`), holding each answer for `hold` so overlapping requests show.
enum FakeFileServer {
    static let mp3 = Data([0xFF, 0xFB, 0x90, 0x00] + [UInt8](repeating: 0, count: 413))

    static func with<T: Sendable>(
        router: Router<BasicRequestContext>? = nil, hold: Duration = .zero, inFlight: InFlight = InFlight(), _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let router = router ?? {
            let router = Router()
            router.get("/files/:name") { _, _ in
                inFlight.enter()
                defer { inFlight.leave() }
                if hold > .zero { try await Task.sleep(for: hold) }
                return Response(status: .ok, headers: [.contentType: "audio/mpeg"], body: .init(byteBuffer: ByteBuffer(bytes: mp3)))
            }
            return router
        }()
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "tempo-batch.tests.files")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { try await app.runService() }
            var iterator = started.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let result: Result<T, any Error>
            do { result = .success(try await body("http://127.0.0.1:\(port)")) } catch { result = .failure(error) }
            group.cancelAll()
            return try result.get()
        }
    }
}
