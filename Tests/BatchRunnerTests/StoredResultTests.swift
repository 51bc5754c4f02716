@testable import BatchRunner
import Foundation
import ProviderKit
import Testing

/// The provider answer as the ledger stores it: ledgers written by earlier versions (through
/// `JSONEncoder`, keys sorted, nil properties left out) read back the same.
@Suite("Stored results")
struct StoredResultTests {
    /// Byte for byte what the `Codable` version of `StoredResult.json` wrote.
    static let earlierText = #"{"audioHiURL":"https://x/song.wav","audioURL":"https://x/song.mp3","bpm":120,"duration":187.5,"files":["mp3","wav"],"key":"C major","lyrics":"[verse]\nA line","midiURL":"https://x/m.zip","phase":"succeeded","progress":1,"providerStatus":"succeeded","raw":{"item_id":"s-1","status":"succeeded","tags":["pop"]},"sections":[{"end":12.5,"start":0,"text":"[verse]"}],"stemsURL":"https://x/s.zip","title":"Owl Waltz"}"#

    @Test func aResultWrittenByAnEarlierVersionReadsBackWhole() throws {
        let result = try #require(StoredResult.parse(Self.earlierText))
        #expect(result.phase == "succeeded" && result.providerStatus == "succeeded")
        #expect(result.audioURL == "https://x/song.mp3" && result.audioHiURL == "https://x/song.wav")
        #expect(result.stemsURL == "https://x/s.zip" && result.midiURL == "https://x/m.zip")
        #expect(result.files == [.mp3, .wav] && result.fileRoles == [.mp3, .wav])
        #expect(result.progress == 1 && result.duration == 187.5 && result.bpm == 120 && result.key == "C major")
        #expect(result.lyrics == "[verse]\nA line" && result.title == "Owl Waltz")
        #expect(result.sections.count == 1 && result.sections[0].end == 12.5 && result.sections[0].text == "[verse]")
        #expect(result.raw["tags"] == .array([.string("pop")]))
        // Written again, it is the same document (the same keys and values).
        #expect(result.json == Self.earlierText)
        #expect(JSONValue.parse(result.json) == JSONValue.parse(Self.earlierText))
    }

    @Test func absentPropertiesStayAbsentAndTheSummaryDropsTheRawAnswer() throws {
        var report = ItemReport(phase: .working, providerStatus: "processing", raw: .object(["item_id": .string("s-2")]))
        report.progress = 0.25
        let result = StoredResult(report)
        #expect(result.json == #"{"files":[],"phase":"working","progress":0.25,"providerStatus":"processing","raw":{"item_id":"s-2"},"sections":[]}"#)
        let summary = result.summary
        #expect(summary["raw"] == nil && summary["phase"] == .string("working"))
        let recovered = try #require(StoredResult.recovered(summary: summary, raw: result.raw))
        #expect(recovered.json == result.json)
    }

    @Test func whatIsNotAStoredResultIsRefused() {
        #expect(StoredResult.parse(nil) == nil)
        #expect(StoredResult.parse("not json") == nil)
        #expect(StoredResult.parse(#"{"phase":"succeeded"}"#) == nil)
        #expect(StoredResult.parse(#"["phase"]"#) == nil)
    }
}
