import BatchLedger
import Foundation

/// `ambiguity: { balance_check: true }`: whether ambiguous creates were paid, from the account's
/// balance. With the balance read before the first create of the run in which a lost create was
/// sent, and again at a quiet moment (no create in flight), what was billed minus the prices of
/// every create answered since then is what the ambiguous creates cost. Nothing unexplained
/// proves none was paid: they go back to `pending` and are submitted without asking. Anything
/// else leaves them ambiguous, with the figures recorded. Valid only when nothing else spends
/// on (or tops up) the account meanwhile: the manifest's `balance_check` is that promise.
enum BalanceProof {
    struct Verdict: Sendable {
        /// Tasks proven unpaid and put back to pending.
        var released: [String] = []
        /// What was found, for the log.
        var note: String?
    }

    static func resolve(ledger: Ledger, balance: Double, run: Int64) -> Verdict {
        guard let figures = try? ledger.balanceProofFigures() else {
            return Verdict(note: nil)
        }
        let billed = figures.balanceAtStart - balance
        let unexplained = billed - figures.answeredCost
        let pending = figures.ambiguous.reduce(0) { $0 + $1.cost }
        let cheapest = figures.ambiguous.map(\.cost).filter { $0 > 0 }.min() ?? 1
        let tolerance = min(0.5, cheapest / 2)
        let summary = "balance \(figures.balanceAtStart.plainText) before run \(figures.sinceRun), \(balance.plainText) now: "
            + "\(billed.plainText) credits billed, \(figures.answeredCost.plainText) by answered creates, \(unexplained.plainText) unexplained; "
            + "\(figures.ambiguous.count) ambiguous create(s) priced \(pending.plainText)"
        var verdict = Verdict()
        if abs(unexplained) <= tolerance {
            let reason = "balance proof: none of the ambiguous creates was paid (\(summary)); submitted again without asking"
            for (key, _) in figures.ambiguous {
                if (try? ledger.recordPending(key, reason: reason, run: run, actor: "balance-proof")) != nil { verdict.released.append(key) }
            }
            verdict.note = "balance proof: none of \(figures.ambiguous.count) ambiguous create(s) was paid (\(summary)); they are submitted again"
        } else {
            let finding: String
            if unexplained < 0 {
                finding = "the balance rose (a top-up or a refund), so it proves nothing"
            } else if abs(unexplained - pending) <= tolerance {
                finding = "every ambiguous create was paid; their items are unknown"
            } else {
                finding = "some ambiguous creates were paid, or something else spent on the account"
            }
            for (key, _) in figures.ambiguous {
                try? ledger.recordEvidence(key, detail: "balance proof: \(finding) (\(summary)); left ambiguous", run: run)
            }
            verdict.note = "balance proof: \(finding) (\(summary)); left ambiguous"
        }
        return verdict
    }
}
