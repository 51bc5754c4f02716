public import BatchManifest
import Foundation
public import ProviderKit

/// useapi.net's TemPolor wrapper as a ``GenerationProvider``: songs and instrumentals (no
/// extend, no lyrics route, no stems of outside files), one GET per job to poll, files through
/// the download route, and lost create answers found again by `replyRef`.
public struct UseAPIProvider: GenerationProvider {
    let client: UseAPIClient
    /// Manifest options: `user_id` (which linked account) and `max_jobs`.
    let userID: String?
    let maxJobs: Int?

    public init(client: UseAPIClient, userID: String? = nil, maxJobs: Int? = nil) {
        self.client = client
        self.userID = userID
        self.maxJobs = maxJobs
    }

    /// Our model names and useapi's own, both accepted.
    static let songModels: [String: String] = [
        "TemPolor v3": "v3", "TemPolor v3.5": "v3.5", "TemPolor v4.5": "v4.5+", "tempolor-latest": "v4.8",
        "v3": "v3", "v3.5": "v3.5", "v4.5+": "v4.5+", "v4.8": "v4.8",
    ]
    static let instrumentalModels: [String: String] = [
        "TemPolor i3": "i3", "TemPolor i3.5": "i3.5", "TemPolor i4": "i4", "i3": "i3", "i3.5": "i3.5", "i4": "i4",
    ]

    public static let capabilities = ProviderCapabilities(
        name: "useapi", extend: false, lyricsGeneration: false, instrumental: true, chainStems: .download, stemsOfURL: false,
        voiceID: false, instrumentalParameters: true, songModels: songModels.keys.sorted(), instrumentalModels: instrumentalModels.keys.sorted()
    )

    public var capabilities: ProviderCapabilities { Self.capabilities }

    /// Lost creates are found again by `replyRef` and the generations listing.
    public var reconcilesLostAnswers: Bool { true }

    /// useapi runs at most `max_jobs` (default 10) jobs of an account at once.
    public var suggestedConcurrency: Int? { maxJobs ?? 10 }

    /// The wire name of a model: mapped when known, else as written (validation warned).
    static func wireModel(_ name: String?, table: [String: String]) -> String? {
        name.map { table[$0] ?? $0 }
    }

    // MARK: Submit

    public func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
        switch submission.kind {
        case .song, .instrumental:
            let jobs: [String]
            do {
                jobs = submission.kind == .song
                    ? try await client.createSong(body(for: submission))
                    : try await client.createInstrumental(body(for: submission))
            } catch {
                throw Self.providerError(error, isCreate: true)
            }
            return jobs.map { ItemRef(id: $0, kind: submission.kind, chain: submission.chain) }
        case .stems:
            // Stems of a chain are a download format of the chain's own job: nothing to create.
            guard let parent = submission.parent else { throw ProviderError(.permanent, "useapi only splits its own generations") }
            return [ItemRef(id: parent.id, kind: .stems, chain: submission.chain)]
        case .extend, .lyrics, .cover, .midi:
            throw ProviderError(.permanent, "useapi has no \(submission.kind.rawValue) route")
        }
    }

    func body(for submission: Submission) -> [String: JSONValue] {
        var body: [String: JSONValue] = ["prompt": .string(submission.prompt ?? ""), "replyRef": .string(submission.reference)]
        if submission.kind == .song {
            if let lyrics = submission.lyrics, !lyrics.isEmpty { body["lyrics"] = .string(lyrics) }
            if let model = Self.wireModel(submission.model, table: Self.songModels) { body["model_song"] = .string(model) }
        } else {
            if let model = Self.wireModel(submission.model, table: Self.instrumentalModels) { body["model_instrumental"] = .string(model) }
            if let tonality = submission.tonality { body["tonality"] = .string(tonality) }
            if let bpm = submission.bpm { body["bpm"] = .number(Double(bpm)) }
            // One page spells it `chord`; the wrapper's own example code sends `chords`.
            if let chords = submission.chords { body["chords"] = .string(chords) }
        }
        if let userID { body["user_id"] = .string(userID) }
        if let maxJobs { body["maxJobs"] = .number(Double(maxJobs)) }
        if submission.callbackURL.hasPrefix("http"), !submission.callbackURL.contains(".invalid/") {
            body["replyUrl"] = .string(submission.callbackURL)
        }
        return body
    }

    // MARK: Status

    /// One job per GET.
    public func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] { refs.map { [$0] } }

    public func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport] {
        var reports: [String: ItemReport] = [:]
        for ref in group {
            do {
                reports[ref.id] = Self.report(try await client.job(ref.id), kind: ref.kind)
            } catch {
                throw Self.providerError(error, isCreate: false)
            }
        }
        return reports
    }

    static func report(_ job: UseAPIJob, kind: TaskKind) -> ItemReport {
        let phase: ItemReport.Phase
        switch job.status {
        case UseAPIJob.completed?: phase = .succeeded
        case UseAPIJob.failed?: phase = .failed("useapi reported the generation FAILED")
        default: phase = .working
        }
        var report = ItemReport(phase: phase, providerStatus: job.statusName ?? job.status.map(String.init) ?? "unknown", raw: job.raw)
        report.progress = job.progress
        report.title = job.title
        report.duration = job.duration
        report.bpm = job.bpm
        report.key = job.key
        report.lyrics = job.lyrics
        if kind == .stems {
            report.files = [.stems]
        } else {
            report.files = job.wavAvailable ? [.mp3, .wav] : [.mp3]
        }
        return report
    }

    // MARK: Files

    /// Every file comes from the download route, which answers a short-lived signed URL: ask
    /// each time. A 404 right after COMPLETED means "not ready yet" (retried, bounded); 410
    /// means the results expired (kept about 7 days).
    public func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation {
        do {
            return FileLocation(url: try await client.download(ref.id, format: file.rawValue).url)
        } catch {
            switch error.status {
            case 404:
                throw ProviderError(.transient(retryAfter: 2), "the \(file.rawValue) of \(ref.id) is not ready yet (HTTP 404 right after COMPLETED)")
            case 410:
                throw ProviderError(.permanent, "the results of \(ref.id) have expired at useapi.net (kept about 7 days; HTTP 410)")
            case 400:
                throw ProviderError(.transient(retryAfter: 2), "the \(file.rawValue) of \(ref.id) is not available yet: \(error.message)")
            default:
                throw Self.providerError(error, isCreate: false)
            }
        }
    }

    static func providerError(_ error: UseAPIError, isCreate: Bool) -> ProviderError {
        ProviderError(error.classification(isCreate: isCreate), "useapi: \(error.description)", slowDown: error.asksToSlowDown)
    }
}
