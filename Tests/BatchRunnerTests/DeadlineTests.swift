import BatchLedger
import BatchManifest
@testable import BatchRunner
import Foundation
import Testing

/// `run --until` / `--for`: past the deadline nothing new is submitted; what was paid for is
/// still tracked and filed for the grace period. Virtual time throughout.
@Suite("Deadlines end the night")
struct DeadlineTests {
    static let manifest = BudgetWindowTests.manifest(name: "night", songs: 6, budget: "")

    @Test func everythingStartedFinishesAndTheRestIsLeftForTheNextNight() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            let log = OutputLog()
            // One task at a time: the first create goes out at once, the deadline comes a second later.
            let deadline = sim.clock.now().addingTimeInterval(1)
            let result = await sim.run(path, log: log) { $0.deadline = deadline; $0.grace = .seconds(3600) }
            #expect(result.exitCode == 0, "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 1)
            #expect(log.text.contains("reached: no new submissions"), "\(log.text)")
            #expect(log.text.contains("everything started finished; 5 task(s) left for the next run"), "\(log.text)")
            let tasks = try sim.ledger().allTasks()
            #expect(tasks.filter { $0.state == .downloaded }.count == 1)
            #expect(tasks.filter { $0.state == .pending }.count == 5)
            let report = try #require(result.report).deletingPathExtension().appendingPathExtension("json")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
            #expect((json["notRun"] as? [[String: Any]])?.count == 5)
            #expect((json["notRun"] as? [[String: Any]])?.allSatisfy { ($0["reason"] as? String)?.contains("past the deadline") == true } == true)

            // The next night, without a deadline, makes the other five and pays nothing twice.
            #expect(await sim.run(path).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 6)
        }
    }

    @Test func paidWorkNotFiledWithinTheGraceIsTheStoppedExitCode() async throws {
        try await RunnerHarness.with { sim in
            let path = try sim.manifest(Self.manifest)
            let log = OutputLog()
            let result = await sim.run(path, log: log) { $0.deadline = sim.clock.now().addingTimeInterval(1); $0.grace = .seconds(2) }
            #expect(result.exitCode == Runner.ExitCode.deadline, "\(log.text)")
            #expect(log.text.contains("1 paid task(s) not yet filed, 5 left for the next run"), "\(log.text)")
            #expect(await sim.simulator.acceptedCreates == 1)
            // The next run tracks the paid item instead of paying again.
            #expect(await sim.run(path).exitCode == 0)
            #expect(await sim.simulator.acceptedCreates == 6)
        }
    }

    @Test func untilTakesAClockTimeOrAnISODateTime() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        let now = try #require(ISO8601DateFormatter().date(from: "2026-11-22T05:42:00Z"))
        let stamp = { (date: Date?) in date.map { ISO8601DateFormatter().string(from: $0) } }
        #expect(stamp(Deadline.parse(until: "07:30", now: now, timeZone: utc)) == "2026-11-22T07:30:00Z")
        // Passed less than six hours ago: the deadline has passed (a restart does not run on until tomorrow) …
        #expect(stamp(Deadline.parse(until: "05:00", now: now, timeZone: utc)) == "2026-11-22T05:00:00Z")
        // … longer ago: tomorrow's (an evening start until the morning).
        #expect(stamp(Deadline.parse(until: "23:00", now: now, timeZone: utc)) == "2026-11-22T23:00:00Z")
        let evening = try #require(ISO8601DateFormatter().date(from: "2026-11-22T19:00:00Z"))
        #expect(stamp(Deadline.parse(until: "07:30", now: evening, timeZone: utc)) == "2026-11-23T07:30:00Z")
        #expect(stamp(Deadline.parse(until: "2026-11-23T07:30:00+01:00", now: now)) == "2026-11-23T06:30:00Z")
        for bad in ["7:30", "24:00", "07:60", "tomorrow", ""] { #expect(Deadline.parse(until: bad, now: now) == nil, "\(bad)") }
    }
}
