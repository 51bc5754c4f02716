import Foundation

/// Decides which fault each call, download and created task gets: scripted faults first, in
/// order, then the profile's draw. Draws are deterministic: they depend only on the seed, the
/// path and how many calls that path has had.
struct FaultBook: Sendable {
    let seed: UInt64
    /// Paths whose calls create (and bill) work: the only ones a `lost_answer` can hit.
    let createPaths: Set<String>
    var profile: FaultProfile
    private var callsPerPath: [String: UInt64] = [:]
    private var downloadCalls: UInt64 = 0
    private var scripted: [String: [CallFault]] = [:]
    private var scriptedDownloads: [DownloadFault] = []
    private var scriptedOutcomes: [OutcomeFault?] = []
    private var outcomeRandom: SplitMix64

    init(seed: UInt64, profile: FaultProfile, createPaths: Set<String>) {
        self.seed = seed
        self.profile = profile
        self.createPaths = createPaths
        outcomeRandom = SplitMix64(seed: seed ^ SplitMix64.hash("outcomes"))
    }

    /// The fault for this call of `path`: one scripted for the path, else one scripted for
    /// `*`, else the profile's draw.
    mutating func call(path: String) -> CallFault? {
        let call = callsPerPath[path, default: 0]
        callsPerPath[path] = call + 1
        for key in [path, "*"] {
            guard var queue = scripted[key], !queue.isEmpty else { continue }
            let fault = queue.removeFirst()
            scripted[key] = queue.isEmpty ? nil : queue
            return fault
        }
        guard let rule = profile.rules.first(where: { $0.matches(path) }) else { return nil }
        var random = SplitMix64(seed: seed ^ SplitMix64.hash(path) ^ (call &* 0x2545_F491_4F6C_DD1D))
        let isCreate = createPaths.contains(path)
        return FaultProfile.pick(rule.faults, random.unit(), allowed: { $0 != .lostAnswer || isCreate })
    }

    mutating func download() -> DownloadFault? {
        downloadCalls += 1
        if !scriptedDownloads.isEmpty { return scriptedDownloads.removeFirst() }
        var random = SplitMix64(seed: seed ^ SplitMix64.hash("/files") ^ (downloadCalls &* 0x2545_F491_4F6C_DD1D))
        return FaultProfile.pick(profile.downloads, random.unit())
    }

    /// How the next created task ends (nil: normally).
    mutating func outcome() -> OutcomeFault? {
        if !scriptedOutcomes.isEmpty { return scriptedOutcomes.removeFirst() }
        return FaultProfile.pick(profile.outcomes, outcomeRandom.unit())
    }

    mutating func script(_ fault: CallFault, path: String, times: Int) {
        scripted[path, default: []].append(contentsOf: Array(repeating: fault, count: times))
    }

    mutating func script(download fault: DownloadFault, times: Int) {
        scriptedDownloads.append(contentsOf: Array(repeating: fault, count: times))
    }

    mutating func script(outcomes: [OutcomeFault?]) { scriptedOutcomes.append(contentsOf: outcomes) }

    /// Forgets every scripted fault and outcome not used yet.
    mutating func clearScripts() {
        scripted.removeAll()
        scriptedDownloads.removeAll()
        scriptedOutcomes.removeAll()
    }
}
