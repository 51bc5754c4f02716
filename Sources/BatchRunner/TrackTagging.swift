import AudioTags
import BatchManifest
import Foundation
import ProviderKit

/// What goes into the tags of a run's audio files: the manifest's `tags:` templates, the
/// provider's answer and the task's place in the graph. Pure: the executor asks it for the
/// tags of each file and writes them (``AudioTagger``) before the file gets its name.
struct TrackTagging: Sendable {
    let manifest: Manifest
    let graph: TaskGraph
    /// Each audio task's track number within its job, and the job's audio track count.
    private let tracks: [TaskKey: (number: Int, total: Int)]

    init(manifest: Manifest, graph: TaskGraph) {
        self.manifest = manifest
        self.graph = graph
        var byJob: [String: [TaskKey]] = [:]
        for task in graph.tasks where Self.isTrack(task.kind) { byJob[task.job, default: []].append(task.key) }
        var tracks: [TaskKey: (number: Int, total: Int)] = [:]
        for keys in byJob.values {
            for (offset, key) in keys.enumerated() { tracks[key] = (offset + 1, keys.count) }
        }
        self.tracks = tracks
    }

    static func isTrack(_ kind: TaskKind) -> Bool { kind == .song || kind == .instrumental || kind == .extend || kind == .cover }

    /// The item a task was derived from, as the ledger knows it.
    struct Parent: Sendable {
        var itemID: String?
        var title: String?
    }

    /// Tags of one audio item (song, instrumental or extend) of `task`, generated at `date`.
    func tags(for task: GraphTask, itemID: String, result: StoredResult, generated date: Date, parent: Parent?) -> TrackTags {
        var tags = common(for: task, generated: date)
        tags.title = result.title.flatMap(Self.nonBlank) ?? Self.title(fromPrompt: chainValue(task) { $0.prompt }) ?? task.fileStem
        if let track = tracks[task.key] {
            tags.trackNumber = track.number
            tags.trackTotal = track.total
        }
        tags.lyrics = result.lyrics.flatMap(Self.nonBlank)
        tags.syncedLyrics = Self.syncedLines(result.lyricsSections)
        tags.bpm = result.bpm ?? task.request.bpm
        tags.key = (result.key ?? task.request.tonality).map(Self.musicalKey)
        tags.custom = identity(task, itemID: itemID, parent: parent)
        return tags
    }

    /// Tags of one stem file (`vocals.flac`) split from `parent`'s audio.
    func stemTags(for task: GraphTask, itemID: String, stemFile: String, generated date: Date, parent: Parent?) -> TrackTags {
        var tags = common(for: task, generated: date)
        let stem = (stemFile as NSString).deletingPathExtension
        let parentTitle = parent?.title.flatMap(Self.nonBlank)
            ?? task.request.sourceURL.flatMap { URL(string: $0)?.deletingPathExtension().lastPathComponent }.flatMap(Self.nonBlank)
            ?? Self.title(fromPrompt: chainValue(task) { $0.prompt })
        tags.title = parentTitle.map { "\($0) (\(stem))" } ?? stem
        tags.custom = identity(task, itemID: itemID, parent: parent) + [CustomField("STEM", stem)]
        if let parentTitle { tags.custom.append(CustomField("PARENT_TITLE", parentTitle)) }
        return tags
    }

    /// Artist, album, genre, date and comment: the same for every file of a chain.
    private func common(for task: GraphTask, generated date: Date) -> TrackTags {
        let combination = task.combination.map { (key: $0.key, value: $0.value) }
        func render(_ template: TagTemplate?) -> String? {
            template?.render(manifest: manifest.name, job: task.job, variant: task.variant, combination: combination)
        }
        var tags = TrackTags()
        tags.artist = render(manifest.tags.artist) ?? chainValue(task) { $0.model } ?? "TemPolor"
        tags.album = render(manifest.tags.album) ?? manifest.name
        tags.genre = render(manifest.tags.genre)
            ?? TagSettings.genreKeys.lazy.compactMap { key in task.combination.first { $0.key == key }?.value }.first
        tags.date = Self.day(date)
        tags.comment = chainValue(task) { $0.prompt }.flatMap(Self.nonBlank)
        return tags
    }

    /// The TXXX frames (Vorbis fields) that tie a file to its task: provider, item, task key,
    /// model and parent item.
    private func identity(_ task: GraphTask, itemID: String, parent: Parent?) -> [CustomField] {
        var fields = [
            CustomField("PROVIDER", task.request.provider.rawValue),
            CustomField("ITEM_ID", itemID),
            CustomField("TASK_KEY", task.key.hex),
        ]
        if let model = chainValue(task, { $0.model }) { fields.append(CustomField("MODEL", model)) }
        if let parentItem = parent?.itemID { fields.append(CustomField("PARENT_ITEM", parentItem)) }
        return fields
    }

    /// A request field of the task, else of the nearest ancestor in its chain that has it
    /// (an extend's or a stem's prompt and model are its song's); lyrics tasks are not part of
    /// the chain's audio.
    private func chainValue(_ task: GraphTask, _ field: (TaskRequest) -> String?) -> String? {
        var current: GraphTask? = task
        while let step = current {
            if step.kind != .lyrics, let value = field(step.request) { return value }
            current = step.parents.first.flatMap { graph[$0] }
        }
        return nil
    }

    /// A title from a prompt: its first sentence or line, at most 60 characters, cut at a word.
    static func title(fromPrompt prompt: String?) -> String? {
        guard let prompt = prompt.flatMap(nonBlank) else { return nil }
        var text = prompt.split(whereSeparator: { $0 == "\n" || $0 == "." || $0 == "!" || $0 == "?" }).first.map(String.init) ?? prompt
        text = text.trimmingCharacters(in: .whitespaces)
        guard text.count > 60 else { return text.isEmpty ? nil : text }
        let cut = text.prefix(60)
        let word = cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut
        return word.trimmingCharacters(in: .whitespaces.union(.punctuationCharacters)) + "…"
    }

    /// Sung lines with their start times; section markers (`[Verse]`) and blank lines are left out.
    static func syncedLines(_ sections: [LyricsSection]) -> [SyncedLine] {
        sections.compactMap { section in
            let text = section.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, !(text.hasPrefix("[") && text.hasSuffix("]")) else { return nil }
            return SyncedLine(milliseconds: UInt32(max(0, min(section.start * 1000, Double(UInt32.max))).rounded()), text: text)
        }
    }

    /// A key as ID3's TKEY spells it: `A:minor` → `Am`, `Eb:major` → `Eb`; other spellings as given.
    static func musicalKey(_ text: String) -> String {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2 else { return text }
        switch parts[1].lowercased() {
        case "minor": return parts[0] + "m"
        case "major": return String(parts[0])
        default: return text
        }
    }

    /// `2026-11-22` (UTC), as ID3v2.4's TDRC and Vorbis DATE spell a day.
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    static func nonBlank(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
