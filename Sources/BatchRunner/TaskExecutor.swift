import BatchLedger
import BatchManifest
import Foundation
import TemPolorClient

/// How a task's generation ended in this run.
enum GenerationOutcome: Error, Sendable, Equatable {
    /// Succeeded or part_failed: children may start, the download follows.
    case generated
    /// Permanently failed: descendants are blocked.
    case failed(String)
    /// Not submitted (the run stopped submitting, or every attempt was refused): still pending.
    case notSubmitted(String)
    /// The create's outcome is unknown: it may have been paid for.
    case ambiguous(String)
    /// Submitted, but this run stopped waiting (interrupted, or status checks kept failing).
    case unfinished(String)
}

enum DownloadOutcome: Sendable, Equatable {
    case downloaded([String])
    case failed(String)
}

/// Runs one task: submit (intent first, item id right after), wait for the provider, file
/// the results. Returns outcomes as values; never throws into the scheduler.
struct TaskExecutor: Sendable {
    let context: RunContext

    private var ledger: Ledger { context.ledger }
    private var runID: Int64 { context.runID }

    // MARK: Generation

    func generate(_ task: GraphTask) async -> GenerationOutcome {
        do {
            guard var record = try ledger.task(task.key.hex) else { return .failed("the ledger lost the task") }
            if record.state.isGenerated { return .generated }
            if !record.state.isInFlight {
                switch await submit(task, record) {
                case .success(let submitted): record = submitted
                case .failure(let outcome): return outcome
                }
            } else {
                // Resumed: the item exists; it occupies a provider slot while it runs.
                do { try await context.taskSlots.acquire() } catch { return .unfinished("interrupted before its status was checked") }
            }
            let outcome = await wait(task, record)
            await context.taskSlots.release()
            return outcome
        } catch {
            return .unfinished("ledger error: \(error)")
        }
    }

