import Foundation

/// A Standard MIDI File writer: format 1, a conductor track (name, tempo, time signature) and one
/// track of notes, in ticks of `division` per quarter note. Just enough of the format for the
/// files the MIDI route serves, written byte for byte as the specification lays them out.
struct MIDIFile {
    /// One note: when it starts and how long it sounds, in ticks.
    struct Note: Equatable {
        var start: Int
        var length: Int
        var pitch: UInt8
        var velocity: UInt8
    }

    var name: String
    var bpm: Int
    var division = 480
    var channel: UInt8
    /// General MIDI program (0-127) set at the start of the note track.
    var program: UInt8
    var notes: [Note]

    /// The whole file: `MThd` then two `MTrk` chunks.
    var data: Data {
        var file = Data("MThd".utf8)
        file.append(contentsOf: Self.be32(6))
        file.append(contentsOf: Self.be16(1))                // format 1
        file.append(contentsOf: Self.be16(2))                // tracks
        file.append(contentsOf: Self.be16(UInt16(division)))
        file.append(Self.chunk(conductorTrack))
        file.append(Self.chunk(noteTrack))
        return file
    }

    /// Delta time 0, the song's name, its tempo and 4/4, then the end of the track.
    private var conductorTrack: [UInt8] {
        let microsecondsPerQuarter = 60_000_000 / max(1, bpm)
        var events: [UInt8] = []
        events += [0x00] + Self.meta(0x03, Array(name.utf8))
        events += [0x00] + Self.meta(0x51, [UInt8(microsecondsPerQuarter >> 16 & 0xFF), UInt8(microsecondsPerQuarter >> 8 & 0xFF), UInt8(microsecondsPerQuarter & 0xFF)])
        events += [0x00] + Self.meta(0x58, [4, 2, 24, 8])
        events += [0x00] + Self.meta(0x2F, [])
        return events
    }

    /// The part's name and program, its notes as note-on/note-off pairs in time order (offs
    /// before ons at the same tick), then the end of the track.
    private var noteTrack: [UInt8] {
        var events: [UInt8] = []
        events += [0x00] + Self.meta(0x03, Array(name.utf8))
        events += [0x00, 0xC0 | channel, program & 0x7F]
        // (tick, order, bytes): order 0 sorts note-offs before note-ons at the same tick.
        var timeline: [(tick: Int, order: Int, bytes: [UInt8])] = []
        for note in notes {
            timeline.append((note.start, 1, [0x90 | channel, note.pitch & 0x7F, max(1, note.velocity & 0x7F)]))
            timeline.append((note.start + note.length, 0, [0x80 | channel, note.pitch & 0x7F, 0x40]))
        }
        timeline.sort { ($0.tick, $0.order) < ($1.tick, $1.order) }
        var now = 0
        for event in timeline {
            events += Self.variableLength(event.tick - now) + event.bytes
            now = event.tick
        }
        events += [0x00] + Self.meta(0x2F, [])
        return events
    }

    // MARK: Encoding

    private static func meta(_ type: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, type] + variableLength(payload.count) + payload
    }

    private static func chunk(_ events: [UInt8]) -> Data {
        var data = Data("MTrk".utf8)
        data.append(contentsOf: be32(UInt32(events.count)))
        data.append(contentsOf: events)
        return data
    }

    /// MIDI's variable-length quantity: 7 bits a byte, most significant first, the high bit set
    /// on every byte but the last.
    static func variableLength(_ value: Int) -> [UInt8] {
        var rest = UInt32(max(0, min(value, 0x0FFF_FFFF)))
        var bytes = [UInt8(rest & 0x7F)]
        rest >>= 7
        while rest > 0 {
            bytes.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
            rest >>= 7
        }
        return bytes
    }

    private static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    private static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}
