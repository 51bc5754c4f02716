import Foundation

/// The kinds of work the simulator tracks; each has its own create and query routes.
public enum ItemKind: String, Sendable, Codable, CaseIterable {
    case song
    case instrumental
    case lyrics
    case stems
    /// A transcription of an audio URL into MIDI files (and stems).
    case midi

    var idPrefix: String {
        switch self {
        case .song: "song_"
        case .instrumental: "inst_"
        case .lyrics: "lyr_"
        case .stems: "mss_"
        case .midi: "midi_"
        }
    }
}

/// The API surface an item was created through. It decides who may see the item, whose slots
/// it takes and how its callbacks look; everything else about the item is shared.
enum Surface: String, Sendable, Codable {
    case openAPI = "open_api"
    case useapi
}

/// Musical attributes a surface may ask for or show (useapi's `musicMaterial`).
struct MusicAttributes: Sendable, Codable, Equatable {
    var key: String
    var bpm: Int
    var chords: String
}

/// How a task ends, decided when it is created (fault injection may pick a bad end).
enum Outcome: String, Sendable, Codable {
    case succeeded
    /// The mp3 is fine; the WAV (and for songs the timings) fail.
    case partFailed
    /// Nothing is produced and nothing is billed.
    case failed
}

/// One created work. Its status is a function of the time since creation, so nothing has to
/// tick: every query computes where the item is now.
struct SimulatedItem: Sendable, Codable {
    let id: String
    let kind: ItemKind
    let model: String
    let prompt: String
    /// Lyrics of the work: submitted, generated, or (extends) the parent's up to `start_time`
    /// followed by the new part.
    let lyrics: String
    let sections: [LyricsSection]
    let title: String
    let style: String
    let duration: Int
    let createdAt: Date
    let outcome: Outcome
    let callbackURL: String
    let cost: Double
    let parentID: String?
    let startTime: Int?
    let sourceURL: String?
    /// Seconds from creation, already scaled.
    let mainAfter: TimeInterval
    let audioHiAfter: TimeInterval
    let sectionsAfter: TimeInterval
    /// The surface that created the item; nil in state files written before there were two
    /// (those items are the Open API's). Read ``surface``.
    let origin: Surface?
    /// The account whose slots the item takes within its surface (nil: the Open API key).
    let account: String?
    let music: MusicAttributes?
    /// The caller's own reference, echoed in callbacks and listings (useapi's `replyRef`).
    let reference: String?
    /// The query family of the route that created the item, when it is not the item's own kind:
    /// an instrumental made through `song/generate` is `.song` (its callbacks are song
    /// callbacks). Nil for everything else, and in state files written before there was one.
    let createdAs: ItemKind?

    var surface: Surface { origin ?? .openAPI }

    /// Seconds from creation until the item is final (already scaled).
    var finishesAfter: TimeInterval {
        switch kind {
        case .lyrics, .stems, .midi: mainAfter
        case .song: outcome == .failed ? mainAfter : max(audioHiAfter, sectionsAfter)
        case .instrumental: outcome == .failed ? mainAfter : audioHiAfter
        }
    }

    enum Status: String, Sendable, Codable {
        case waiting, running
        case mainSucceeded = "main_succeeded"
        case succeeded
        case partFailed = "part_failed"
        case failed
    }

    enum SubStatus: String, Sendable, Codable {
        case waiting, running
        case subSucceeded = "sub_succeeded"
        case subFailed = "sub_failed"
    }

    struct Snapshot: Sendable {
        var status: Status
        var audioHi: SubStatus
        var sections: SubStatus
        var finishedAt: Date?

        var isFinal: Bool { status == .succeeded || status == .partFailed || status == .failed }
        var mainReady: Bool { status == .mainSucceeded || status == .succeeded || status == .partFailed }
    }

    func snapshot(at now: Date) -> Snapshot {
        let elapsed = now.timeIntervalSince(createdAt)
        switch kind {
        case .lyrics, .stems, .midi:
            if elapsed < mainAfter {
                let status: Status = kind == .lyrics && elapsed < mainAfter * 0.2 ? .waiting : .running
                return Snapshot(status: status, audioHi: .waiting, sections: .waiting, finishedAt: nil)
            }
            let done = createdAt + mainAfter
            return Snapshot(status: outcome == .failed ? .failed : .succeeded, audioHi: .waiting, sections: .waiting, finishedAt: done)
        case .song, .instrumental:
            if elapsed < mainAfter {
                return Snapshot(status: .running, audioHi: .waiting, sections: .waiting, finishedAt: nil)
            }
            if outcome == .failed {
                return Snapshot(status: .failed, audioHi: .subFailed, sections: .subFailed, finishedAt: createdAt + mainAfter)
            }
            let hasSections = kind == .song
            let failedSub: SubStatus = outcome == .partFailed ? .subFailed : .subSucceeded
            let audioHi: SubStatus = elapsed < audioHiAfter ? .running : failedSub
            let sections: SubStatus = !hasSections ? .subSucceeded : (elapsed < sectionsAfter ? .running : failedSub)
            let subsDone = audioHi != .running && sections != .running
            guard subsDone else { return Snapshot(status: .mainSucceeded, audioHi: audioHi, sections: sections, finishedAt: nil) }
            let finished = createdAt + max(audioHiAfter, hasSections ? sectionsAfter : 0)
            return Snapshot(status: outcome == .partFailed ? .partFailed : .succeeded, audioHi: audioHi, sections: sections, finishedAt: finished)
        }
    }
}