    /// Submits the task. On success the task slot is held (released by `generate`).
    private func submit(_ task: GraphTask, _ record: TaskRecord) async -> Result<TaskRecord, GenerationOutcome> {
        let wasAmbiguous = record.state == .ambiguous
        if wasAmbiguous && !context.resubmitAmbiguous { return .failure(.ambiguous(record.error ?? "unknown outcome")) }
        if let reason = await context.control.stopReason { return .failure(.notSubmitted(Self.describe(reason))) }
        let price = context.manifest.pricing.price(of: task.request)
        guard await context.control.reserve(price) else {
            return .failure(.notSubmitted(Self.describe(await context.control.stopReason)))
        }
        do {
            try await context.taskSlots.acquire()
        } catch {
            await context.control.refund(price)
            return .failure(.notSubmitted("interrupted before submission"))
        }
        /// Ends the attempt: the slot is released, credits refunded when nothing can have been
        /// created, and an ambiguous task stays ambiguous unless it was actually resubmitted.
        func giveUp(
            _ outcome: GenerationOutcome, refund: Bool = true, restoreAmbiguity: Bool = true, holdingSlot: Bool = true
        ) async -> Result<TaskRecord, GenerationOutcome> {
            if refund { await context.control.refund(price) }
            if holdingSlot { await context.taskSlots.release() }
            if wasAmbiguous && restoreAmbiguity, case .notSubmitted(let reason) = outcome {
                let note = "still ambiguous: the consented resubmission did not happen (\(reason))"
                if let updated = try? ledger.recordAmbiguous(task.key.hex, reason: record.error ?? note, run: runID) {
                    context.progress.transition(task, .submitting, updated.state, note)
                }
                return .failure(.ambiguous(note))
            }
            return .failure(outcome)
        }
        // Waiting for the slot may have taken a while: look again before paying.
        if let reason = await context.control.stopReason { return await giveUp(.notSubmitted(Self.describe(reason)), restoreAmbiguity: false) }
        if Task.isCancelled { return await giveUp(.notSubmitted("interrupted before submission"), restoreAmbiguity: false) }
        let submission: Submission
        do {
            submission = try await makeSubmission(task)
        } catch let error as ProviderError {
            switch error.failureClass {
            case .permanent:
                _ = try? ledger.recordFailed(task.key.hex, reason: error.message, run: runID)
                context.progress.transition(task, record.state, .failed, error.message)
                return await giveUp(.failed(error.message), restoreAmbiguity: false)
            case .fatal:
                await context.control.stop(.fatal(error.message))
                return await giveUp(.notSubmitted(error.message), restoreAmbiguity: false)
            default:
                return await giveUp(.notSubmitted(error.message), restoreAmbiguity: false)
            }
        } catch {
            return await giveUp(.notSubmitted("\(error)"), restoreAmbiguity: false)
        }
        do {
            let detail = wasAmbiguous ? "resubmitting as asked (--resubmit-ambiguous): the first submission may also have been paid for" : nil
            _ = try ledger.recordSubmitting(task.key.hex, run: runID, consented: wasAmbiguous, detail: detail)
            context.progress.transition(task, record.state, .submitting, detail)
        } catch {
            return await giveUp(.notSubmitted("ledger error: \(error)"), restoreAmbiguity: false)
        }
        var attempt = 0
        while true {
            let error: ProviderError
            do {
                let itemIDs = try await context.provider.submit(submission)
                return await recordSubmitted(task, itemIDs: itemIDs, onFailure: { await giveUp($0, refund: false) })
            } catch let providerError {
                error = providerError
            }
            do {
                switch error.failureClass {
                case .transient(let retryAfter):
                    // The call provably created nothing: trying again cannot pay twice.
                    if error.slowDown {
                        // The provider has too many of our tasks: lower the limit and queue
                        // behind it (waiting for another task to finish) rather than retry in place.
                        await context.taskSlots.slowDown()
                        await context.taskSlots.release()
                        do {
                            try await context.taskSlots.acquire()
                        } catch {
                            let reason = "interrupted while waiting for a slot"
                            _ = try ledger.recordPending(task.key.hex, reason: reason, run: runID)
                            return await giveUp(.notSubmitted(reason), holdingSlot: false)
                        }
                    }
                    attempt += 1
                    if attempt < context.attempts, !(await context.control.isStopped),
                       await context.pause(attempt: attempt - 1, retryAfter: retryAfter), !(await context.control.isStopped) {
                        continue
                    }
                    let stopped = await context.control.isStopped
                    let reason = stopped ? "not retried: the run is stopping (\(error.message))" : "gave up after \(attempt) attempt(s): \(error.message)"
                    _ = try ledger.recordPending(task.key.hex, reason: reason, run: runID)
                    context.progress.transition(task, .submitting, .pending, reason)
                    return await giveUp(.notSubmitted(reason))
                case .permanent:
                    _ = try ledger.recordFailed(task.key.hex, reason: error.message, run: runID)
                    context.progress.transition(task, .submitting, .failed, error.message)
                    return await giveUp(.failed(error.message), restoreAmbiguity: false)
                case .stopSubmitting:
                    await context.control.stop(.balance(error.message))
                    _ = try ledger.recordPending(task.key.hex, reason: error.message, run: runID)
                    context.progress.transition(task, .submitting, .pending, error.message)
                    return await giveUp(.notSubmitted(error.message))
                case .fatal:
                    await context.control.stop(.fatal(error.message))
                    _ = try ledger.recordPending(task.key.hex, reason: error.message, run: runID)
                    context.progress.transition(task, .submitting, .pending, error.message)
                    return await giveUp(.notSubmitted(error.message))
                case .ambiguous:
                    let reason = "the create call was sent but its answer was lost (\(error.message)); it may have been paid for"
                    _ = try ledger.recordAmbiguous(task.key.hex, reason: reason, run: runID)
                    context.progress.transition(task, .submitting, .ambiguous, error.message)
                    return await giveUp(.ambiguous(reason), refund: false, restoreAmbiguity: false)
                }
            } catch {
                // The ledger could not record the outcome: the row stays `submitting`, which the
                // next start-up turns into `ambiguous`. Never retry blindly from here.
                return await giveUp(.unfinished("ledger error after a create call: \(error)"), refund: false, restoreAmbiguity: false)
            }
        }
    }

