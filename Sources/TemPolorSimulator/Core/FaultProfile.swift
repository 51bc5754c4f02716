import Foundation

/// Which faults to inject and how often. Decisions are deterministic: they depend only on the
/// seed, the path and how many calls that path has had.
public struct FaultProfile: Sendable, Codable, Equatable {
    /// Per-path fault probabilities; the first rule whose path matches wins (`*` matches every
    /// API path of both surfaces, a trailing `*` matches a prefix). useapi routes with a job id
    /// are keyed by their pattern, such as `/v1/tempolor/music/{job}`.
    public var rules: [Rule] = []
    public var downloads: [DownloadFault: Double] = [:]
    public var outcomes: [OutcomeFault: Double] = [:]
    /// Milliseconds a `slow` answer waits (not time-scaled).
    public var slowDelayMilliseconds = 300
    /// Seconds sent in `Retry-After` with HTTP 429.
    public var retryAfterSeconds = 1

    public struct Rule: Sendable, Codable, Equatable {
        public var path: String
        public var faults: [CallFault: Double]

        public init(path: String, faults: [CallFault: Double]) {
            self.path = path
            self.faults = faults
        }

        func matches(_ candidate: String) -> Bool {
            if path == "*" { return true }
            if path.hasSuffix("*") { return candidate.hasPrefix(path.dropLast()) }
            return candidate == path
        }
    }

    public init(rules: [Rule] = [], downloads: [DownloadFault: Double] = [:], outcomes: [OutcomeFault: Double] = [:]) {
        self.rules = rules
        self.downloads = downloads
        self.outcomes = outcomes
    }

    public static let none = FaultProfile()

    /// About 20% of API calls hit by some fault, lost answers on creates included; 10% of
    /// downloads truncated. Task outcomes stay normal (use a profile file for those).
    public static let flaky = FaultProfile(
        rules: [Rule(path: "*", faults: [
            .internalError: 0.03, .serverBusy: 0.02, .parallelLimit: 0.02, .http500: 0.03, .http502: 0.02,
            .http429: 0.03, .dropBefore: 0.02, .lostAnswer: 0.03, .slow: 0.02,
        ])],
        downloads: [.truncated: 0.1, .slow: 0.05]
    )

    /// About 16% of API calls refused in ways that provably create nothing (busy, rate-limited,
    /// parallel limit, slow answers), 10% of downloads truncated: everything a client must retry,
    /// nothing that leaves a create's outcome unknown. For crash tests that count creates.
    public static let transient = FaultProfile(
        rules: [Rule(path: "*", faults: [.internalError: 0.04, .serverBusy: 0.03, .parallelLimit: 0.03, .http429: 0.03, .slow: 0.03])],
        downloads: [.truncated: 0.1]
    )

    /// `none`, `flaky`, `transient`, or a path to a JSON file holding a profile.
    public static func named(_ name: String) throws -> FaultProfile {
        switch name {
        case "none": return .none
        case "flaky": return .flaky
        case "transient": return .transient
        default:
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: name))
            } catch {
                throw ProfileError(file: name, underlying: "it is not 'none', 'flaky', 'transient' or a readable JSON file")
            }
            do {
                return try JSONDecoder().decode(FaultProfile.self, from: data)
            } catch {
                throw ProfileError(file: name, underlying: "\(error)")
            }
        }
    }

    public struct ProfileError: Error, CustomStringConvertible {
        public let file: String
        public let underlying: String
        public var description: String { "cannot read the fault profile \(file): \(underlying)" }
    }

    private enum CodingKeys: String, CodingKey {
        case rules, downloads, outcomes
        case slowDelayMilliseconds = "slow_delay_ms"
        case retryAfterSeconds = "retry_after_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rules = try container.decodeIfPresent([Rule].self, forKey: .rules) ?? []
        downloads = try Self.decodeMap(container, .downloads)
        outcomes = try Self.decodeMap(container, .outcomes)
        slowDelayMilliseconds = try container.decodeIfPresent(Int.self, forKey: .slowDelayMilliseconds) ?? 300
        retryAfterSeconds = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? 1
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rules, forKey: .rules)
        try container.encode(Dictionary(uniqueKeysWithValues: downloads.map { ($0.key.rawValue, $0.value) }), forKey: .downloads)
        try container.encode(Dictionary(uniqueKeysWithValues: outcomes.map { ($0.key.rawValue, $0.value) }), forKey: .outcomes)
        try container.encode(slowDelayMilliseconds, forKey: .slowDelayMilliseconds)
        try container.encode(retryAfterSeconds, forKey: .retryAfterSeconds)
    }

    private static func decodeMap<Key: RawRepresentable & Hashable>(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> [Key: Double] where Key.RawValue == String {
        let raw = try container.decodeIfPresent([String: Double].self, forKey: key) ?? [:]
        var result: [Key: Double] = [:]
        for (name, probability) in raw {
            guard let parsed = Key(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "unknown fault '\(name)'")
            }
            result[parsed] = probability
        }
        return result
    }

    /// Picks a fault for a draw `u` in [0, 1) from cumulative probabilities in a fixed order.
    static func pick<Fault: CaseIterable & Hashable>(_ table: [Fault: Double], _ u: Double, allowed: (Fault) -> Bool = { _ in true }) -> Fault? {
        var cumulative = 0.0
        for fault in Fault.allCases where allowed(fault) {
            cumulative += table[fault] ?? 0
            if u < cumulative { return fault }
        }
        return nil
    }
}

extension FaultProfile.Rule {
    private enum CodingKeys: String, CodingKey { case path, faults }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        let raw = try container.decode([String: Double].self, forKey: .faults)
        var faults: [CallFault: Double] = [:]
        for (name, probability) in raw {
            guard let fault = CallFault(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: .faults, in: container, debugDescription: "unknown fault '\(name)' (one of \(CallFault.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            faults[fault] = probability
        }
        self.faults = faults
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(Dictionary(uniqueKeysWithValues: faults.map { ($0.key.rawValue, $0.value) }), forKey: .faults)
    }
}
