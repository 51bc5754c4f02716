import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderKit
import Testing

/// Items that turn final at set moments of a virtual clock; every status call is recorded.
actor ScriptedBackend {
    struct Call: Equatable {
        var at: Date
        var ids: [String]
    }

    private let clock: VirtualClock
    private var finishes: [String: Date] = [:]
    private var omitting: [String: Int] = [:]
    private(set) var calls: [Call] = []

    init(clock: VirtualClock) { self.clock = clock }

    /// An item made now that is final `seconds` later.
    func create(_ id: String, finishingAfter seconds: Double) { finishes[id] = clock.now() + seconds }

    /// The next `times` answers leave the item out.
    func omit(_ id: String, times: Int = 1) { omitting[id] = times }

    func status(_ ids: [String]) -> [String: ItemReport] {
        let now = clock.now()
        calls.append(Call(at: now, ids: ids))
        var reports: [String: ItemReport] = [:]
        for id in ids {
            if let left = omitting[id], left > 0 {
                omitting[id] = left - 1
                continue
            }
            guard let finish = finishes[id] else { continue }
            let final = now >= finish
            reports[id] = ItemReport(phase: final ? .succeeded : .working, providerStatus: final ? "succeeded" : "running", raw: .null)
        }
        return reports
    }

    /// Seconds after `start` of every call that asked about `id`.
    func checks(of id: String, since start: Date) -> [Double] {
        calls.filter { $0.ids.contains(id) }.map { $0.at.timeIntervalSince(start) }
    }
}

struct ScriptedProvider: GenerationProvider {
    let backend: ScriptedBackend

    var capabilities: ProviderCapabilities {
        ProviderCapabilities(name: "scripted", extend: true, lyricsGeneration: false, instrumental: false, chainStems: .create,
                             stemsOfURL: false, voiceID: false, instrumentalParameters: false, songModels: [], instrumentalModels: [])
    }

    func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
        throw ProviderError(.permanent, "the scripted provider only answers status checks")
    }

    func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] { PollScheduleTests.groups(refs) }

    func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport] { await backend.status(group.map(\.id)) }

    func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation {
        throw ProviderError(.permanent, "the scripted provider has no files")
    }
}

@Suite("Status poller: what it asks, and when")
struct StatusPollerTests {
    static let song = PollProfile(kind: .song, model: nil)

