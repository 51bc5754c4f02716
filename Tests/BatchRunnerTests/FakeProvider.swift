import BatchLedger
import BatchManifest
import Foundation
import Hummingbird
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
    /// Read during each create call, to prove the intent row is durable before it.
    var ledgerPath: String?

    func setLosingAnswers(_ creates: Set<Int>) { losingAnswers = creates }
    func setLedgerPath(_ path: String) { ledgerPath = path }

    func create(_ submission: Submission) throws(ProviderError) -> String {
        if let ledgerPath {
            let ledger = try? Ledger.open(at: ledgerPath)
            statesDuringSubmit.append((try? ledger?.task(submission.reference))??.state)
        }
        creates += 1
        let id = "fake-\(creates)"
        items[id] = Item(reference: submission.reference, kind: submission.kind)
        if losingAnswers.contains(creates) { throw ProviderError(.ambiguous, "fake: the answer was lost") }
        return id
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

    var capabilities: ProviderCapabilities {
        ProviderCapabilities(name: "fake", extend: true, lyricsGeneration: true, instrumental: true, chainStems: .create,
                             stemsOfURL: true, voiceID: true, instrumentalParameters: true, songModels: [], instrumentalModels: [])
    }

    func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
        [ItemRef(id: try await backend.create(submission), kind: submission.kind, chain: submission.chain)]
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

    func reconcile(_ submission: Submission, sentAfter: Double, excluding known: Set<String>) async throws(ProviderError) -> Reconciliation? {
        guard let id = await backend.find(reference: submission.reference, excluding: known) else { return nil }
        return Reconciliation(refs: [ItemRef(id: id, kind: submission.kind, chain: submission.chain)], evidence: "fake reference match")
    }
}

/// Serves a few bytes that pass the mp3 check, at `/files/<anything>`, on loopback port 0.
enum FakeFileServer {
    static let mp3 = Data([0xFF, 0xFB, 0x90, 0x00] + [UInt8](repeating: 0, count: 413))

    static func with<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/files/:name") { _, _ in
            Response(status: .ok, headers: [.contentType: "audio/mpeg"], body: .init(byteBuffer: ByteBuffer(bytes: mp3)))
        }
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
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
