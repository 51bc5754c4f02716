import BatchManifest
import Foundation
import TemPolorClient

/// What the ledger keeps of a provider's answer: the fields the runner acts on, plus the whole
/// answer for `metadata.json`. Provider-neutral, so resume never needs to re-parse a wire format.
struct StoredResult: Codable, Sendable {
    var phase: String
    var providerStatus: String
    var audioURL: String?
    var audioHiURL: String?
    var stemsURL: String?
    var lyrics: String?
    var sections: [Section]
    var title: String?
    var duration: Double?
    var raw: JSONValue

    struct Section: Codable, Sendable {
        var start: Double
        var end: Double
        var text: String
    }

    init(_ report: ItemReport) {
        switch report.phase {
        case .working: phase = "working"
        case .succeeded: phase = "succeeded"
        case .partFailed: phase = "part_failed"
        case .failed: phase = "failed"
        }
        providerStatus = report.providerStatus
        audioURL = report.audioURL
        audioHiURL = report.audioHiURL
        stemsURL = report.stemsURL
        lyrics = report.lyrics
        sections = report.sections.map { Section(start: $0.start, end: $0.end, text: $0.text) }
        title = report.title
        duration = report.duration
        raw = report.raw
    }

    var lyricsSections: [LyricsSection] { sections.map { LyricsSection(start: $0.start, end: $0.end, text: $0.text) } }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func parse(_ text: String?) -> StoredResult? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(StoredResult.self, from: Data(text.utf8))
    }
}

/// The normalised request as the ledger and `metadata.json` keep it (no callback URL: it may
/// carry a secret token).
enum RequestText {
    static func json(_ request: TaskRequest) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(request)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
