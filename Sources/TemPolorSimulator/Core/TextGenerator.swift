import Foundation

/// One entry of `lyrics_sections`.
struct LyricsSection: Sendable, Equatable, Codable {
    var start: Double
    var end: Double
    var text: String
}

/// Derives timed sections from lyrics the way the service presents them: section markers such
/// as `[verse]` become their own near-zero-length entries (`"\n[verse]"` after the first),
/// lines share the song's length, and times only move forward and stay inside `duration`.
enum LyricsTiming {
    static func sections(for lyrics: String, duration: Int, startingAt offset: Double = 0.76) -> [LyricsSection] {
        let lines = lyrics.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !lines.isEmpty, Double(duration) > offset + 1 else { return [] }
        let markers = lines.filter(isMarker).count
        let sung = max(1, lines.count - markers)
        let available = Double(duration) - offset - 1 - Double(markers) * 0.16
        let slot = max(0.05, available / Double(sung))
        var time = offset
        var result: [LyricsSection] = []
        for line in lines {
            if isMarker(line) {
                let text = result.isEmpty ? line : "\n" + line
                result.append(LyricsSection(start: round3(time), end: round3(time + 0.02), text: text))
                time += 0.16
            } else {
                result.append(LyricsSection(start: round3(time), end: round3(time + slot * 0.85), text: line))
                time += slot
            }
        }
        return result.filter { $0.end <= Double(duration) }
    }

    static func isMarker(_ line: String) -> Bool { line.hasPrefix("[") && line.hasSuffix("]") }

    static func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// Deterministic stand-ins for what the platform writes: titles, styles and lyrics.
enum TextGenerator {
    static let styles = ["Pop", "Jazz", "Rock", "Lo-fi", "Soul", "Folk", "Blues", "Ambient", "Classical", "Electronic"]

    static func title(for prompt: String) -> String {
        let words = prompt.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "'" }).prefix(4)
        guard !words.isEmpty else { return "Untitled" }
        return words.map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: " ")
    }

    static func style(for prompt: String) -> String {
        let lowered = prompt.lowercased()
        return styles.first { lowered.contains($0.lowercased()) } ?? "Pop"
    }

    static func lyrics(for prompt: String, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed ^ SplitMix64.hash(prompt))
        let images = ["silver light", "open road", "quiet harbour", "midnight rain", "paper moon", "falling leaves", "distant bells", "morning tide"]
        func line() -> String {
            let first = images[Int(random.next() % UInt64(images.count))]
            let second = images[Int(random.next() % UInt64(images.count))]
            return "Under the \(first), toward the \(second)"
        }
        return ["[verse]", line(), line(), line(), line(), "[chorus]", line(), line(), "[verse]", line(), line(), "[chorus]", line(), line()]
            .joined(separator: "\n")
    }

    /// Seconds a song runs for its lyrics: about eight seconds a sung line plus intro and
    /// outro, between one and four minutes.
    static func songDuration(lyrics: String) -> Int {
        let sung = lyrics.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !LyricsTiming.isMarker(String($0).trimmingCharacters(in: .whitespaces)) }.count
        return min(240, max(60, 40 + sung * 8))
    }

    /// An instrumental's length: a "N seconds" in the prompt, capped by the model; else 60 s.
    static func instrumentalDuration(prompt: String, cap: Int) -> Int {
        let words = prompt.lowercased().split(whereSeparator: { $0 == " " || $0 == "," })
        for (index, word) in words.enumerated() where index + 1 < words.count && words[index + 1].hasPrefix("second") {
            if let seconds = Int(word) { return min(cap, max(10, seconds)) }
        }
        return min(cap, 60)
    }
}
