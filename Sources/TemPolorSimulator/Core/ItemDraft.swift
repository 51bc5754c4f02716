import Foundation

/// What a surface asks the core to create once it has validated a request in its own terms:
/// the work, its price and who it belongs to. The core admits it (slots, balance), gives it an
/// id and a schedule, and bills it.
struct ItemDraft: Sendable {
    var kind: ItemKind
    var model: String
    var prompt: String
    var lyrics = ""
    var sections: [LyricsSection] = []
    var duration: Int
    var callbackURL: String
    var cost: Double
    /// Seconds (at time scale 1) until the main result is ready.
    var mainAfter: TimeInterval
    var parentID: String?
    var startTime: Int?
    var sourceURL: String?
    var surface = Surface.openAPI
    var account: String?
    var music: MusicAttributes?
    var reference: String?
    /// See ``SimulatedItem/createdAs``.
    var createdAs: ItemKind?
    /// The kind under which ``SimulatorStats/acceptedCreates`` counts it.
    var countedAs: String
    /// A further item of the same create call (``SimulatorConfiguration/itemsPerCreate``):
    /// not billed, not counted as a create, and never refused for lack of slots.
    var isTwin = false
}

/// Why the core refused to create an item. Each surface answers it its own way (Open API
/// business codes, useapi HTTP statuses).
enum AdmissionRefusal: Error, Equatable {
    /// The credential already has `limit` unfinished items.
    case slotsFull(limit: Int)
    case insufficientBalance(left: Double, needed: Double)
    /// A prompt or lyrics contain a banned word.
    case bannedWord(String)
}
