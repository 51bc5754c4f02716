public import BatchManifest
import Foundation
public import TemPolorClient

/// The TemPolor Open API as a ``GenerationProvider``.
public struct TemPolorProvider: GenerationProvider {
    let client: TemPolorClient

    public init(client: TemPolorClient) { self.client = client }

    public var statusBatchLimit: Int { TemPolorClient.queryLimit }

    public func submit(_ submission: Submission) async throws(ProviderError) -> [String] {
        do {
            switch submission.kind {
            case .song:
                return try await client.generateSong(
                    prompt: submission.prompt ?? "", model: submission.model ?? ModelCatalogue.defaultSongModel,
                    lyrics: submission.lyrics, voiceID: submission.voiceID, callbackURL: submission.callbackURL
                )
            case .instrumental:
                return try await client.generateInstrumental(
                    prompt: submission.prompt ?? "", model: submission.model ?? ModelCatalogue.defaultInstrumentalModel,
                    callbackURL: submission.callbackURL
                )
            case .extend:
                return try await client.extend(
                    submission.route == .instrumental ? .instrumental : .song, itemID: submission.parentItemID ?? "",
                    startTime: submission.startTime ?? 0, lyrics: submission.lyrics, callbackURL: submission.callbackURL
                )
            case .lyrics:
                return try await client.generateLyrics(prompt: submission.prompt ?? "", songModel: submission.model, callbackURL: submission.callbackURL)
            case .stems:
                return try await client.createStems(url: submission.sourceURL ?? "", callbackURL: submission.callbackURL)
            }
        } catch {
            throw Self.providerError(error, isCreate: true)
        }
    }

    public func status(route: TaskKind, itemIDs: [String]) async throws(ProviderError) -> [String: ItemReport] {
        /// Reports by item id (an id answered twice keeps its first report).
        func byID(_ reports: [(String, ItemReport)]) -> [String: ItemReport] {
            Dictionary(reports) { first, _ in first }
        }
        do {
            switch route {
            case .song, .extend: return byID(try await client.songs(itemIDs).map { ($0.itemID, Self.report($0)) })
            case .instrumental: return byID(try await client.instrumentals(itemIDs).map { ($0.itemID, Self.report($0)) })
            case .lyrics: return byID(try await client.lyrics(itemIDs).map { ($0.itemID, Self.report($0)) })
            case .stems: return byID(try await client.stems(itemIDs).map { ($0.itemID, Self.report($0)) })
            }
        } catch {
            throw Self.providerError(error, isCreate: false)
        }
    }

    public func balance() async throws(ProviderError) -> Double {
        do { return try await client.balance() } catch { throw Self.providerError(error, isCreate: false) }
    }

    static func providerError(_ error: TemPolorError, isCreate: Bool) -> ProviderError {
        ProviderError(error.classification(isCreate: isCreate), error.description, slowDown: error.asksToSlowDown)
    }

    // MARK: Status mapping (unknown values keep a task waiting instead of failing it)

    static func report(_ item: AudioItem) -> ItemReport {
        let phase: ItemReport.Phase
        switch item.status {
        case "succeeded": phase = .succeeded
        case "part_failed": phase = .partFailed
        case "failed": phase = .failed("the provider reported the generation failed")
        default: phase = .working
        }
        var report = ItemReport(phase: phase, providerStatus: item.status, raw: item.raw)
        report.audioURL = item.audioURL
        report.audioHiURL = item.audioHiStatus == "sub_succeeded" || item.audioHiStatus == nil ? item.audioHiURL : nil
        report.lyrics = item.lyrics
        report.sections = item.lyricsSections
        report.title = item.title
        report.duration = item.duration
        // A success without its mp3 cannot be filed: treat it as still working.
        if phase == .succeeded || phase == .partFailed, report.audioURL == nil { report.phase = .working }
        return report
    }

    static func report(_ item: LyricsItem) -> ItemReport {
        let phase: ItemReport.Phase
        switch item.status {
        case "succeeded": phase = item.text == nil ? .working : .succeeded
        case "failed": phase = .failed("the provider could not write the lyrics")
        default: phase = .working
        }
        var report = ItemReport(phase: phase, providerStatus: item.status, raw: item.raw)
        report.lyrics = item.text
        report.title = item.title
        return report
    }

    static func report(_ item: StemsItem) -> ItemReport {
        let phase: ItemReport.Phase
        switch item.status {
        case "succeeded": phase = item.stemsURL == nil ? .working : .succeeded
        case "failed": phase = .failed("the provider could not split the audio")
        default: phase = .working
        }
        var report = ItemReport(phase: phase, providerStatus: item.status, raw: item.raw)
        report.stemsURL = item.stemsURL
        return report
    }
}
