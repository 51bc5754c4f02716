public import Foundation

/// Reads Standard MIDI Files with Python's mido, a reader independent of the simulator's writer.
/// `scripts/setup` installs it.
public enum Mido {
    public static let installHint = "python3 -m pip install --user mido"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What mido reads from one file.
    public struct Reading: Decodable, Sendable {
        /// 0, 1 or 2.
        public let type: Int
        public let ticksPerBeat: Int
        public let tracks: [Track]
        /// The playing time in seconds, as mido computes it from the tempo map.
        public let seconds: Double

        /// Every tempo any track sets, in beats per minute.
        public var tempos: [Double] { tracks.flatMap(\.tempos) }
        public var notes: Int { tracks.reduce(0) { $0 + $1.notes } }
    }

    public struct Track: Decodable, Sendable {
        public let name: String
        public let tempos: [Double]
        /// Note-ons with a velocity above zero.
        public let notes: Int
        /// Note-ons never ended by a note-off (or a note-on of velocity zero) of the same pitch and channel.
        public let unended: Int
        /// Note-offs with no sounding note to end.
        public let strayOffs: Int
        public let pitches: [Int]
        /// Whether the track's last message is end_of_track.
        public let endsWithEndOfTrack: Bool
        /// The track's length in ticks (the sum of its delta times).
        public let ticks: Int
    }

    public static func read(_ file: URL) throws -> Reading {
        let output = try ExternalProgram.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, file.path])
        if output.stderr.contains("No module named 'mido'") {
            throw Failure(description: "Python's mido is not installed; these tests parse MIDI files with it. Install it: \(installHint)")
        }
        guard output.status == 0 else {
            throw Failure(description: "mido cannot read \(file.lastPathComponent) (exit \(output.status)): \(output.combined)")
        }
        return try JSONDecoder().decode(Reading.self, from: Data(output.stdout.utf8))
    }

    /// Reads MIDI bytes that would be saved as a `.mid` file.
    public static func read(_ data: Data) throws -> Reading {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("midi-\(UUID().uuidString).mid")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try read(file)
    }

    private static let script = #"""
import json, sys
import mido

midi = mido.MidiFile(sys.argv[1])
tracks = []
for track in midi.tracks:
    name, tempos, notes, stray, ticks, pitches = "", [], 0, 0, 0, []
    sounding = {}
    for message in track:
        ticks += message.time
        if message.type == "track_name" and not name:
            name = message.name
        elif message.type == "set_tempo":
            tempos.append(mido.tempo2bpm(message.tempo))
        elif message.type == "note_on" and message.velocity > 0:
            notes += 1
            pitches.append(message.note)
            key = (message.channel, message.note)
            sounding[key] = sounding.get(key, 0) + 1
        elif message.type in ("note_off", "note_on"):
            key = (message.channel, message.note)
            if sounding.get(key, 0) > 0:
                sounding[key] -= 1
            else:
                stray += 1
    tracks.append({"name": name, "tempos": tempos, "notes": notes, "unended": sum(sounding.values()),
                   "strayOffs": stray, "pitches": pitches,
                   "endsWithEndOfTrack": len(track) > 0 and track[-1].type == "end_of_track", "ticks": ticks})
print(json.dumps({"type": midi.type, "ticksPerBeat": midi.ticks_per_beat, "tracks": tracks, "seconds": midi.length}))
"""#
}
