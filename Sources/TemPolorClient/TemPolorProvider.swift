public import BatchManifest
import Foundation
public import ProviderKit

/// The TemPolor Open API as a ``GenerationProvider``: status checks grouped by query route (up
/// to 10 ids each), result URLs answered by the query and refreshed by querying again.
public struct TemPolorProvider: GenerationProvider {
    let client: TemPolorClient

    public init(client: TemPolorClient) { self.client = client }

    /// Everything the Open API offers (the 2025 routes).
    public static let capabilities = ProviderCapabilities(
        name: "tempolor", extend: true, lyricsGeneration: true, instrumental: true, chainStems: .create, stemsOfURL: true,
        voiceID: true, instrumentalParameters: false, songModels: ModelCatalogue.songModels, instrumentalModels: ModelCatalogue.instrumentalModels
    )

    public var capabilities: ProviderCapabilities { Self.capabilities }

    public func submit(_ submission: Submission) async throws(ProviderError) -> [ItemRef] {
        let ids: [String]
        do {
            switch submission.kind {
            case .song:
                ids = try await client.generateSong(
                    prompt: submission.prompt ?? "", model: submission.model ?? ModelCatalogue.defaultSongModel,
                    lyrics: submission.lyrics, voiceID: submission.voiceID, callbackURL: submission.callbackURL
                )
            case .instrumental:
                ids = try await client.generateInstrumental(
                    prompt: submission.prompt ?? "", model: submission.model ?? ModelCatalogue.defaultInstrumentalModel,
                    callbackURL: submission.callbackURL
                )
            case .extend:
                guard let parent = submission.parent else { throw ProviderError(.permanent, "an extend needs the item it continues") }
                ids = try await client.extend(
                    submission.chain == .instrumental ? .instrumental : .song, itemID: parent.id,
                    startTime: submission.startTime ?? 0, lyrics: submission.lyrics, callbackURL: submission.callbackURL
                )
            case .lyrics:
                ids = try await client.generateLyrics(prompt: submission.prompt ?? "", songModel: submission.model, callbackURL: submission.callbackURL)
            case .stems:
                ids = try await client.createStems(url: try await sourceURL(submission), callbackURL: submission.callbackURL)
            }
        } catch let error as TemPolorError {
            throw Self.providerError(error, isCreate: true)
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError(.transient(retryAfter: nil), "\(error)")
        }
        return ids.map { ItemRef(id: $0, kind: submission.kind, chain: submission.chain) }
    }

    /// The URL to split: an outside file, or the freshest URL of the chain's last audio
    /// (signed URLs expire, so the parent is queried just before).
    private func sourceURL(_ submission: Submission) async throws -> String {
        if let url = submission.sourceURL { return url }
        guard let parent = submission.parent else { throw ProviderError(.permanent, "stems need a URL or a parent item") }
        let fresh = try await status([parent])[parent.id]
        guard let url = fresh?.urls[.wav] ?? fresh?.urls[.mp3] ?? submission.parentReport?.urls[.mp3] else {
            throw ProviderError(.permanent, "the parent \(parent.id) has no audio URL to split")
        }
        return url
    }

    /// Extends are queried through their chain's route; one call carries up to 10 ids.
    public func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] {
        var byRoute: [ItemKind: [ItemRef]] = [:]
        for ref in refs { byRoute[Self.route(ref), default: []].append(ref) }
        return ItemKind.allCases.flatMap { route in
            let refs = byRoute[route] ?? []
            return stride(from: 0, to: refs.count, by: TemPolorClient.queryLimit).map {
                Array(refs[$0..<min(refs.count, $0 + TemPolorClient.queryLimit)])
            }
        }
    }

    static func route(_ ref: ItemRef) -> ItemKind {
        switch ref.kind {
        case .song: .song
        case .instrumental: .instrumental
        case .extend: ref.chain == .instrumental ? .instrumental : .song
        case .lyrics: .lyrics
        case .stems: .stems
        }
    }

    public func status(_ group: [ItemRef]) async throws(ProviderError) -> [String: ItemReport] {
        guard let first = group.first else { return [:] }
        let ids = group.map(\.id)
        /// Reports by item id (an id answered twice keeps its first report).
        func byID(_ reports: [(String, ItemReport)]) -> [String: ItemReport] {
            Dictionary(reports) { first, _ in first }
        }
        do {
            switch Self.route(first) {
            case .song: return byID(try await client.songs(ids).map { ($0.itemID, Self.report($0)) })
            case .instrumental: return byID(try await client.instrumentals(ids).map { ($0.itemID, Self.report($0)) })
            case .lyrics: return byID(try await client.lyrics(ids).map { ($0.itemID, Self.report($0)) })
            case .stems: return byID(try await client.stems(ids).map { ($0.itemID, Self.report($0)) })
            }
        } catch {
            throw Self.providerError(error, isCreate: false)
        }
    }

    /// The query answers the URLs; a stale one is replaced by querying the item again.
    public func location(of file: FileRole, for ref: ItemRef, report: ItemReport, stale: Bool) async throws(ProviderError) -> FileLocation {
        if !stale, let url = report.urls[file] { return FileLocation(url: url) }
        guard let fresh = try await status([ref])[ref.id] else { throw ProviderError(.permanent, "the provider does not know item \(ref.id)") }
        guard let url = fresh.urls[file] else { throw ProviderError(.permanent, "the provider gave no \(file.rawValue) URL for item \(ref.id)") }
        return FileLocation(url: url, report: fresh)
    }

    public func balance() async throws(ProviderError) -> Double? {
        do { return try await client.balance() } catch { throw Self.providerError(error, isCreate: false) }
    }

    static func providerError(_ error: TemPolorError, isCreate: Bool) -> ProviderError {
        ProviderError(error.classification(isCreate: isCreate), error.description, slowDown: error.asksToSlowDown)
    }
}
