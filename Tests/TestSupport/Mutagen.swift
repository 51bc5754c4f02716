public import Foundation

// MARK: Reading tags back with mutagen

/// Reads tags with Python's mutagen, an implementation independent of ours.
public enum Mutagen {
    public static let installHint = "python3 -m pip install --user mutagen"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) { self.description = description }
    }

    /// What mutagen reads from an mp3 (`mutagen.mp3`) or a WAV's id3 chunk (`mutagen.wave`).
    public struct ID3Reading: Decodable {
        public let version: [Int]
        public let frames: [String: Frame]
        public let seconds: Double

        public func text(_ key: String) -> [String]? { frames[key]?.text }
    }

    public struct Frame: Decodable {
        public let id: String
        public let encoding: Int
        public let text: [String]?
        public let lang: String?
        public let desc: String?
        public let format: Int?
        public let type: Int?
        public let synced: [Synced]?
    }

    public struct Synced: Decodable, Equatable, Sendable {
        public let text: String
        public let ms: UInt32

        public init(text: String, ms: UInt32) {
            self.text = text
            self.ms = ms
        }
    }

    /// What mutagen reads from a FLAC (`mutagen.flac`): Vorbis comments in order and block types.
    public struct FLACReading: Decodable {
        public let vendor: String
        public let fields: [Field]
        public let blocks: [Int]
        public let seconds: Double

        public func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
    }

    public struct Field: Decodable, Equatable, Sendable {
        public let name: String
        public let value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public static func id3(mp3 file: URL) throws -> ID3Reading { try read("mp3", file) }
    public static func id3(wav file: URL) throws -> ID3Reading { try read("wav", file) }
    public static func flac(_ file: URL) throws -> FLACReading { try read("flac", file) }

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

