import BatchManifest
import ProviderKit

/// Tells a test clock when the run is waiting on the outside world (a provider call, a file
/// download), so that virtual time advances only while the run is quiescent: every task either
/// asleep on the clock or waiting on another task. Production runs have none.
public protocol RunActivity: Sendable {
    func begin()
    func end()
}

extension RunActivity {
    /// Runs `work` as outside activity.
    func during<T>(_ work: () async throws -> T) async rethrows -> T {
        begin()
        defer { end() }
        return try await work()
    }
}

/// A provider whose calls are reported to a ``RunActivity``.
struct ReportedProvider: GenerationProvider {
    let base: any GenerationProvider
    let activity: any RunActivity

    var capabilities: ProviderCapabilities { base.capabilities }
    var suggestedConcurrency: Int? { base.suggestedConcurrency }
    var reconcilesLostAnswers: Bool { base.reconcilesLostAnswers }
    var accounts: [String] { base.accounts }

    func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
        activity.begin()
        defer { activity.end() }
        return try await base.submit(submission)
    }

    func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] { base.statusGroups(refs) }

    func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport] {
        activity.begin()
        defer { activity.end() }
        return try await base.status(group)
    }

    func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation {
        activity.begin()
        defer { activity.end() }
        return try await base.location(of: file, for: ref, report: report, stale: stale)
    }

    func reconcile(_ submission: Submission, sentAfter: Double, excluding known: Set<String>) async throws(ProviderError) -> Reconciliation? {
        activity.begin()
        defer { activity.end() }
        return try await base.reconcile(submission, sentAfter: sentAfter, excluding: known)
    }

    func balance() async throws(ProviderError) -> Double? {
        activity.begin()
        defer { activity.end() }
        return try await base.balance()
    }
}
