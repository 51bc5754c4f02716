public import BatchManifest
import Foundation
public import ProviderKit

/// The TemPolor Open API as a ``GenerationProvider``: status checks grouped by query route (up
/// to 10 ids each), result URLs answered by the query and refreshed by querying again.
public struct TemPolorProvider: GenerationProvider {
    let client: TemPolorClient
    /// Where instrumentals are made and queried (`api.instrumental_route`).
    let instrumentalRoute: APISettings.InstrumentalRoute

    public init(client: TemPolorClient, instrumentalRoute: APISettings.InstrumentalRoute = .song) {
        self.client = client
        self.instrumentalRoute = instrumentalRoute
    }

    /// Everything the Open API offers: the 2025 routes and the 2026 ones (cover, MIDI). The
    /// `cn` region has no extend (checked with the manifest's `api.region`).
    public static let capabilities: ProviderCapabilities = {
        var capabilities = ProviderCapabilities(
            name: "tempolor", extend: true, lyricsGeneration: true, instrumental: true, chainStems: .create, stemsOfURL: true,
            voiceID: true, instrumentalParameters: false, songModels: ModelCatalogue.songModels, instrumentalModels: ModelCatalogue.instrumentalModels
        )
        capabilities.cover = true
        capabilities.midi = true
        capabilities.regions = true
        return capabilities
    }()

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
                let prompt = submission.prompt ?? "", model = submission.model ?? ModelCatalogue.defaultInstrumentalModel
                switch instrumentalRoute {
                case .song: ids = try await client.generateInstrumentalSong(prompt: prompt, model: model, callbackURL: submission.callbackURL)
                case .legacy: ids = try await client.generateInstrumental(prompt: prompt, model: model, callbackURL: submission.callbackURL)
                }
            case .extend:
                ids = try await extend(submission)
            case .cover:
                ids = try await client.generateCover(
                    audioURL: try await sourceURL(submission), prompt: submission.prompt ?? "", model: submission.model ?? ModelCatalogue.defaultCoverModel,
                    lyrics: submission.lyrics, callbackURL: submission.callbackURL
                )
            case .midi:
                ids = try await client.createMIDI(url: try await sourceURL(submission), callbackURL: submission.callbackURL)
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

    /// An extend through its chain's route. An instrumental made through `song/generate` is
    /// continued through `song/extend`; a service that answers 400008 there (it does not know
    /// the item on that route) made nothing, so the instrumental route is asked instead.
    private func extend(_ submission: Submission) async throws -> [String] {
        guard let parent = submission.parent else { throw ProviderError(.permanent, "an extend needs the item it continues") }
        let instrumental = submission.chain == .instrumental
        let route: ItemKind = instrumental && instrumentalRoute == .legacy ? .instrumental : .song
        do {
            return try await client.extend(route, itemID: parent.id, startTime: submission.startTime ?? 0, lyrics: submission.lyrics,
                                           callbackURL: submission.callbackURL)
        } catch {
            guard instrumental, route == .song, error.kind == .business(code: 400008) else { throw error }
            return try await client.extend(.instrumental, itemID: parent.id, startTime: submission.startTime ?? 0, lyrics: submission.lyrics,
                                           callbackURL: submission.callbackURL)
        }
    }

    /// The URL to split, cover or transcribe: an outside file, or the freshest URL of the chain's last audio
    /// (signed URLs expire, so the parent is queried just before).
    private func sourceURL(_ submission: Submission) async throws -> String {
        if let url = submission.sourceURL { return url }
        guard let parent = submission.parent else { throw ProviderError(.permanent, "\(submission.kind.rawValue) needs a URL or a parent item") }
        let fresh = try await status([parent])[parent.id]
        guard let url = fresh?.urls[.wav] ?? fresh?.urls[.mp3] ?? submission.parentReport?.urls[.mp3] else {
            throw ProviderError(.permanent, "the parent \(parent.id) has no audio URL")
        }
        return url
    }

    /// Extends are queried through their chain's route; one call carries up to 10 ids.
    public func statusGroups(_ refs: [ItemRef]) -> [[ItemRef]] {
        var byRoute: [ItemKind: [ItemRef]] = [:]
        for ref in refs { byRoute[route(ref), default: []].append(ref) }
        return ItemKind.allCases.flatMap { route in
            let refs = byRoute[route] ?? []
            return stride(from: 0, to: refs.count, by: TemPolorClient.queryLimit).map {
                Array(refs[$0..<min(refs.count, $0 + TemPolorClient.queryLimit)])
            }
        }
    }

    /// The query route of an item: instrumentals (and their extends) by `api.instrumental_route`,
    /// covers through `song/query`.
    func route(_ ref: ItemRef) -> ItemKind {
        switch ref.kind {
        case .song, .cover: .song
        case .instrumental: instrumentalRoute == .legacy ? .instrumental : .song
        case .extend: ref.chain == .instrumental && instrumentalRoute == .legacy ? .instrumental : .song
        case .lyrics: .lyrics
        case .stems: .stems
        case .midi: .midi
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
            switch route(first) {
            case .song: return byID(try await client.songs(ids).map { ($0.itemID, Self.report($0)) })
            case .instrumental: return byID(try await client.instrumentals(ids).map { ($0.itemID, Self.report($0)) })
            case .lyrics: return byID(try await client.lyrics(ids).map { ($0.itemID, Self.report($0)) })
            case .stems: return byID(try await client.stems(ids).map { ($0.itemID, Self.report($0)) })
            case .midi: return byID(try await client.midis(ids).map { ($0.itemID, Self.report($0)) })
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
