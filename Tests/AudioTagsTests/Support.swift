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

// MARK: Reading tags back with mutagen

/// Reads tags with Python's mutagen, an implementation independent of ours.
enum Mutagen {
    static let installHint = "python3 -m pip install --user mutagen"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What mutagen reads from an mp3 (`mutagen.mp3`) or a WAV's id3 chunk (`mutagen.wave`).
    struct ID3Reading: Decodable {
        let version: [Int]
        let frames: [String: Frame]
        let seconds: Double

        func text(_ key: String) -> [String]? { frames[key]?.text }
    }

    struct Frame: Decodable {
        let id: String
        let encoding: Int
        let text: [String]?
        let lang: String?
        let desc: String?
        let format: Int?
        let type: Int?
        let synced: [Synced]?
    }

    struct Synced: Decodable, Equatable {
        let text: String
        let ms: UInt32
    }

    /// What mutagen reads from a FLAC (`mutagen.flac`): Vorbis comments in order and block types.
    struct FLACReading: Decodable {
        let vendor: String
        let fields: [Field]
        let blocks: [Int]
        let seconds: Double

        func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
    }

    struct Field: Decodable, Equatable {
        let name: String
        let value: String
    }

    static func id3(mp3 file: URL) throws -> ID3Reading { try read("mp3", file) }
    static func id3(wav file: URL) throws -> ID3Reading { try read("wav", file) }
    static func flac(_ file: URL) throws -> FLACReading { try read("flac", file) }

    private static func read<Reading: Decodable>(_ kind: String, _ file: URL) throws -> Reading {
        let output = try ExternalProgram.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, kind, file.path])
        if output.stderr.contains("No module named 'mutagen'") {
            throw Failure(description: "Python's mutagen is not installed; these tests read tags back with it. Install it: \(installHint)")
        }
        guard output.status == 0 else {
            throw Failure(description: "mutagen cannot read \(file.lastPathComponent) as \(kind) (exit \(output.status)): \(output.combined)")
        }
        return try JSONDecoder().decode(Reading.self, from: Data(output.stdout.utf8))
    }

    private static let script = #"""
import json, sys
kind, path = sys.argv[1], sys.argv[2]

def id3_json(tags, info):
    frames = {}
    for key, frame in tags.items():
        entry = {"id": frame.FrameID, "encoding": int(frame.encoding)}
        if frame.FrameID == "SYLT":
            entry.update(lang=frame.lang, desc=frame.desc, format=frame.format, type=frame.type,
                         synced=[{"text": text, "ms": ms} for text, ms in frame.text])
        elif frame.FrameID in ("COMM", "USLT"):
            entry.update(lang=frame.lang, desc=frame.desc,
                         text=[frame.text] if isinstance(frame.text, str) else [str(t) for t in frame.text])
        elif frame.FrameID == "TXXX":
            entry.update(desc=frame.desc, text=[str(t) for t in frame.text])
        else:
            entry.update(text=[str(t) for t in frame.text])
        frames[key] = entry
    return {"version": list(tags.version), "frames": frames, "seconds": info.length}

if kind == "mp3":
    from mutagen.mp3 import MP3
    audio = MP3(path)
    out = id3_json(audio.tags, audio.info)
elif kind == "wav":
    from mutagen.wave import WAVE
    audio = WAVE(path)
    out = id3_json(audio.tags, audio.info)
else:
    from mutagen.flac import FLAC
    audio = FLAC(path)
    out = {"vendor": audio.tags.vendor, "fields": [{"name": k, "value": v} for k, v in audio.tags],
           "blocks": [block.code for block in audio.metadata_blocks], "seconds": audio.info.length}
print(json.dumps(out))
"""#
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
