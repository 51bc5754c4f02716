/// Credits charged per create call, used for plan estimates and budget checks. Defaults are the
/// figures the contract records; a manifest overrides any of them under `pricing:`.
public struct PriceTable: Sendable, Equatable, Codable {
    public var song: Double
    public var instrumental: Double
    public var extend: Double
    public var lyrics: Double
    public var stems: Double
    /// A cover (`song/generate` with `action: upload_cover`); without lyrics the platform writes
    /// them, billed as a lyrics call.
    public var cover: Double
    /// A MIDI transcription; no public source states its price.
    public var midi: Double
    /// Per-model prices that win over the per-kind price (e.g. `TemPolor i4: 30`).
    public var models: [String: Double]

    /// The figures the contract records, per kind.
    static let kindDefaults = PriceTable(song: 30, instrumental: 20, extend: 30, lyrics: 7, stems: 35, cover: 70, midi: 10, models: [:])

    /// The kinds' figures, with the model catalogue's prices that differ from them.
    public static let `default`: PriceTable = {
        var table = kindDefaults
        table.models = ModelCatalogue.modelPrices
        return table
    }()

    /// The price of one create call for a task of this request.
    public func price(of request: TaskRequest) -> Double {
        // useapi.net serves a chain's stems as a download format of the song's own job: no create call.
        if request.provider == .useapi, request.kind == .stems, request.sourceURL == nil { return 0 }
        if request.kind != .cover, let model = request.model, let price = models[model] { return price + writtenLyricsSurcharge(request) }
        switch request.kind {
        case .song: return song + writtenLyricsSurcharge(request)
        case .instrumental: return instrumental
        case .extend: return extend
        case .lyrics: return lyrics
        case .stems: return stems
        case .cover: return cover + writtenLyricsSurcharge(request)
        case .midi: return midi
        }
    }

    /// A song submitted without lyrics has the platform write them, billed as a lyrics call.
    private func writtenLyricsSurcharge(_ request: TaskRequest) -> Double {
        (request.kind == .song || request.kind == .cover) && (request.lyrics ?? "").isEmpty && !request.lyricsFromParent ? lyrics : 0
    }
}
