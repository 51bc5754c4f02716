public import Foundation

/// How long a budget lasts: one run (the default), or a calendar day, week (from Monday) or
/// month in the budget's time zone. A window's spend is read from the ledger, so a restart, a
/// second cron line or a re-run within the window continues its count.
public enum BudgetPeriod: String, Sendable, Codable, CaseIterable {
    case run
    case day
    case week
    case month

    /// How a report or plan names the current window: "today", "this week", "this month".
    public var current: String {
        switch self {
        case .run: "this run"
        case .day: "today"
        case .week: "this week"
        case .month: "this month"
        }
    }
}

extension BudgetPeriod {
    /// Where the window of this period that holds `now` began, counted in `timeZone` (an IANA
    /// name; nil: the machine's); nil for `run`.
    public func windowStart(containing now: Date, timeZone: String? = nil) -> Date? {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone.flatMap(TimeZone.init(identifier:)) ?? .current
        switch self {
        case .run: return nil
        case .day: return calendar.startOfDay(for: now)
        case .week: return calendar.dateInterval(of: .weekOfYear, for: now)?.start
        case .month: return calendar.dateInterval(of: .month, for: now)?.start
        }
    }
}

extension Budget {
    /// Where the window that holds `now` began; nil for a per-run budget.
    public func windowStart(containing now: Date) -> Date? {
        per.windowStart(containing: now, timeZone: timeZone)
    }

    /// The time zone the windows are counted in (the machine's unless named).
    public var calendarTimeZone: String { timeZone ?? TimeZone.current.identifier }

    /// "300 credits per day (Europe/Berlin)", "300 credits per run".
    public var description: String {
        "\(maxCredits.plainText) credits per \(per.rawValue)" + (per != .run ? " (\(calendarTimeZone))" : "")
    }
}

/// What a budget window has spent and has left, from the ledger.
public struct BudgetStanding: Sendable, Equatable {
    public var budget: Budget
    /// Where the window began (nil: per run).
    public var windowStart: Date?
    /// Credits committed in the window before this run.
    public var spent: Double

    public init(budget: Budget, windowStart: Date?, spent: Double) {
        self.budget = budget
        self.windowStart = windowStart
        self.spent = spent
    }

    public var left: Double { max(0, budget.maxCredits - spent) }

    /// "budget 300 credits per day (UTC): 120 spent today, 180 left".
    public var summary: String {
        budget.per == .run ? "budget \(budget.maxCredits.plainText) credits per run"
            : "budget \(budget.description): \(spent.plainText) spent \(budget.per.current), \(left.plainText) left"
    }
}
