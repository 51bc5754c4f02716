import BatchLedger
import BatchManifest
import Foundation
import ProviderKit

/// Ambiguity resolved by evidence before it is put to a human: after a lost create answer, and
/// for tasks left ambiguous (or found in `submitting`) by an earlier run, the provider is asked
/// what the create did (useapi: `replyRef` among the executing jobs, then the recent
/// generations). Found → the task adopts the item; proven absent → it is sent again, which
/// cannot pay twice; no evidence → the task stays ambiguous. Every verdict is recorded with the
/// evidence it rests on.
extension TaskExecutor {
    enum Verdict: Sendable {
        /// The task adopted the item the lost create made (now `submitted`).
        case adopted(TaskRecord)
        /// The provider's records show nothing was made.
        case nothingCreated(String)
        case unknown
    }

    /// Asks the provider once. One reconciliation runs at a time, so two tasks never adopt the
    /// same item.
    func reconcile(_ task: GraphTask, _ submission: Submission, sentAfter: Date, lost: String) async -> Verdict {
        guard context.provider.reconcilesLostAnswers else { return .unknown }
        do {
            try await context.idle { try await context.reconciliations.acquire() }
        } catch {
            return .unknown
        }
        let verdict = await lookFor(task, submission, sentAfter: sentAfter, lost: lost)
        await context.reconciliations.release()
        return verdict
    }

    /// After a lost answer in this run: found → adopt; absent twice, a backoff apart (a job may
    /// take a moment to be listed) → nothing was created.
    func reconcileLostAnswer(_ task: GraphTask, _ submission: Submission, sentAfter: Date, lost: String) async -> Verdict {
        let first = await reconcile(task, submission, sentAfter: sentAfter, lost: lost)
        guard case .nothingCreated = first else { return first }
        guard await context.pause(attempt: 0, retryAfter: nil) else { return .unknown }
        return await reconcile(task, submission, sentAfter: sentAfter, lost: lost)
    }

    private func lookFor(_ task: GraphTask, _ submission: Submission, sentAfter: Date, lost: String) async -> Verdict {
        do {
            let known = try ledger.itemIDs(kinds: [task.kind.rawValue])
            let provider = context.provider
            let found = try await context.retrying.run { () async throws(ProviderError) in
                try await provider.reconcile(submission, sentAfter: sentAfter.timeIntervalSince1970, excluding: known)
            }
            guard let found else { return .unknown }
            guard let ref = found.refs.first else {
                try ledger.recordEvidence(task.key.hex, detail: "the lost create made nothing: \(found.evidence)", run: runID)
                return .nothingCreated(found.evidence)
            }
            let adopted = try ledger.recordAdopted(task.key.hex, itemID: ref.id, evidence: found.evidence, run: runID)
            context.progress.transition(task, nil, .submitted, "item \(ref.id) found again after a lost answer (\(lost)): \(found.evidence)")
            return .adopted(adopted)
        } catch {
            context.progress.warn("\(task.output) \(task.fileStem) \(task.key.short): could not look for the lost submission's item: \(error)")
            return .unknown
        }
    }

    /// For a task that is ambiguous since an earlier run: look for evidence once more. Proof
    /// that nothing was made puts it back to `pending`, to be submitted like any new task.
    func reconcileEarlier(_ task: GraphTask, _ record: TaskRecord) async -> TaskRecord? {
        guard context.provider.reconcilesLostAnswers, var submission = try? makeSubmission(task) else { return nil }
        // Looked for with the key the create was sent with.
        submission.account = record.account
        let sentAfter = (try? ledger.lastSubmission(of: task.key.hex)) ?? record.updatedAt
        switch await reconcile(task, submission, sentAfter: sentAfter, lost: record.error ?? "ambiguous since an earlier run") {
        case .adopted(let adopted):
            return adopted
        case .nothingCreated(let evidence):
            let reason = "the earlier create made nothing (\(evidence)); it is submitted again"
            guard let pending = try? ledger.recordPending(task.key.hex, reason: reason, run: runID, actor: "reconciler") else { return nil }
            context.progress.transition(task, .ambiguous, .pending, reason)
            return pending
        case .unknown:
            return nil
        }
    }
}
