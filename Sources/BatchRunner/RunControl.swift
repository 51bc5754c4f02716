/// Why a run stopped submitting new work.
public enum StopReason: Sendable, Equatable {
    case budget(String)
    case balance(String)
    case fatal(String)
    case signal(Int32)
    /// `--until` / `--for`: nothing new is submitted past the deadline.
    case deadline(String)
}

/// Decisions shared by tasks: whether new submissions may start, and how many credits have
/// been committed against a budget. Controls form a chain: a manifest's (its own budget) under
/// its output root's (`--budget-credits`, shared by every manifest there) under the run's
/// (signals and the deadline stop everything). A stop anywhere up the chain stops the tasks
/// below it; a create is reserved in every budget of the chain or in none.
actor RunControl {
    private var ownStop: StopReason?
    private(set) var committed = 0.0
    let maxCredits: Double?
    let parent: RunControl?
    /// Hears the committed total after every change.
    private let onChange: @Sendable (Double) -> Void

    init(maxCredits: Double?, parent: RunControl? = nil, onChange: @escaping @Sendable (Double) -> Void = { _ in }) {
        self.maxCredits = maxCredits
        self.parent = parent
        self.onChange = onChange
    }

    /// This control's own stop, else the nearest one up the chain.
    var stopReason: StopReason? {
        get async {
            if let ownStop { return ownStop }
            return await parent?.stopReason
        }
    }

    var isStopped: Bool {
        get async { await stopReason != nil }
    }

    func stop(_ reason: StopReason) {
        // The first reason wins, except that a signal always wins (it decides the exit code).
        if ownStop == nil { ownStop = reason }
        if case .signal = reason { ownStop = reason }
    }

    /// Reserves `price` credits for a submission in this budget and every budget up the chain;
    /// false (and the budget that refused stops submitting) when one would be exceeded.
    func reserve(_ price: Double) async -> Bool {
        if let maxCredits, committed + price > maxCredits + 1e-9 {
            stop(.budget("budget of \(Int(maxCredits)) credits reached (\(Int(committed)) committed)"))
            return false
        }
        // Counted before the parent is asked, so a second reservation meanwhile sees it.
        committed += price
        if let parent, !(await parent.reserve(price)) {
            committed -= price
            return false
        }
        onChange(committed)
        return true
    }

    /// Returns credits of a submission that provably created nothing.
    func refund(_ price: Double) async {
        committed -= price
        await parent?.refund(price)
        onChange(committed)
    }
}
