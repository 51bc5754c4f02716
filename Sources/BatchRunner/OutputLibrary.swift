import Foundation
import ProviderKit
import ZIPFoundation

/// The organised audio library under the output root: folder paths, text files written
/// atomically, `.lrc` from lyric sections, and stems unpacked from their zip with every member
/// checked before anything is written.
struct OutputLibrary: Sendable {
    let root: URL

    func folder(_ relative: String) -> URL {
        relative.isEmpty ? root : root.appendingPathComponent(relative, isDirectory: true)
    }

    /// Path of a library file relative to the root (what the ledger records).
    func relativePath(_ url: URL) -> String {
        let rootPath = root.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        return path.hasPrefix(rootPath + "/") ? String(path.dropFirst(rootPath.count + 1)) : path
    }

    /// Writes text through a ``PartFile``.
    func writeText(_ text: String, to url: URL) throws -> PartFile.Written {
        try PartFile.writeText(text, to: url)
    }

    /// What an interrupted write leaves: `*.part` files, stems archives, and the tagger's
    /// hidden copies (`.song.mp3.part.tagging-<uuid>`).
    static func isLeftover(_ name: String) -> Bool {
        name.hasSuffix(".part") || (archiveRoles.contains { name.hasPrefix(".\($0.rawValue)-") } && name.hasSuffix(".zip"))
            || (name.hasPrefix(".") && name.contains(".tagging-"))
    }

    /// The files that arrive as an archive, downloaded to a hidden `.<role>-<key>.zip` first.
    static let archiveRoles: [FileRole] = [.stems, .midi]

