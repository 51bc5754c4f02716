import BatchManifest
import Foundation
import ProviderKit

/// What the ledger keeps of a provider's answer: the fields the runner acts on, plus the whole
/// answer for `metadata.json`. Provider-neutral, so resume never needs to re-parse a wire format.
/// Stored as a JSON object whose keys are the property names (absent when nil), read and written
/// through ``JSONValue`` (this is on every task's path; `Codable` went through JSON twice).
struct StoredResult: Sendable {
    var phase: String
    var providerStatus: String
    var audioURL: String?
    var audioHiURL: String?
    var stemsURL: String?
    var midiURL: String?
    /// The files the item has (mp3, wav, stems). Absent in ledgers written before providers
    /// other than TemPolor: then the URLs present say it.
    var files: [FileRole]?
    var progress: Double?
    var lyrics: String?
    var sections: [Section]
    var title: String?
    var duration: Double?
    var bpm: Int?
    var key: String?
    var raw: JSONValue

    struct Section: Sendable {
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
        audioURL = report.urls[.mp3]
        audioHiURL = report.urls[.wav]
        stemsURL = report.urls[.stems]
        midiURL = report.urls[.midi]
        files = FileRole.allCases.filter(report.files.contains)
        progress = report.progress
        lyrics = report.lyrics
        sections = report.sections.map { Section(start: $0.start, end: $0.end, text: $0.text) }
        title = report.title
        duration = report.duration
        bpm = report.bpm
        key = report.key
        raw = report.raw
    }

    /// The files of the item: recorded, or (older ledgers) the roles with a URL.
    var fileRoles: Set<FileRole> {
        if let files { return Set(files) }
        return Set(FileRole.allCases.filter { url($0) != nil })
    }

    func url(_ role: FileRole) -> String? {
        switch role {
        case .mp3: audioURL
        case .wav: audioHiURL
        case .stems: stemsURL
        case .midi: midiURL
        }
    }

    /// Back to the seam's terms, for the provider (fresh URLs, a parent's audio).
    var report: ItemReport {
        let reportPhase: ItemReport.Phase
        switch phase {
        case "succeeded": reportPhase = .succeeded
        case "part_failed": reportPhase = .partFailed
        case "failed": reportPhase = .failed(providerStatus)
        default: reportPhase = .working
        }
        var report = ItemReport(phase: reportPhase, providerStatus: providerStatus, raw: raw)
        report.files = fileRoles
        for role in FileRole.allCases { if let url = url(role) { report.urls[role] = url } }
        report.progress = progress
        report.lyrics = lyrics
        report.sections = lyricsSections
        report.title = title
        report.duration = duration
        report.bpm = bpm
        report.key = key
        return report
    }

    var lyricsSections: [LyricsSection] { sections.map { LyricsSection(start: $0.start, end: $0.end, text: $0.text) } }

    /// The JSON object the ledger stores: every property under its own name, nil ones left out.
    var jsonValue: JSONValue {
        var fields: [String: JSONValue] = ["phase": .string(phase), "providerStatus": .string(providerStatus), "raw": raw]
        fields["audioURL"] = audioURL.map(JSONValue.string)
        fields["audioHiURL"] = audioHiURL.map(JSONValue.string)
        fields["stemsURL"] = stemsURL.map(JSONValue.string)
        fields["midiURL"] = midiURL.map(JSONValue.string)
        fields["files"] = files.map { .array($0.map { .string($0.rawValue) }) }
        fields["progress"] = progress.map(JSONValue.number)
        fields["lyrics"] = lyrics.map(JSONValue.string)
        fields["sections"] = .array(sections.map { .object(["start": .number($0.start), "end": .number($0.end), "text": .string($0.text)]) })
        fields["title"] = title.map(JSONValue.string)
        fields["duration"] = duration.map(JSONValue.number)
        fields["bpm"] = bpm.map { .number(Double($0)) }
        fields["key"] = key.map(JSONValue.string)
        return .object(fields)
    }

    /// A result read back from its JSON object; nil when it is not one (no phase or status).
    init?(json: JSONValue) {
        guard case .object(let fields) = json, case .string(let phase)? = fields["phase"],
              case .string(let providerStatus)? = fields["providerStatus"] else { return nil }
        func text(_ name: String) -> String? {
            if case .string(let value)? = fields[name] { return value }
            return nil
        }
        func number(_ name: String) -> Double? {
            if case .number(let value)? = fields[name] { return value }
            return nil
        }
        self.phase = phase
        self.providerStatus = providerStatus
        audioURL = text("audioURL")
        audioHiURL = text("audioHiURL")
        stemsURL = text("stemsURL")
        midiURL = text("midiURL")
        files = fields["files"]?.array.map { $0.compactMap { $0.string.flatMap(FileRole.init(rawValue:)) } }
        progress = number("progress")
        lyrics = text("lyrics")
        sections = (fields["sections"]?.array ?? []).compactMap { section in
            guard let start = section["start"]?.double, let end = section["end"]?.double else { return nil }
            return Section(start: start, end: end, text: section["text"]?.string ?? "")
        }
        title = text("title")
        duration = number("duration")
        bpm = number("bpm").flatMap { Int(exactly: $0) }
        key = text("key")
        raw = fields["raw"] ?? .null
    }

    var json: String { jsonValue.jsonText }

    /// The result without the provider's raw answer (which `metadata.json` holds beside it).
    var summary: JSONValue {
        guard case .object(var fields) = jsonValue else { return .null }
        fields["raw"] = nil
        return .object(fields)
    }

    /// A result from `metadata.json`: its summary with the raw answer put back.
    static func recovered(summary: JSONValue, raw: JSONValue?) -> StoredResult? {
        guard case .object(var fields) = summary else { return nil }
        fields["raw"] = raw ?? .null
        return StoredResult(json: .object(fields))
    }

    static func parse(_ text: String?) -> StoredResult? {
        guard let text else { return nil }
        return JSONValue.parse(text).flatMap(StoredResult.init(json:))
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
