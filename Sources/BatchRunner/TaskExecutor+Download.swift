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
            let ref = context.ref(task, itemID: itemID)
            var files: [FileRecord] = []
            var missing: [String] = []
            func add(_ url: URL, _ written: PartFile.Written) {
                let stat = FileStat.of(url.path)
                files.append(FileRecord(taskKey: task.key.hex, path: context.library.relativePath(url), size: written.size,
                                        sha256: written.sha256, createdAt: context.clock.now(), mtime: stat?.mtime, inode: stat?.inode))
            }
            /// Downloads one file of the item. The provider says where (TemPolor: the recorded
            /// URL; useapi: its download route). A refused URL (expired signature) is refreshed
            /// by asking the provider again; so is any URL after its first failure, since a
            /// stored URL may point at a host that no longer serves it.
            func fetch(_ role: FileRole, to destination: URL) async throws {
                var attempt = 0
                var stale = false
                while true {
                    let provider = context.provider, known = result.report
                    let location = try await context.retrying.run { () async throws(ProviderError) in
                        try await provider.location(of: role, for: ref, report: known, stale: stale)
                    }
                    stale = false
                    if let fresh = location.report {
                        result = StoredResult(fresh)
                        try ledger.recordResult(task.key.hex, result: result.json)
                    }
                    do {
                        add(destination, try await context.downloader.download(location.url, to: destination))
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

            switch task.kind {
            case .song, .extend, .instrumental:
                try await fetch(.mp3, to: folder.appendingPathComponent("\(task.fileStem).mp3"))
                if result.fileRoles.contains(.wav) {
                    try await fetch(.wav, to: folder.appendingPathComponent("\(task.fileStem).wav"))
                } else {
                    missing.append("\(task.fileStem).wav: the provider produced no WAV (\(result.providerStatus))")
                }
                if ref.chain == .song {
                    if result.sections.isEmpty {
                        missing.append("\(task.fileStem).lrc: the provider produced no lyric timings")
                    } else {
                        let lrc = OutputLibrary.lrc(title: result.title, duration: result.duration, sections: result.lyricsSections)
                        let url = folder.appendingPathComponent("\(task.fileStem).lrc")
                        add(url, try context.library.writeText(lrc, to: url))
                    }
                    if task.kind == .song, let lyrics = result.lyrics, !lyrics.isEmpty {
                        let url = folder.appendingPathComponent("lyrics.txt")
                        add(url, try context.library.writeText(lyrics + "\n", to: url))
                    }
                }
            case .lyrics:
                // When the lyrics feed a single song in the same folder, that song's lyrics.txt holds them.
                if task.folders != [task.output], let lyrics = result.lyrics {
                    let url = folder.appendingPathComponent("lyrics.txt")
                    add(url, try context.library.writeText(lyrics + "\n", to: url))
                }
            case .stems:
                let zip = folder.appendingPathComponent(".stems-\(task.key.short).zip")
                var attempt = 0
                while true {
                    try await fetch(.stems, to: zip)
                    files.removeAll { $0.path == context.library.relativePath(zip) }
                    do {
                        for (url, written) in try context.library.extractStems(zip: zip, into: folder) { add(url, written) }
                        try? FileManager.default.removeItem(at: zip)
                        break
                    } catch let error as ProviderError where attempt + 1 < context.attempts {
                        attempt += 1
                        context.progress.note("\(task.output) stems \(task.key.short): \(error.message); downloading again")
                    } catch {
                        try? FileManager.default.removeItem(at: zip)
                        throw error
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
            context.progress.note("\(task.output) \(task.fileStem) \(task.key.short): \(reason)")
            return .failed(reason)
        }
    }
}