    /// Removes what an interrupted write left in a folder (and its `stems/` and `midi/`):
    /// `*.part` files, stems and MIDI archives and half-tagged copies. Only called while the run holds the lock, for folders it will write into.
    func removeLeftovers(in relative: String) -> [String] {
        var removed: [String] = []
        let base = self.folder(relative)
        for folder in [base, base.appendingPathComponent("stems", isDirectory: true), base.appendingPathComponent("midi", isDirectory: true)] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for name in names where Self.isLeftover(name) {
                let url = folder.appendingPathComponent(name)
                if (try? FileManager.default.removeItem(at: url)) != nil { removed.append(relativePath(url)) }
            }
        }
        return removed
    }

    // MARK: LRC

    /// `.lrc` text: `[ti:]` and `[length:]` tags, section markers as `#` comment lines, and one
    /// `[mm:ss.xx]` line per sung line with timestamps that never go backwards.
    static func lrc(title: String?, duration: Double?, sections: [LyricsSection]) -> String {
        var lines: [String] = []
        if let title { lines.append("[ti:\(title)]") }
        if let duration { lines.append("[length:\(timestamp(duration, fractions: false))]") }
        var previous = 0.0
        for section in sections {
            let text = section.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            if text.hasPrefix("[") && text.hasSuffix("]") {
                lines.append("# \(text)")
                continue
            }
            let start = max(previous, section.start)
            previous = start
            lines.append("[\(timestamp(start, fractions: true))]\(text)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func timestamp(_ seconds: Double, fractions: Bool) -> String {
        let hundredths = Int((max(0, seconds) * 100).rounded())
        let minutes = hundredths / 6000, wholeSeconds = (hundredths / 100) % 60, fraction = hundredths % 100
        let base = String(format: "%02d:%02d", minutes, wholeSeconds)
        return fractions ? base + String(format: ".%02d", fraction) : base
    }

    // MARK: Stems

    /// Stem names the service uses; a member `<name>_<stem>.<ext>` becomes `stems/<stem>.<ext>`.
    static let knownStems: Set<String> = ["original", "vocals", "bass", "drums", "other", "piano", "guitar", "strings", "wind", "accompaniment"]

    struct UnsafeArchive: Error, CustomStringConvertible {
        var what = "stems"
        let member: String
        var description: String { "the \(what) archive holds an unsafe member '\(member)'; nothing was extracted" }
    }

    /// Unpacks `zip` into `<folder>/stems/`. Every member is checked first (a plain file, a
    /// relative path without `..`, a name that stays inside `stems/`; directory entries are
    /// skipped, links and other special members refused), each is extracted to a `.part` file
    /// with its CRC checked, and only when every member has passed are they all renamed: a bad
    /// archive leaves no stem under a final name. `finishing` (tagging) runs on each stem before
    /// the renames.
    func extractStems(
        zip: URL, into folder: URL, finishing: PartFile.Finishing? = nil
    ) throws -> [(url: URL, written: PartFile.Written)] {
        try extract(zip: zip, into: folder.appendingPathComponent("stems", isDirectory: true), what: "stems",
                    name: Self.stemFileName(forMember:), finishing: finishing)
    }

    /// Unpacks a MIDI transcription's `zip` into `<folder>/midi/` the same way: every member a
    /// Standard MIDI File (`MThd` header) with a `.mid` name (`Song_melody.mid` → `melody.mid`).
    func extractMIDI(zip: URL, into folder: URL) throws -> [(url: URL, written: PartFile.Written)] {
        try extract(zip: zip, into: folder.appendingPathComponent("midi", isDirectory: true), what: "MIDI",
                    name: Self.midiFileName(forMember:)) { file in
            file.head.prefix(4) == Data("MThd".utf8) ? nil : "is not a Standard MIDI File"
        }
    }

    private func extract(
        zip: URL, into target: URL, what: String, name: (String) -> String?, check: (PartFile) -> String? = { _ in nil },
        finishing: PartFile.Finishing? = nil
    ) throws -> [(url: URL, written: PartFile.Written)] {
        let archive = try Archive(url: zip, accessMode: .read, pathEncoding: nil)
        var plan: [(entry: Entry, name: String)] = []
        var seen = Set<String>()
        for entry in archive {
            if entry.type == .directory { continue }
            guard entry.type == .file, let name = name(entry.path), seen.insert(name).inserted else {
                throw UnsafeArchive(what: what, member: entry.path)
            }
            plan.append((entry, name))
        }
        guard !plan.isEmpty else { throw UnsafeArchive(what: what, member: "(empty archive)") }
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        var extracted: [(url: URL, file: PartFile)] = []
        func discardAll() { for index in extracted.indices { extracted[index].file.discard() } }
        for (entry, name) in plan {
            let destination = target.appendingPathComponent(name)
            var file = try PartFile(for: destination)
            let checksum: CRC32
            do {
                checksum = try archive.extract(entry, skipCRC32: false) { data in try file.write(data) }
            } catch {
                file.discard()
                discardAll()
                throw error
            }
            guard checksum == entry.checksum, UInt64(file.size) == entry.uncompressedSize else {
                file.discard()
                discardAll()
                throw ProviderError(.transient(retryAfter: nil), "\(what) file \(entry.path) failed its CRC check; nothing was extracted")
            }
            if let problem = check(file) {
                file.discard()
                discardAll()
                throw ProviderError(.transient(retryAfter: nil), "\(what) file \(entry.path) \(problem); nothing was extracted")
            }
            extracted.append((destination, file))
        }
        var results: [(url: URL, written: PartFile.Written)] = []
        for index in extracted.indices {
            results.append((extracted[index].url, try extracted[index].file.commit(finishing: finishing)))
        }
        return results
    }

    /// `Song_melody.mid` → `melody.mid`; nil for anything that is not a safe `.mid` name.
    static func midiFileName(forMember path: String) -> String? {
        guard let safe = safeMemberName(path) else { return nil }
        let ext = (safe as NSString).pathExtension.lowercased()
        guard ext == "mid" || ext == "midi" else { return nil }
        let stem = (safe as NSString).deletingPathExtension
        let part = stem.split(separator: "_").last.map(String.init) ?? stem
        return part + ".mid"
    }

    /// `Song_vocals.flac` → `vocals.flac`; nil for anything that could leave `stems/`.
    static func stemFileName(forMember path: String) -> String? {
        guard let base = safeMemberName(path) else { return nil }
        let ext = (base as NSString).pathExtension.lowercased()
        let stem = (base as NSString).deletingPathExtension
        let suffix = stem.split(separator: "_").last.map(String.init)?.lowercased() ?? stem
        let name = knownStems.contains(suffix) ? suffix : stem
        let safe = name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
        guard !safe.isEmpty, !ext.isEmpty, ext.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
        return String(String.UnicodeScalarView(safe)) + "." + ext
    }

    /// The last component of a member's path, when the path is relative and stays inside the
    /// folder it is unpacked into; its name is then reduced to safe ASCII.
    private static func safeMemberName(_ path: String) -> String? {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\"), !path.contains("\0") else { return nil }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else { return nil }
        let base = String(components.last ?? "")
        let safe = base.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
        let name = String(String.UnicodeScalarView(safe))
        return name.isEmpty || name.hasPrefix(".") ? nil : name
    }
}
