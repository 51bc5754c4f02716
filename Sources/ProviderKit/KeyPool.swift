public import BatchManifest
import Crypto
import Foundation

/// Names a secret without revealing it: the first 12 hex digits of its SHA-256, prefixed
/// `key:`. What the ledger, reports and logs record about which key created an item.
public enum KeyFingerprint {
    public static func of(_ secret: String) -> String {
        "key:" + SHA256.hash(data: Data(secret.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }
}

/// Several keys (or useapi.net accounts) of one provider as one provider. Every create names
/// the key to use (``Submission/account``, chosen by the runner's per-key limits); every item
/// it answers carries that key's fingerprint, and every later call about the item (status,
/// file locations, a child's create) goes to the same key, the only one that can see it.
/// Balances add up; a lost answer is looked for with the key that sent the create.
public struct KeyPoolProvider: GenerationProvider {
    public struct Member: Sendable {
        public let fingerprint: String
        public let provider: any GenerationProvider

        public init(fingerprint: String, provider: any GenerationProvider) {
            self.fingerprint = fingerprint
            self.provider = provider
        }
    }

    public let members: [Member]

    /// `members` must not be empty; the first is the key of items recorded without one.
    public init(_ members: [Member]) {
        precondition(!members.isEmpty, "a key pool needs a key")
        self.members = members
    }

    public var accounts: [String] { members.map(\.fingerprint) }

    /// The member a fingerprint names; the first for nil or a fingerprint no longer configured
    /// (its calls then fail as the provider's "not found", and the item waits for its key).
    public func member(_ fingerprint: String?) -> any GenerationProvider {
        members.first { $0.fingerprint == fingerprint }?.provider ?? members[0].provider
    }

    public var capabilities: ProviderCapabilities { members[0].provider.capabilities }

    public var suggestedConcurrency: Int? { members[0].provider.suggestedConcurrency }

    public func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
        let account = submission.account ?? members[0].fingerprint
        return try await member(account).submit(submission).map { ref in
            var ref = ref
            ref.account = account
            return ref
        }
    }

    /// The member's own grouping, per key: one call never mixes keys.
    public func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] {
        guard members.count > 1 else { return members[0].provider.statusGroups(refs) }
        var order: [String] = []
        var byKey: [String: [ItemRef]] = [:]
        for ref in refs {
            let key = ref.account ?? members[0].fingerprint
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(ref)
        }
        return order.flatMap { member($0).statusGroups(byKey[$0] ?? []) }
    }

    public func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport] {
        try await member(group.first?.account).status(group)
    }

    public func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation {
        try await member(ref.account).location(of: file, for: ref, report: report, stale: stale)
    }

    public var reconcilesLostAnswers: Bool { members.contains { $0.provider.reconcilesLostAnswers } }

    public func reconcile(_ submission: Submission, sentAfter: Double, excluding known: Set<String>) async throws(ProviderError) -> Reconciliation? {
        let account = submission.account ?? members[0].fingerprint
        return try await member(account).reconcile(submission, sentAfter: sentAfter, excluding: known).map { found in
            Reconciliation(refs: found.refs.map { ref in
                var ref = ref
                ref.account = account
                return ref
            }, evidence: found.evidence)
        }
    }

    /// The sum of every key's balance; nil when one of them has no balance route.
    public func balance() async throws(ProviderError) -> Double? {
        var total = 0.0
        for member in members {
            guard let balance = try await member.provider.balance() else { return nil }
            total += balance
        }
        return total
    }
}