    /// Commits the answered item id. It is printed first, and the write is retried, so a paid
    /// item can always be found again.
    private func recordSubmitted(
        _ task: GraphTask, itemIDs: [String],
        onFailure: (GenerationOutcome) async -> Result<TaskRecord, GenerationOutcome>
    ) async -> Result<TaskRecord, GenerationOutcome> {
        guard let itemID = itemIDs.first else {
            let reason = "the provider accepted the create call but named no item; it may have been paid for"
            _ = try? ledger.recordAmbiguous(task.key.hex, reason: reason, run: runID)
            return await onFailure(.ambiguous(reason))
        }
        let extra = itemIDs.dropFirst()
        var detail = "item \(itemID)"
        if !extra.isEmpty { detail += "; the provider also created \(extra.joined(separator: ", ")), which this task does not track" }
        var lastError: (any Error)?
        for _ in 0..<5 {
            do {
                let submitted = try ledger.recordSubmitted(task.key.hex, itemID: itemID, run: runID, detail: detail)
                context.progress.transition(task, .submitting, .submitted, detail)
                await context.taskSlots.recordSuccess()
                return .success(submitted)
            } catch {
                lastError = error
            }
        }
        let reason = "created item \(itemID), but the ledger could not record it (\(lastError.map { "\($0)" } ?? "?")); note the id"
        context.progress.note("\(task.output) \(task.fileStem) \(task.key.short): \(reason)")
        return await onFailure(.ambiguous(reason))
    }

    /// The create call's content, with what the parents produced filled in.
    private func makeSubmission(_ task: GraphTask) async throws -> Submission {
        let request = task.request
        let route = context.routes[task.key] ?? task.kind
        var submission = Submission(kind: task.kind, route: route, callbackURL: task.callbackURL ?? RunContext.placeholderCallbackURL)
        submission.model = request.model
        submission.prompt = request.prompt
        submission.lyrics = request.lyrics
        submission.voiceID = request.voiceID
        submission.startTime = request.startTime
        submission.sourceURL = request.sourceURL
        guard let parentKey = task.parents.first else { return submission }
        guard let parent = try ledger.task(parentKey.hex), let parentItem = parent.itemID,
              let result = StoredResult.parse(parent.result)
        else { throw ProviderError(.permanent, "its parent \(parentKey.short) has no finished result") }
        switch task.kind {
        case .song:
            guard let lyrics = result.lyrics, !lyrics.isEmpty else {
                throw ProviderError(.permanent, "the generated lyrics of \(parentKey.short) are empty")
            }
            submission.lyrics = lyrics
        case .extend:
            submission.parentItemID = parentItem
        case .stems:
            // Split the freshest URL of the parent's audio (signed URLs expire).
            let parentRoute = context.routes[parentKey] ?? .song
            let fresh = try await context.poller.refresh(route: parentRoute, itemID: parentItem)
            try ledger.recordResult(parentKey.hex, result: StoredResult(fresh).json)
            guard let url = fresh.audioHiURL ?? fresh.audioURL ?? result.audioURL else {
                throw ProviderError(.permanent, "the parent \(parentKey.short) has no audio URL to split")
            }
            submission.sourceURL = url
        case .lyrics, .instrumental:
            break
        }
        return submission
    }

    /// Waits for the item to finish and records how it ended.
    private func wait(_ task: GraphTask, _ record: TaskRecord) async -> GenerationOutcome {
        guard let itemID = record.itemID else { return .failed("submitted without an item id") }
        let route = context.routes[task.key] ?? task.kind
        let running = OnceFlag(alreadySet: record.state == .running)
        let ledger = self.ledger, runID = self.runID, progress = context.progress
        do {
            let report = try await context.poller.waitForFinal(route: route, itemID: itemID) { report in
                guard running.set() else { return }
                _ = try? ledger.recordRunning(task.key.hex, result: StoredResult(report).json, run: runID)
                progress.transition(task, .submitted, .running, report.providerStatus)
            }
            let from: TaskState = running.isSet ? .running : record.state
            switch report.phase {
            case .succeeded, .partFailed:
                let state: TaskState = report.phase == .succeeded ? .succeeded : .partFailed
                let detail = state == .partFailed ? "the audio is usable; the WAV or the timings failed" : nil
                _ = try ledger.recordGenerated(task.key.hex, state: state, result: StoredResult(report).json, detail: detail, run: runID)
                progress.transition(task, from, state, detail)
                return .generated
            case .failed(let reason):
                _ = try ledger.recordFailed(task.key.hex, reason: reason, run: runID)
                progress.transition(task, from, .failed, reason)
                return .failed(reason)
            case .working:
                return .unfinished("the provider's final answer was not final")
            }
        } catch let error as ProviderError {
            // Only the provider's own "failed" fails a paid item; a status call that goes wrong
            // leaves it submitted, to be checked again by the next run.
            if case .fatal = error.failureClass { await context.control.stop(.fatal(error.message)) }
            return .unfinished("item \(itemID) not tracked to the end: \(error.message)")
        } catch {
            return .unfinished("interrupted while waiting for item \(itemID)")
        }
    }