    /// Runs `body` beside a running poller on virtual time (interval 5 s), then stops it.
    static func withPoller(
        _ timing: PollTiming, _ body: @Sendable (StatusPoller, ScriptedBackend, VirtualClock) async throws -> Void
    ) async throws {
        let clock = VirtualClock()
        let backend = ScriptedBackend(clock: clock)
        let retrying = Retrying(attempts: 1, backoff: Backoff(initial: .seconds(1), max: .seconds(1)), clock: clock, random: RandomSource(seed: 1))
        let poller = StatusPoller(provider: ScriptedProvider(backend: backend), clock: clock, interval: .seconds(5), retrying: retrying,
                                  timing: timing, activity: clock)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await poller.run() }
            defer { group.cancelAll() }
            try await body(poller, backend, clock)
        }
    }

    @Test func aLearnedDurationMakesTheChecksSparseUntilTheExpectedFinish() async throws {
        try await Self.withPoller(.expected) { poller, backend, clock in
            // Nothing learned: the first song is checked every interval, final at the 60 s check.
            let first = clock.now()
            await backend.create("a", finishingAfter: 58)
            _ = try await poller.waitForFinal(ItemRef(id: "a", kind: .song), learning: Self.song) { _ in }
            #expect(await backend.checks(of: "a", since: first) == stride(from: 5.0, through: 60, by: 5).map { $0 })

            // Learned 60 s: one check, on the expected finish itself.
            let second = clock.now()
            await backend.create("b", finishingAfter: 58)
            _ = try await poller.waitForFinal(ItemRef(id: "b", kind: .song), learning: Self.song) { _ in }
            #expect(await backend.checks(of: "b", since: second) == [60])

            // An item that teaches nothing (submitted by an earlier run) is checked every interval.
            let third = clock.now()
            await backend.create("c", finishingAfter: 12)
            _ = try await poller.waitForFinal(ItemRef(id: "c", kind: .song)) { _ in }
            #expect(await backend.checks(of: "c", since: third) == [5, 10, 15])
        }
    }

    @Test func anItemFinalAtTheAimBringsTheNextAimEarlier() async throws {
        try await Self.withPoller(.expected) { poller, backend, clock in
            await backend.create("a", finishingAfter: 28)
            _ = try await poller.waitForFinal(ItemRef(id: "a", kind: .song), learning: Self.song) { _ in }
            // Learned 30 s; "b" is final at its check there, so the aim comes a tenth of a
            // step (5 s / 16) earlier for "c", and again for "d". "d" is not final at its aim:
            // the aim moves nine tenths of a step later, and "d" is checked again there.
            let step = 5.0 / 16
            var checks: [Double] = []
            for (id, finish) in [("b", 28.0), ("c", 28.0), ("d", 29.99)] {
                let start = clock.now()
                await backend.create(id, finishingAfter: finish)
                _ = try await poller.waitForFinal(ItemRef(id: id, kind: .song), learning: Self.song) { _ in }
                checks.append(contentsOf: await backend.checks(of: id, since: start))
            }
            let expected = [30, 30 - step / 10, 30 - 2 * step / 10, 30 - 2 * step / 10 + 0.9 * step]
            #expect(checks.count == expected.count && zip(checks, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(checks)")
            // Only the check due on the aim corrects it: "e" is aimed where "d" was found.
            let start = clock.now()
            await backend.create("e", finishingAfter: 28)
            _ = try await poller.waitForFinal(ItemRef(id: "e", kind: .song), learning: Self.song) { _ in }
            let last = await backend.checks(of: "e", since: start)
            #expect(last.count == 1 && abs(last[0] - expected[3]) < 1e-6, "\(last)")
        }
    }

    @Test func anItemLeftOutOfAnAnswerIsAskedAgainAnIntervalLater() async throws {
        try await Self.withPoller(.expected) { poller, backend, clock in
            await backend.create("a", finishingAfter: 38)
            _ = try await poller.waitForFinal(ItemRef(id: "a", kind: .song), learning: Self.song) { _ in }
            // Learned 40 s: the first check is on it; that answer leaves the item out, so it is
            // asked again an interval later.
            let start = clock.now()
            await backend.create("b", finishingAfter: 9)
            await backend.omit("b")
            _ = try await poller.waitForFinal(ItemRef(id: "b", kind: .song), learning: Self.song) { _ in }
            #expect(await backend.checks(of: "b", since: start) == [40, 45])
        }
    }

    @Test func aDueItemTakesTheOthersOfItsGroupAlong() async throws {
        try await Self.withPoller(.expected) { poller, backend, clock in
            await backend.create("a", finishingAfter: 38)
            _ = try await poller.waitForFinal(ItemRef(id: "a", kind: .song), learning: Self.song) { _ in }
            // Learned 40 s. An extend (same route, nothing learned) is due every 5 s and carries
            // the song along; a stems item (another route) is never in the same call.
            let start = clock.now()
            await backend.create("b", finishingAfter: 12)
            await backend.create("x", finishingAfter: 12)
            await backend.create("m", finishingAfter: 12)
            async let song: ItemReport = poller.waitForFinal(ItemRef(id: "b", kind: .song), learning: Self.song) { _ in }
            async let extend: ItemReport = poller.waitForFinal(ItemRef(id: "x", kind: .extend, chain: .song)) { _ in }
            async let stems: ItemReport = poller.waitForFinal(ItemRef(id: "m", kind: .stems, chain: .song)) { _ in }
            _ = try await (song, extend, stems)
            let calls = await backend.calls.filter { $0.at >= start }
            #expect(calls.contains { $0.ids.contains("b") && $0.ids.contains("x") })
            #expect(!calls.contains { $0.ids.contains("m") && $0.ids.count > 1 })
            // The song finished at 12 s and was seen by the extend's call at 15 s, before its own first check (40 s).
            #expect(await backend.checks(of: "b", since: start) == [5, 10, 15])
        }
    }

    @Test func theFixedTimingChecksEveryItemEveryInterval() async throws {
        try await Self.withPoller(.fixed) { poller, backend, clock in
            await backend.create("a", finishingAfter: 18)
            _ = try await poller.waitForFinal(ItemRef(id: "a", kind: .song), learning: Self.song) { _ in }
            let start = clock.now()
            await backend.create("b", finishingAfter: 18)
            _ = try await poller.waitForFinal(ItemRef(id: "b", kind: .song), learning: Self.song) { _ in }
            let checks = await backend.checks(of: "b", since: start)
            #expect(checks.count == 4)
            #expect(zip(checks, checks.dropFirst()).allSatisfy { abs($1 - $0 - 5) < 1e-9 })
        }
    }
}
