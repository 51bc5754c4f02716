import BatchManifest
import Foundation
public import ProviderKit

/// Finding the job a create whose answer was lost may have made. useapi POSTs are not
/// idempotent, so instead of paying again the runner asks for evidence: first the executing
/// jobs (each carries the `replyRef` it was created with), then the recent generations,
/// matched by prompt, lyrics and model, created after the submission was sent.
extension UseAPIProvider {
    /// How far back before the submission a listed generation may be dated (clock skew).
    static let clockSlack: Double = 120
    /// Pages of the generations listing read at most.
    static let listingPages = 5

    public func reconcile(_ submission: Submission, sentAfter: Double, excluding known: Set<String>) async throws(ProviderError) -> Reconciliation? {
        guard submission.kind == .song || submission.kind == .instrumental else { return nil }
        do {
            let executing = try await client.executingJobs()
            if let entry = executing.first(where: { $0.replyRef == submission.reference && !known.contains($0.jobID) }) {
                return Reconciliation(refs: [ItemRef(id: entry.jobID, kind: submission.kind, chain: submission.chain)],
                                      evidence: "replyRef \(submission.reference.prefix(12)) among the executing jobs (GET /scheduler)")
            }
            var cursor: String?
            var pagesRead = 0
            for _ in 0..<Self.listingPages {
                pagesRead += 1
                let page = try await client.generations(userID: userID, cursor: cursor)
                let candidates = page.records.filter { isCandidate($0, submission, sentAfter: sentAfter, known: known) }
                if let oldest = candidates.min(by: { ($0.createdAt ?? 0) < ($1.createdAt ?? 0) }), let jobID = oldest.jobID {
                    let created = oldest.createdAt.map { Date(timeIntervalSince1970: $0).formatted(.iso8601) } ?? "?"
                    return Reconciliation(refs: [ItemRef(id: jobID, kind: submission.kind, chain: submission.chain)],
                                          evidence: "a generation with the same prompt, lyrics and model created at \(created), after the submission (GET /music)")
                }
                // Newest first: once a page reaches before the submission, older pages cannot match.
                let oldestOnPage = page.records.compactMap(\.createdAt).min() ?? 0
                guard let next = page.next, oldestOnPage >= sentAfter - Self.clockSlack else {
                    // Read back past the submission: not executing, not listed, so never made.
                    return .nothingCreated("replyRef \(submission.reference.prefix(12)) is not among the executing jobs and no generation since the submission matches (GET /scheduler, \(pagesRead) page(s) of GET /music)")
                }
                cursor = next
            }
            return nil
        } catch {
            throw Self.providerError(error, isCreate: false)
        }
    }

    private func isCandidate(_ job: UseAPIJob, _ submission: Submission, sentAfter: Double, known: Set<String>) -> Bool {
        guard let jobID = job.jobID, !known.contains(jobID), let created = job.createdAt, created >= sentAfter - Self.clockSlack else { return false }
        func same(_ a: String?, _ b: String?) -> Bool {
            (a ?? "").trimmingCharacters(in: .whitespacesAndNewlines) == (b ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard same(job.prompt, submission.prompt) else { return false }
        if submission.kind == .song, let lyrics = submission.lyrics, !lyrics.isEmpty, !same(job.lyrics, lyrics) { return false }
        let table = submission.kind == .song ? Self.songModels : Self.instrumentalModels
        if let wanted = Self.wireModel(submission.model, table: table), let listed = job.modelName, listed != wanted { return false }
        return true
    }
}
