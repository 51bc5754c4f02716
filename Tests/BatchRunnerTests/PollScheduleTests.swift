import BatchManifest
@testable import BatchRunner
import Foundation
import ProviderKit
import Testing

@Suite("Poll schedule: checks around the expected finish")
struct PollScheduleTests {
    static let song = PollProfile(kind: .song, model: "TemPolor v3.5")

    /// The checks an item gets from submission until `until` seconds, with nothing answering final.
    static func checks(_ schedule: PollSchedule, expected: Double?, until: Double) -> [Double] {
        var times: [Double] = []
        var elapsed = 0.0
        while true {
            elapsed = schedule.nextCheck(elapsed: elapsed, expected: expected)
            guard elapsed <= until else { return times }
            times.append(elapsed)
        }
    }

    @Test func withNothingLearnedEveryCheckIsAnIntervalApart() {
        let schedule = PollSchedule(interval: 5)
        #expect(Self.checks(schedule, expected: nil, until: 30) == [5, 10, 15, 20, 25, 30])
        #expect(schedule.nextCheck(elapsed: 7.5, expected: nil) == 12.5)
    }

    @Test func sparseBeforeTheExpectedFinishDenseNearItThenEveryInterval() {
        // Every cap (60 s) until the expected finish, one check on it, every quarter interval
        // for one interval after it, then every interval.
        let schedule = PollSchedule(interval: 5)
        #expect(Self.checks(schedule, expected: 60, until: 75) == [60, 61.25, 62.5, 63.75, 65, 70, 75])
        #expect(Self.checks(schedule, expected: 75, until: 80) == [60, 75, 76.25, 77.5, 78.75, 80])
        // Checked after the expected finish (by a free ride, or late): dense, then every interval.
        #expect(schedule.nextCheck(elapsed: 61, expected: 60) == 62.25)
        #expect(schedule.nextCheck(elapsed: 66, expected: 60) == 71)
        // Close to the finish: the check lands on it, sooner than an interval.
        #expect(schedule.nextCheck(elapsed: 58, expected: 60) == 60)
    }

