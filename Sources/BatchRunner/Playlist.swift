import BatchLedger
import BatchManifest
import Foundation

/// Extended M3U8 playlists: each run's `_reports/<timestamp>.m3u8` lists the tracks it filed,
/// and `<root>/<manifest>/playlist.m3u8` the manifest's whole library. A track is the mp3 of a
/// song, instrumental or extend (and of each further item of its create), in graph order; paths
/// are relative to the playlist's folder, `#EXTINF` carries the duration and the title.
enum Playlist {
    struct Track: Equatable {
        /// Relative to the output root.
        var path: String
        var title: String
        /// Whole seconds, or nil when the provider did not say.
        var seconds: Int?
    }

    /// The tracks the ledger holds for `tasks`, in graph order.
    static func tracks(of tasks: [GraphTask], ledger: Ledger) throws -> [Track] {
        let keys = tasks.filter { TrackTagging.isTrack($0.kind) }.map(\.key.hex)
        let records = try ledger.tasks(keys: keys)
        let files = try ledger.fileHeads(ofKeys: keys)
        var tracks: [Track] = []
        for task in tasks where TrackTagging.isTrack(task.kind) {
            guard let record = records[task.key.hex], record.state == .downloaded else { continue }
            let mp3s = (files[task.key.hex] ?? []).map(\.path).filter { $0.hasSuffix(".mp3") }
            guard !mp3s.isEmpty else { continue }
            // Results by file stem: the task's own item, then `song-2`, `song-3`, …
            var results = [task.fileStem: StoredResult.parse(record.result)]
            if mp3s.count > 1 || !mp3s.contains(where: { $0.hasSuffix("/\(task.fileStem).mp3") || $0 == "\(task.fileStem).mp3" }) {
                for extra in try ledger.extraItems(of: task.key.hex) {
                    results["\(task.fileStem)-\(extra.ordinal)"] = StoredResult.parse(extra.result)
                }
            }
            for path in mp3s.sorted(by: { stemOrder($0, task.fileStem) < stemOrder($1, task.fileStem) }) {
                let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                let result = results[stem] ?? nil
                let title = result?.title.flatMap(TrackTagging.nonBlank)
                    ?? TrackTagging.title(fromPrompt: task.request.prompt) ?? "\(task.job) \(stem)"
                tracks.append(Track(path: path, title: title, seconds: result?.duration.map { Int($0.rounded()) }))
            }
        }
        return tracks
    }

    /// `song` before `song-2` before `song-10`.
    private static func stemOrder(_ path: String, _ fileStem: String) -> Int {
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        guard stem != fileStem else { return 0 }
        return Int(stem.dropFirst(fileStem.count + 1)) ?? Int.max
    }

    /// The playlist's text, for a playlist in `folder` (relative to the output root).
    static func text(_ tracks: [Track], in folder: String) -> String {
        var lines = ["#EXTM3U"]
        for track in tracks {
            let title = track.title.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
            lines.append("#EXTINF:\(track.seconds ?? -1),\(title)")
            lines.append(relative(track.path, from: folder))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `path` as seen from `folder`, both relative to the same root: `../neon/v1/song.mp3`.
    static func relative(_ path: String, from folder: String) -> String {
        let target = path.split(separator: "/").map(String.init)
        let base = folder.split(separator: "/").map(String.init)
        var common = 0
        while common < base.count, common < target.count - 1, base[common] == target[common] { common += 1 }
        return (Array(repeating: "..", count: base.count - common) + target[common...]).joined(separator: "/")
    }

    /// Writes `playlist` atomically to `url`.
    static func write(_ tracks: [Track], to url: URL, library: OutputLibrary) throws {
        let folder = library.relativePath(url.deletingLastPathComponent())
        _ = try library.writeText(text(tracks, in: folder == library.root.standardizedFileURL.path ? "" : folder), to: url)
    }
}
