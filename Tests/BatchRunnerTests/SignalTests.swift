import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import Testing

/// DESIGN "Two ways to stop", in-process on virtual time: the first signal stops new
/// submissions and keeps tracking paid work for the grace period (slept on the run's clock, so
/// it ends after the polls within it); a second signal, or the end of the grace, stops at once.
@Suite("Signals stop a run the documented way")
struct SignalTests {
    /// Runs six songs and sends `signals` (one after another) once three creates were accepted.
    static func interrupted(
        _ sim: RunnerHarness, signals: [Int32], grace: Duration
    ) async throws -> (result: RunResult, log: OutputLog, acceptedAtSignal: Int) {
        let path = try sim.manifest(FailureTests.songs(6).replacingOccurrences(of: "tasks: 4", with: "tasks: 3"))
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let log = OutputLog()
        let accepted = Locked(0)
        log.onLine(count: 3, where: { $0.contains("submitting → submitted") }) {
            accepted.update { $0 = 3 }
            for signal in signals { continuation.yield(signal) }
        }
        let result = await sim.run(path, log: log) { options in
            options.grace = grace
            options.pollInterval = .seconds(5)
        } environment: { $0.signals = stream }
        continuation.finish()
        return (result, log, accepted.get)
    }

    @Test func theFirstSignalKeepsTrackingPaidWorkUntilItIsFiled() async throws {
        try await RunnerHarness.with { sim in
            let (result, log, acceptedAtSignal) = try await Self.interrupted(sim, signals: [15], grace: .seconds(600))
            #expect(acceptedAtSignal == 3, "the signal was never sent")
            #expect(result.exitCode == 143, "\(log.text)")
            #expect(log.text.contains("signal received: no new submissions"))
            // Nothing new was paid for after the signal, and everything paid for was filed.
            let tasks = try sim.ledger().allTasks()
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(tasks.filter { $0.state == .downloaded }.count == 3, "\(tasks.map(\.state)) \(log.text) t=\(sim.clock.now().timeIntervalSince1970 - 1_800_000_000)")
            #expect(tasks.filter { $0.state == .pending }.count == 3)
        }
    }

    @Test func theGracePeriodEndsTrackingWhenItRunsOut() async throws {
        try await RunnerHarness.with { sim in
            // A song takes 55 s of simulated time; 10 s of grace is not enough.
            let (result, log, _) = try await Self.interrupted(sim, signals: [2], grace: .seconds(10))
            #expect(result.exitCode == 130, "\(log.text)")
            let tasks = try sim.ledger().allTasks()
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(tasks.filter { $0.state == .submitted || $0.state == .running }.count == 3, "\(tasks.map(\.state))")
            #expect(!tasks.contains { $0.state == .downloaded })
        }
    }

    @Test func aSecondSignalStopsTrackingAtOnce() async throws {
        try await RunnerHarness.with { sim in
            let (result, log, _) = try await Self.interrupted(sim, signals: [2, 2], grace: .seconds(600))
            #expect(result.exitCode == 130, "\(log.text)")
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.filter { $0.state == .submitted || $0.state == .running }.count == 3, "\(tasks.map(\.state))")
            #expect(!tasks.contains { $0.state == .downloaded })
        }
    }
}

/// Virtual time advances only while the run is quiescent, so a run's timeline (at which virtual
/// times its state changes happen) does not depend on how fast the machine is. Which of several
/// ready tasks takes a free slot first is the scheduler's concurrency, not time, so the
/// timeline is compared as the virtual times of its lines.
@Suite("Virtual time is deterministic")
struct VirtualTimeTests {
    /// The virtual second of every line of a run, in order.
    static func timeline(seed: UInt64) async throws -> [String] {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(ResumeTests.manifest)
            let start = sim.clock.now()
            let lines = Locked<[String]>([])
            let log = OutputLog()
            log.observe { line in
                let at = sim.clock.now().timeIntervalSince(start)
                lines.update { $0.append(String(format: "%08.1f", at)) }
            }
            #expect(await sim.run(path, log: log, seed: seed).exitCode == 0)
            return lines.get
        }
    }

    @Test func theSameRunHasTheSameTimelineEveryTime() async throws {
        let first = try await Self.timeline(seed: 5)
        #expect(first.count > 40)
        for _ in 0..<2 {
            let again = try await Self.timeline(seed: 5)
            #expect(again == first, "\(zip(first, again).first { $0 != $1 }.map { "\($0)\n≠ \($1)" } ?? "lengths differ")")
        }
    }
}
