import AudioTags
import Foundation
import TestSupport

/// Tags that exercise every field, with non-ASCII text throughout.
let everyTag = TrackTags(
    title: "Café ☕️ Nights", artist: "TemPolor AI", album: "demo · pop",
    trackNumber: 3, trackTotal: 12, date: "2026-11-22", genre: "Synth-pop",
    comment: "made by tempo-batch\nsecond line", lyrics: "First line\nSecond line — ünïcode",
    syncedLyrics: [
        SyncedLine(milliseconds: 0, text: "First line"),
        SyncedLine(milliseconds: 1_500, text: "Second line — ünïcode"),
        SyncedLine(milliseconds: 61_250, text: "Ending 🎵"),
    ],
    bpm: 120, key: "F#m", language: "eng",
    custom: [
        CustomField("PROVIDER", "tempolor"), CustomField("ITEM_ID", "itm_8f3a"),
        CustomField("TASK_KEY", "demo/pop/song-1"), CustomField("MODEL", "TemPolor v3.5"),
        CustomField("PARENT_ITEM", "itm_1234"),
    ]
)

/// A scratch folder removed by `remove()`.
struct Scratch {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("audiotags-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ data: Data) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Runs a Python snippet (for preparing files with foreign tags); throws with its output on failure.
func python(_ code: String, _ arguments: String...) throws {
    let output = try ExternalProgram.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", code] + arguments)
    guard output.status == 0 else { throw Mutagen.Failure(description: "python3 failed: \(output.combined)") }
}

/// Runs a program from PATH; throws with its output on failure.
func runTool(_ name: String, _ arguments: String...) throws -> String {
    let output = try ExternalProgram.run(URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments)
    guard output.status == 0 else { throw Mutagen.Failure(description: "\(name) failed: \(output.combined)") }
    return output.combined
}
