import AudioTags
import BatchLedger
import BatchManifest
import Foundation
import ProviderKit

/// Filing a finished item: every file the provider has for it is fetched (through the
/// provider's file step), checked, hashed and renamed into the task's folder; lyrics and
/// timings are written beside it; the task ends `downloaded` only when every file is in place.
extension TaskExecutor {
    /// Files the task's results. The task ends `downloaded` only when every file is in place.
    func download(_ task: GraphTask) async -> DownloadOutcome {
        await context.working {
            do {
                try await context.idle { try await context.downloadSlots.acquire() }
            } catch {
                return .failed("interrupted before downloading")
            }
            let outcome = await downloadHoldingSlot(task)
            await context.downloadSlots.release()
            return outcome
        }
    }

    private func downloadHoldingSlot(_ task: GraphTask) async -> DownloadOutcome {
        do {
            guard let record = try ledger.task(task.key.hex), var result = StoredResult.parse(record.result), let itemID = record.itemID else {
                return .failed("no result recorded")
            }
            let folder = context.library.folder(task.output)
            let ref = context.ref(task, itemID: itemID, account: record.account)
            var files: [FileRecord] = []
            var missing: [String] = []
            func add(_ url: URL, _ written: PartFile.Written) {
                let stat = FileStat.of(url.path)
                files.append(FileRecord(taskKey: task.key.hex, path: context.library.relativePath(url), size: written.size,
                                        sha256: written.sha256, createdAt: context.clock.now(), mtime: stat?.mtime, inode: stat?.inode))
            }
            /// Downloads one file of an item. The provider says where (TemPolor: the recorded
            /// URL; useapi: its download route). A refused URL (expired signature) is refreshed
            /// by asking the provider again; so is any URL after its first failure, since a
            /// stored URL may point at a host that no longer serves it. A fresher answer is
            /// kept (`save`) and replaces `known`.
            func fetch(
                _ role: FileRole, of item: ItemRef, known: inout StoredResult, save: (StoredResult) throws -> Void, to destination: URL,
                finishing: PartFile.Finishing? = nil
            ) async throws {
                var attempt = 0
                var stale = false
                while true {
                    let provider = context.provider, report = known.report
                    let location = try await context.retrying.run { () async throws(ProviderError) in
                        try await provider.location(of: role, for: item, report: report, stale: stale)
                    }
                    stale = false
                    if let fresh = location.report {
                        known = StoredResult(fresh)
                        try save(known)
                    }
                    do {
                        add(destination, try await context.downloader.download(location.url, to: destination, finishing: finishing))
                        return
                    } catch let error as ProviderError {
                        attempt += 1
                        guard case .transient(let retryAfter) = error.failureClass, attempt < context.attempts else { throw error }
                        if error.urlExpired || attempt == 1 {
                            stale = true
                            context.progress.note("\(task.output) \(task.fileStem) \(task.key.short): result URL \(error.urlExpired ? "expired" : "failed (\(error.message))"), refreshing")
                        } else if !(await context.pause(attempt: attempt - 1, retryAfter: retryAfter)) {
                            throw CancellationError()
                        }
                    }
                }
            }
            func fetch(_ role: FileRole, to destination: URL) async throws {
                try await fetch(role, of: ref, known: &result, save: { try ledger.recordResult(task.key.hex, result: $0.json) }, to: destination)
            }
            let parent = try self.parent(of: task)
            // The generation date in the tags: when the work was first reported done.
            let generated = try ledger.generatedAt(task.key.hex) ?? record.updatedAt
            /// The audio of one item: mp3, WAV when there is one, and the lyric timings of a song
            /// chain. The mp3 and WAV are tagged before they get their names.
            func fileAudio(_ item: ItemRef, _ known: inout StoredResult, stem: String, save: (StoredResult) throws -> Void) async throws {
                let tags = context.tagging.tags(for: task, itemID: item.id, result: known, generated: generated, parent: parent)
                try await fetch(.mp3, of: item, known: &known, save: save, to: folder.appendingPathComponent("\(stem).mp3"), finishing: tagging(tags))
                if known.fileRoles.contains(.wav) {
                    try await fetch(.wav, of: item, known: &known, save: save, to: folder.appendingPathComponent("\(stem).wav"), finishing: tagging(tags))
                } else {
                    missing.append("\(stem).wav: the provider produced no WAV (\(known.providerStatus))")
                }
                if ref.chain == .song {
                    if known.sections.isEmpty {
                        missing.append("\(stem).lrc: the provider produced no lyric timings")
                    } else {
                        let lrc = OutputLibrary.lrc(title: known.title, duration: known.duration, sections: known.lyricsSections)
                        let url = folder.appendingPathComponent("\(stem).lrc")
                        add(url, try context.library.writeText(lrc, to: url))
                    }
                }
            }

            /// An archive (stems, MIDI): fetched to a hidden zip and unpacked by `extract`, which
            /// checks every member before any gets its name; a bad archive is fetched again.
            func fileArchive(_ role: FileRole, extract: (URL) throws -> [(url: URL, written: PartFile.Written)]) async throws {
                let zip = folder.appendingPathComponent(".\(role.rawValue)-\(task.key.short).zip")
                var attempt = 0
                while true {
                    try await fetch(role, to: zip)
                    files.removeAll { $0.path == context.library.relativePath(zip) }
                    do {
                        for (url, written) in try extract(zip) { add(url, written) }
                        try? FileManager.default.removeItem(at: zip)
                        return
                    } catch let error as ProviderError where attempt + 1 < context.attempts {
                        attempt += 1
                        context.progress.note("\(task.output) \(role.rawValue) \(task.key.short): \(error.message); downloading again")
                    } catch {
                        try? FileManager.default.removeItem(at: zip)
                        throw error
                    }
                }
            }

            switch task.kind {
            case .song, .extend, .instrumental, .cover:
                try await fileAudio(ref, &result, stem: task.fileStem) { try ledger.recordResult(task.key.hex, result: $0.json) }
                if ref.chain == .song, task.kind == .song || task.kind == .cover, let lyrics = result.lyrics, !lyrics.isEmpty {
                    let url = folder.appendingPathComponent(task.kind == .cover ? "cover-lyrics.txt" : "lyrics.txt")
                    add(url, try context.library.writeText(lyrics + "\n", to: url))
                }
                // Further items of the same create: `song-2.mp3`, `song-3.mp3`, …
                for extra in try ledger.extraItems(of: task.key.hex) {
                    let stem = "\(task.fileStem)-\(extra.ordinal)"
                    guard var known = StoredResult.parse(extra.result), known.phase == "succeeded" || known.phase == "part_failed" else {
                        missing.append("\(stem): the create's further item \(extra.itemID) did not succeed")
                        continue
                    }
                    try await fileAudio(context.ref(task, itemID: extra.itemID, account: record.account), &known, stem: stem) {
                        try ledger.recordExtraResult(task.key.hex, ordinal: extra.ordinal, result: $0.json, final: true)
                    }
                }
            case .lyrics:
                // When the lyrics feed a single song in the same folder, that song's lyrics.txt holds them.
                if task.folders != [task.output], let lyrics = result.lyrics {
                    let url = folder.appendingPathComponent("lyrics.txt")
                    add(url, try context.library.writeText(lyrics + "\n", to: url))
                }
            case .midi:
                try await fileArchive(.midi) { zip in try context.library.extractMIDI(zip: zip, into: folder) }
            case .stems:
                let tagging = context.tagging
                try await fileArchive(.stems) { zip in
                    try context.library.extractStems(zip: zip, into: folder) { stem, bytes in
                        self.tag(stem, bytes, tagging.stemTags(for: task, itemID: itemID, stemFile: stem.lastPathComponent, generated: generated, parent: parent))
                    }
                }
            }
            let downloaded = try ledger.recordDownloaded(task.key.hex, files: files, run: runID)
            context.progress.transition(task, record.state, downloaded.state, "\(files.count) file(s)" + (missing.isEmpty ? "" : "; missing: \(missing.joined(separator: "; "))"))
            await context.metadata.noteMissing(task.key.hex, missing)
            await context.metadata.write(folder: task.output)
            return .downloaded(files.map(\.path))
        } catch is CancellationError {
            return .failed("interrupted while downloading")
        } catch {
            let reason = "download failed: \(error)"
            context.progress.warn("\(task.output) \(task.fileStem) \(task.key.short): \(reason)")
            return .failed(reason)
        }
    }

    /// The item the task was derived from (an extend's song, a stem's audio), for its tags.
    private func parent(of task: GraphTask) throws -> TrackTagging.Parent? {
        guard let key = task.parents.first, let record = try ledger.task(key.hex) else { return nil }
        return TrackTagging.Parent(itemID: record.itemID, title: StoredResult.parse(record.result)?.title)
    }

    /// The finishing step that writes `tags` into a downloaded file.
    private func tagging(_ tags: TrackTags) -> PartFile.Finishing {
        { destination, bytes in self.tag(destination, bytes, tags) }
    }

    /// The bytes of the file bound for `destination` with `tags` written in (its part file
    /// commits them). A file that cannot be tagged is kept as the provider sent it (the audio
    /// matters more than its tags), with a note.
    private func tag(_ destination: URL, _ bytes: Data, _ tags: TrackTags) -> Data? {
        guard let format = AudioFormat(fileName: destination.lastPathComponent) else { return nil }
        do {
            return try AudioTagger.tagged(bytes, format: format, tags: tags)
        } catch {
            context.progress.warn("could not tag \(context.library.relativePath(destination)): \(error); kept untagged")
            return nil
        }
    }
}
