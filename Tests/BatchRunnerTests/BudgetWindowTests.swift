import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import Testing

/// `budget: { per: day | week | month }`: the window's spend is read from the ledger, so an
/// interrupted run, a restart and a second run the same day share one budget, and the next day
/// starts a new one. Virtual time throughout.
@Suite("Budgets over time windows")
struct BudgetWindowTests {
    static func manifest(name: String = "daily", songs: Int = 6, budget: String = "budget: { max_credits: 90, per: day, timezone: UTC }") -> String {
        """
        version: 1
        name: \(name)
        concurrency: { tasks: 1 }
        \(budget)
        jobs:
          - name: s
            song:
              prompt: "\(name) song {n} about the night"
              lyrics: "[verse]\\nla la"
            matrix: { n: [\((1...songs).map(String.init).joined(separator: ", "))] }
        """
    }

    @Test func aDailyBudgetHoldsAcrossAnInterruptedRunAndARestartAndResetsTheNextDay() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest())
            // 1. Interrupted (SIGINT) once its first create is answered: it finishes that song.
            let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
            let first = OutputLog()
            first.onLine(where: { $0.contains("submitting → submitted") }) { continuation.yield(2) }
            let interrupted = await sim.run(path, log: first) { $0.grace = .seconds(600) } environment: { $0.signals = stream }
            continuation.finish()
            #expect(interrupted.exitCode == 130, "\(first.text)")
            #expect(await sim.simulator.acceptedCreates == 1)
            #expect(first.text.contains("budget 90 credits per day (UTC): 0 spent today, 90 left"), "\(first.text)")

            // 2. A restart the same day continues the day's count: 60 left, two more songs.
            let second = OutputLog()
            let restarted = await sim.run(path, log: second)
            #expect(restarted.exitCode == 3, "\(second.text)")
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(second.text.contains("30 spent today, 60 left"), "\(second.text)")
            #expect(second.text.contains("did not fit in what is left of the budget"), "\(second.text)")

            // 3. A third run that day: nothing is left, nothing is sent.
            let third = OutputLog()
            #expect(await sim.run(path, log: third).exitCode == 3)
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(third.text.contains("90 spent today, 0 left"), "\(third.text)")
            let ledger = try sim.ledger()
            let dayStart = try #require(Budget(maxCredits: 90, per: .day, timeZone: "UTC").windowStart(containing: sim.clock.now()))
            #expect(try ledger.creditsCommitted(since: dayStart, manifest: "daily") == 90)

            // 4. The next day the budget starts again: the last three songs are made.
            sim.clock.advance(by: 24 * 3600)
            let nextDay = OutputLog()
            #expect(await sim.run(path, log: nextDay).exitCode == 0, "\(nextDay.text)")
            #expect(await sim.simulator.acceptedCreates == 6)
            #expect(nextDay.text.contains("0 spent today, 90 left"), "\(nextDay.text)")
        }
    }

    @Test func aBudgetForTheWholeRootIsSharedByItsManifests() async throws {
        try await RunnerHarness.with { sim in
            let first = try sim.manifest(Self.manifest(name: "a", songs: 2, budget: ""), name: "a")
            let second = try sim.manifest(Self.manifest(name: "b", songs: 2, budget: ""), name: "b")
            let shared = Budget(maxCredits: 90, per: .week, timeZone: "UTC")
            #expect(await sim.run(first) { $0.budget = shared }.exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 2)
            // b's own manifest has no budget; the root's week has 30 left: one song, one over budget.
            let log = OutputLog()
            #expect(await sim.run(second, log: log) { $0.budget = shared }.exitCode == 3, "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 3)
            #expect(log.text.contains("budget 90 credits per week (UTC): 60 spent this week, 30 left"), "\(log.text)")
        }
    }

    @Test func windowsStartAtMidnightMondayAndTheFirstInTheirTimeZone() throws {
        // Wednesday 2026-11-18 23:30 UTC is Thursday 00:30 in Berlin.
        let now = try #require(ISO8601DateFormatter().date(from: "2026-11-18T23:30:00Z"))
        let stamp = { (date: Date?) in date.map { ISO8601DateFormatter().string(from: $0) } }
        #expect(stamp(Budget(maxCredits: 1, per: .day, timeZone: "UTC").windowStart(containing: now)) == "2026-11-18T00:00:00Z")
        #expect(stamp(Budget(maxCredits: 1, per: .day, timeZone: "Europe/Berlin").windowStart(containing: now)) == "2026-11-18T23:00:00Z")
        #expect(stamp(Budget(maxCredits: 1, per: .week, timeZone: "UTC").windowStart(containing: now)) == "2026-11-16T00:00:00Z")
        #expect(stamp(Budget(maxCredits: 1, per: .month, timeZone: "UTC").windowStart(containing: now)) == "2026-11-01T00:00:00Z")
        #expect(Budget(maxCredits: 1).windowStart(containing: now) == nil)
    }
}