    @Test func noGapIsLongerThanTheCap() {
        let schedule = PollSchedule(interval: 5)
        #expect(schedule.cap == 60)
        let times = Self.checks(schedule, expected: 600, until: 620)
        let gaps = zip([0] + times, times).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 <= 60 })
        #expect(Array(times.prefix(3)) == [60, 120, 180])
        #expect(times.contains(600))
        #expect(PollSchedule(interval: 5, cap: 12).nextCheck(elapsed: 0, expected: 600) == 12)
        // A cap shorter than the interval is the interval.
        #expect(PollSchedule(interval: 5, cap: 1).nextCheck(elapsed: 0, expected: 600) == 5)
    }

    @Test func theExpectedDurationIsALowQuantileOfTheLastWindowPerKindAndModel() {
        var book = DurationBook(window: 3)
        #expect(book.expected(for: Self.song) == nil)
        book.learn(60, for: Self.song)
        #expect(book.expected(for: Self.song) == 60)
        book.learn(50, for: Self.song)
        #expect(book.expected(for: Self.song) == 50)
        book.learn(300, for: Self.song)
        #expect(book.expected(for: Self.song) == 50)
        // The oldest (60) leaves the window, then 50.
        book.learn(52, for: Self.song)
        #expect(book.expected(for: Self.song) == 50)
        book.learn(70, for: Self.song)
        #expect(book.expected(for: Self.song) == 52)
        // Another model of the same kind, and another kind, learn on their own.
        #expect(book.expected(for: PollProfile(kind: .song, model: "TemPolor v4")) == nil)
        book.learn(30, for: PollProfile(kind: .stems, model: nil))
        #expect(book.expected(for: PollProfile(kind: .stems, model: nil)) == 30)
        #expect(book.expected(for: Self.song) == 52)
        // A full window of 31: the 4th shortest.
        var full = DurationBook()
        for seconds in (1...31).reversed() { full.learn(Double(seconds) + 100, for: Self.song) }
        #expect(full.expected(for: Self.song) == 104)
    }

    @Test func aTightBandOfDurationsIsAimedAtItsSlowEnd() {
        // Within 2 s of each other: the 90th percentile, one check finds nearly all final.
        var book = DurationBook(window: 5, band: 2)
        for seconds in [60, 61, 60.5, 61.5, 60] { book.learn(seconds, for: Self.song) }
        #expect(book.expected(for: Self.song) == 61)
        // One slow item leaves the band as it was.
        book.learn(80, for: Self.song)
        #expect(book.expected(for: Self.song) == 61.5)
        // A second one spreads it: the early end, with dense checks after.
        book.learn(90, for: Self.song)
        #expect(book.expected(for: Self.song) == 60)
    }

    @Test func theFirstCheckOnATightAimCorrectsIt() {
        var book = DurationBook(window: 5, band: 2, step: 1)
        for seconds in [60, 60, 60, 60, 60.0] { book.learn(seconds, for: Self.song) }
        #expect(book.expected(for: Self.song) == 60)
        // Final at the aim: a tenth of a step earlier; not final: nine tenths later.
        book.checkedAtAim(Self.song, final: true)
        #expect(abs((book.expected(for: Self.song) ?? 0) - 59.9) < 1e-9)
        book.checkedAtAim(Self.song, final: false)
        #expect(abs((book.expected(for: Self.song) ?? 0) - 60.8) < 1e-9)
        // Another profile is not moved; without a step nothing is.
        #expect(book.expected(for: PollProfile(kind: .stems, model: nil)) == nil)
        var fixed = DurationBook(window: 5, band: 2)
        fixed.learn(60, for: Self.song)
        fixed.checkedAtAim(Self.song, final: true)
        #expect(fixed.expected(for: Self.song) == 60)
        // Spread out: the 10th percentile, and a tight band later starts from its own 90th.
        book.learn(90, for: Self.song)
        book.learn(95, for: Self.song)
        #expect(book.expected(for: Self.song) == 60)
        book.checkedAtAim(Self.song, final: true)
        #expect(book.expected(for: Self.song) == 60)
        for seconds in [70, 70.5, 71, 70, 70.0] { book.learn(seconds, for: Self.song) }
        #expect(book.expected(for: Self.song) == 70.5)
    }

    /// The durations alone only ever move an aim later (each item is final at the late aim
    /// and teaches it again). With the correction a late aim comes back to where nine items
    /// in ten are final at their first check.
    @Test func aLateAimSettlesAtTheNinetiethPercentile() {
        var book = DurationBook(band: 10, step: 0.4)
        book.learn(65, for: Self.song)
        // True durations 60.0, 60.1, …, 60.9 in turn: the 90th percentile is 60.8.
        var finals: [Bool] = []
        for item in 0..<600 {
            let aim = book.expected(for: Self.song) ?? 0
            let final = 60 + Double(item % 10) / 10 <= aim
            book.checkedAtAim(Self.song, final: final)
            book.learn(final ? aim : aim + 1.25, for: Self.song)
            finals.append(final)
        }
        let aim = book.expected(for: Self.song) ?? 0
        #expect(aim > 60.4 && aim < 61.2, "\(aim)")
        let share = Double(finals.suffix(300).filter { $0 }.count) / 300
        #expect(share > 0.85 && share < 0.95, "\(share)")
        // Without the correction the aim stays where it started.
        var uncorrected = DurationBook(band: 10)
        uncorrected.learn(65, for: Self.song)
        for _ in 0..<600 {
            let aim = uncorrected.expected(for: Self.song) ?? 0
            uncorrected.learn(aim, for: Self.song)
        }
        #expect(uncorrected.expected(for: Self.song) == 65)
    }

    /// TemPolor's grouping: by route, up to 10 ids per call.
    static func groups(_ refs: [ItemRef]) -> [[ItemRef]] {
        let routes: [TaskKind] = [.song, .stems]
        return routes.flatMap { route -> [[ItemRef]] in
            let members = refs.filter { ($0.kind == .stems ? TaskKind.stems : .song) == route }
            return stride(from: 0, to: members.count, by: 10).map { Array(members[$0..<min(members.count, $0 + 10)]) }
        }
    }

    @Test func aRoundCallsOnlyGroupsWithADueItemFilledWithTheSoonestOthers() {
        let now = Date(timeIntervalSince1970: 1_000)
        let songs = (0..<12).map { ItemRef(id: "s\($0)", kind: $0 % 2 == 0 ? .song : .extend, chain: .song) }
        let stems = (0..<3).map { ItemRef(id: "m\($0)", kind: .stems, chain: .song) }
        // s11 and s3 are due; the other songs are due later, s10 soonest, s0 last; no stems is due.
        var due: [ItemRef: Date] = [:]
        for (index, ref) in songs.enumerated() { due[ref] = now + Double(100 - index) }
        due[songs[11]] = now - 2
        due[songs[3]] = now
        for ref in stems { due[ref] = now + 1 }
        let round = PollSchedule.round(songs + stems, due: { due[$0] ?? .distantFuture }, now: now, groups: Self.groups)
        #expect(round.count == 1)
        #expect(round.first?.map(\.id) == ["s11", "s3", "s10", "s9", "s8", "s7", "s6", "s5", "s4", "s2"])

        // Nothing due: no call at all.
        #expect(PollSchedule.round(songs + stems, due: { _ in now + 0.5 }, now: now, groups: Self.groups).isEmpty)
        // Everything due: every group, ten ids at most each.
        let all = PollSchedule.round(songs + stems, due: { _ in now }, now: now, groups: Self.groups)
        #expect(all.map(\.count) == [10, 2, 3])
        // A clock waking a hair early still finds the item due.
        #expect(PollSchedule.round(stems, due: { _ in now + 0.0005 }, now: now, groups: Self.groups).count == 1)
    }
}
