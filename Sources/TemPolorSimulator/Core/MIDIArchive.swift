import Foundation
import ZIPFoundation

/// The zip that a MIDI transcription's `midi_url` serves: one Standard MIDI File per part,
/// named `<name>_<part>.mid`, as long as the source. The music is a deterministic stand-in for a
/// transcription: a key, a tempo and a four-chord progression drawn from the item's id, a
/// held triad per bar, a bass note per beat and a stepwise melody in eighth notes.
enum MIDIArchive {
    static let parts = ["melody", "bass", "chords"]

    static func zip(name: String, seconds: Int, seed: UInt64) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
        for file in files(name: name, seconds: seconds, seed: seed) {
            let bytes = file.data
            try archive.addEntry(
                with: "\(name)_\(file.part).mid", type: .file, uncompressedSize: Int64(bytes.count),
                compressionMethod: .deflate
            ) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return data
    }

    /// The transcription's parts, in ``parts`` order.
    static func files(name: String, seconds: Int, seed: UInt64) -> [(part: String, data: Data)] {
        var random = SplitMix64(seed: seed)
        let bpm = 80 + Int(random.next() % 61)                  // 80...140
        let root = 57 + Int(random.next() % 12)                 // A3...G#4: the key's tonic
        let progressions = [[0, 7, 9, 5], [0, 5, 7, 5], [9, 5, 0, 7], [0, 9, 5, 7]]
        let progression = progressions[Int(random.next() % UInt64(progressions.count))]
        let division = 480
        let bar = 4 * division
        let bars = max(1, Int((Double(seconds) * Double(bpm) / 60 / 4).rounded(.up)))
        let major = [0, 2, 4, 5, 7, 9, 11]

        var chords: [MIDIFile.Note] = [], bass: [MIDIFile.Note] = [], melody: [MIDIFile.Note] = []
        var degree = 7                                          // the melody starts on the octave
        for index in 0..<bars {
            let offset = progression[index % progression.count]
            let minor = offset == 9                             // vi is minor, the others major
            let chordRoot = root + offset
            for interval in [0, minor ? 3 : 4, 7] {
                chords.append(.init(start: index * bar, length: bar - 10, pitch: UInt8(chordRoot + interval), velocity: 70))
            }
            for beat in 0..<4 {
                bass.append(.init(start: index * bar + beat * division, length: division - 20, pitch: UInt8(chordRoot - 24), velocity: 90))
            }
            for eighth in 0..<8 {
                let step = Int(random.next() % 5) - 2               // -2...2 scale steps
                degree = min(13, max(0, degree + step))
                let pitch = root + 12 + (degree / 7) * 12 + major[degree % 7]
                melody.append(.init(start: index * bar + eighth * division / 2, length: division / 2 - 20,
                                    pitch: UInt8(min(127, pitch)), velocity: UInt8(80 + random.next() % 30)))
            }
        }
        let made: [(String, UInt8, UInt8, [MIDIFile.Note])] = [("melody", 0, 73, melody), ("bass", 1, 33, bass), ("chords", 2, 0, chords)]
        return made.map { part, channel, program, notes in
            (part, MIDIFile(name: "\(name) \(part)", bpm: bpm, division: division, channel: channel, program: program, notes: notes).data)
        }
    }
}
