/// The models known when this version shipped, as data: one row per model with what it makes,
/// the route it is sent on, its price and when that was last checked against public clients of
/// the live service. Catalogues change, so names outside it are warnings, never errors; the
/// request carries the name exactly as written. `tempo-batch models` prints this table.
public enum ModelCatalogue {
    public struct Entry: Sendable, Equatable, Codable {
        public enum Use: String, Sendable, Codable {
            case song
            case instrumental
        }

        public var name: String
        public var use: Use
        /// Who makes it: TemPolor's own models, or a third party's resold on the same route.
        public var vendor: String
        /// The Open API call it is sent with.
        public var route: String
        /// Credits per create; nil when no public source states it (the kind's price applies).
        public var price: Double?
        /// The model may be used for `cover:` (`action: upload_cover`).
        public var cover: Bool
        /// When the row was last checked against public clients of the live service (YYYY-MM).
        public var checked: String
        public var note: String?
    }

    static let songRoute = "song/generate"
    static let instrumentalRoute = "song/generate, instrumental: true"

    public static let entries: [Entry] = [
        Entry(name: "tempolor-latest", use: .song, vendor: "TemPolor", route: songRoute, price: 30, cover: true, checked: "2026-09",
              note: "the current song model"),
        Entry(name: "TemPolor v4.6", use: .song, vendor: "TemPolor", route: songRoute, price: 30, cover: false, checked: "2026-03", note: "older name"),
        Entry(name: "TemPolor v4.5", use: .song, vendor: "TemPolor", route: songRoute, price: 30, cover: false, checked: "2025-10", note: "older name"),
        Entry(name: "TemPolor v4", use: .song, vendor: "TemPolor", route: songRoute, price: 30, cover: false, checked: "2025-07", note: "older name"),
        Entry(name: "TemPolor v3.5", use: .song, vendor: "TemPolor", route: songRoute, price: 30, cover: false, checked: "2025-07", note: "older name"),
        Entry(name: "TemPolor v3", use: .song, vendor: "TemPolor", route: songRoute, price: 30, cover: false, checked: "2025-07", note: "older name"),
        Entry(name: "Eleven Music V2", use: .song, vendor: "ElevenLabs", route: songRoute, price: nil, cover: false, checked: "2026-09", note: "resold"),
        Entry(name: "Lyria 3 Pro", use: .song, vendor: "Google", route: songRoute, price: nil, cover: false, checked: "2026-09", note: "resold"),
        Entry(name: "Mureka V9.5", use: .song, vendor: "Mureka", route: songRoute, price: nil, cover: false, checked: "2026-09", note: "resold"),
        Entry(name: "Mureka V9", use: .song, vendor: "Mureka", route: songRoute, price: nil, cover: false, checked: "2026-09", note: "resold"),
        Entry(name: "MiniMax 3.0", use: .song, vendor: "MiniMax", route: songRoute, price: nil, cover: false, checked: "2026-09", note: "resold"),
        Entry(name: "TemPolor i4", use: .instrumental, vendor: "TemPolor", route: instrumentalRoute, price: 30, cover: false, checked: "2026-09", note: nil),
        Entry(name: "TemPolor i3.5", use: .instrumental, vendor: "TemPolor", route: instrumentalRoute, price: 20, cover: false, checked: "2026-09",
              note: "up to 270 s"),
        Entry(name: "TemPolor i3", use: .instrumental, vendor: "TemPolor", route: instrumentalRoute, price: 20, cover: false, checked: "2026-09",
              note: "up to 120 s"),
    ]

    public static let songModels = entries.filter { $0.use == .song }.map(\.name)
    public static let instrumentalModels = entries.filter { $0.use == .instrumental }.map(\.name)
    public static let coverModels = entries.filter(\.cover).map(\.name)

    public static let defaultSongModel = "tempolor-latest"
    public static let defaultInstrumentalModel = "TemPolor i3.5"
    public static let defaultCoverModel = "tempolor-latest"

    /// The defaults when task keys were first defined: a manifest that names no model keeps the
    /// keys it had under them, so finished work is never paid for again when a default changes.
    /// (Only song chains' defaults have changed since: the song and its extends.)
    static let firstDefaults: [TaskKind: String] = [.song: "TemPolor v3.5", .extend: "TemPolor v3.5"]

    /// Prices that differ from their kind's price (the price table's per-model defaults).
    static var modelPrices: [String: Double] {
        var prices: [String: Double] = [:]
        for entry in entries {
            guard let price = entry.price else { continue }
            let kindPrice = entry.use == .song ? PriceTable.kindDefaults.song : PriceTable.kindDefaults.instrumental
            if price != kindPrice { prices[entry.name] = price }
        }
        return prices
    }
}