    // MARK: Download

    /// Files the task's results. The task ends `downloaded` only when every file is in place.
    func download(_ task: GraphTask) async -> DownloadOutcome {
        do {
            try await context.downloadSlots.acquire()
        } catch {
            return .failed("interrupted before downloading")
        }
        let outcome = await downloadHoldingSlot(task)
        await context.downloadSlots.release()
        return outcome
    }

    private func downloadHoldingSlot(_ task: GraphTask) async -> DownloadOutcome {
        do {
            guard let record = try ledger.task(task.key.hex), var result = StoredResult.parse(record.result), let itemID = record.itemID else {
                return .failed("no result recorded")
            }
            let folder = context.library.folder(task.output)
            let route = context.routes[task.key] ?? task.kind
            var files: [FileRecord] = []
            var missing: [String] = []
            func add(_ url: URL, _ written: PartFile.Written) {
                files.append(FileRecord(taskKey: task.key.hex, path: context.library.relativePath(url), size: written.size,
                                        sha256: written.sha256, createdAt: context.clock.now()))
            }
            /// Downloads one result URL. A refused URL (expired signature) is refreshed by asking
            /// the provider again; so is any URL after its first failure, since a stored URL may
            /// point at a host that no longer serves it.
            func fetch(_ pick: @escaping @Sendable (StoredResult) -> String?, to destination: URL) async throws {
                var attempt = 0
                while true {
                    guard let url = pick(result) else { throw ProviderError(.permanent, "the provider gave no URL for \(destination.lastPathComponent)") }
                    do {
                        add(destination, try await context.downloader.download(url, to: destination))
                        return
                    } catch let error as ProviderError {
                        attempt += 1
                        guard case .transient(let retryAfter) = error.failureClass, attempt < context.attempts else { throw error }
                        if error.urlExpired || attempt == 1 {
                            let fresh = try await context.poller.refresh(route: route, itemID: itemID)
                            result = StoredResult(fresh)
                            try ledger.recordResult(task.key.hex, result: result.json)
                            context.progress.note("\(task.output) \(task.fileStem) \(task.key.short): result URL \(error.urlExpired ? "expired" : "failed (\(error.message))"), refreshed")
                        } else if !(await context.pause(attempt: attempt - 1, retryAfter: retryAfter)) {
                            throw CancellationError()
                        }
                    }
                }
            }

            switch task.kind {
            case .song, .extend, .instrumental:
                try await fetch({ $0.audioURL }, to: folder.appendingPathComponent("\(task.fileStem).mp3"))
                if result.audioHiURL != nil {
                    try await fetch({ $0.audioHiURL }, to: folder.appendingPathComponent("\(task.fileStem).wav"))
                } else {
                    missing.append("\(task.fileStem).wav: the provider produced no WAV (\(result.providerStatus))")
                }
                if route == .song {
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
                    try await fetch({ $0.stemsURL }, to: zip)
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

    static func describe(_ reason: StopReason?) -> String {
        switch reason {
        case .budget(let text)?: "not submitted: \(text)"
        case .balance(let text)?: "not submitted: insufficient balance (\(text))"
        case .fatal(let text)?: "not submitted: \(text)"
        case .signal?: "not submitted: the run was interrupted"
        case nil: "not submitted"
        }
    }
}

/// A flag that is set once, safely from any task.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Bool

    init(alreadySet: Bool) { value = alreadySet }

    /// Sets the flag; true only for the call that set it.
    func set() -> Bool { lock.withLock { defer { value = true }; return !value } }
    var isSet: Bool { lock.withLock { value } }
}
