public import Foundation

/// `run --until`: when a run stops submitting.
public enum Deadline {
    /// How long after an `HH:MM` deadline it still counts as today's (passed) rather than
    /// tomorrow's: 6 hours.
    public static let recentlyPassed: TimeInterval = 6 * 3600

    /// `HH:MM` (local time in `timeZone`): the next moment the clock shows it, unless it showed
    /// it less than ``recentlyPassed`` ago: then that moment (the deadline has passed), so that a
    /// restart at 07:45 with `--until 07:30` submits nothing instead of running until tomorrow.
    /// Or an ISO 8601 date-time with its offset (`2026-11-23T07:30:00+01:00`, `…Z`). Nil when it
    /// is neither.
    public static func parse(until text: String, now: Date, timeZone: TimeZone = .current) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
           let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let matching = DateComponents(hour: hour, minute: minute, second: 0)
            if let previous = calendar.nextDate(after: now, matching: matching, matchingPolicy: .nextTime, direction: .backward),
               now.timeIntervalSince(previous) < recentlyPassed {
                return previous
            }
            return calendar.nextDate(after: now, matching: matching, matchingPolicy: .nextTime)
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: trimmed) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: trimmed)
    }
}
