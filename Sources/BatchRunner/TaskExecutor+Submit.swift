import BatchLedger
import BatchManifest
import Foundation
import ProviderKit

/// Submission: admit (consent, stop, budget, slot), call, then settle how the call ended into a
/// ledger transition, a refund and the slot's release. A lost answer is reconciled first.
extension TaskExecutor {
    /// Submits the task. On success the task slot is held (released by `generate`).
    func submit(_ task: GraphTask, _ record: TaskRecord) async -> Result<TaskRecord, GenerationOutcome> {
        let wasAmbiguous = record.state == .ambiguous
        if wasAmbiguous && !context.consented.contains(task.key) { return .failure(.ambiguous(record.error ?? "unknown outcome")) }
        if let reason = await context.control.stopReason { return .failure(.notSubmitted(Self.describe(reason))) }
        let price = context.manifest.pricing.price(of: task.request)
        guard await context.control.reserve(price) else {
            return .failure(.notSubmitted(Self.describe(await context.control.stopReason)))
        }
        // A child goes to its parent's key, the only one that can see the parent's item; a
        // new create to the least loaded key with room and balance.
        let choice = keyChoice(task)
        var key: String?
        do {
            key = try await context.idle { try await context.taskSlots.acquire(choice) }
        } catch is KeySlots.Exhausted {
            await context.control.refund(price)
            return .failure(.notSubmitted(Self.describe(await context.control.stopReason ?? .balance("no key has balance left"))))
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
            if holdingSlot { await context.taskSlots.release(key) }
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
        var submission: Submission
        do {
            submission = try makeSubmission(task)
            submission.account = key
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
            let detail = wasAmbiguous ? "resubmitting as consented (--resubmit-ambiguous or on_ambiguous: resubmit): the first submission may also have been paid for" : nil
            _ = try ledger.recordSubmitting(task.key.hex, run: runID, consented: wasAmbiguous, detail: detail, account: key)
            context.progress.transition(task, record.state, .submitting, detail)
        } catch {
            return await giveUp(.notSubmitted("ledger error: \(error)"), restoreAmbiguity: false)
        }
        var attempt = 0
        while true {
            let error: ProviderError
            let sentAfter = context.clock.now()
            do {
                let refs = try await context.provider.submit(submission)
                return await recordSubmitted(task, itemIDs: refs.map(\.id), key: key, onFailure: { await giveUp($0, refund: false) })
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
                        await context.taskSlots.slowDown(key)
                        await context.taskSlots.release(key)
                        // A new create may go to another key; the ledger says which first.
                        let previous = key
                        do {
                            key = try await context.idle { try await context.taskSlots.acquire(choice) }
                        } catch {
                            let reason = "interrupted while waiting for a slot"
                            _ = try ledger.recordPending(task.key.hex, reason: reason, run: runID)
                            context.progress.transition(task, .submitting, .pending, reason)
                            return await giveUp(.notSubmitted(reason), holdingSlot: false)
                        }
                        if key != previous {
                            try ledger.recordAccount(task.key.hex, account: key)
                            submission.account = key
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
                    // The key's balance ran out. The refusal created nothing: a new create goes
                    // to a key that still has balance; a child waits for its parent's key.
                    let othersLeft = await context.taskSlots.keys.exhaust(key)
                    if othersLeft, choice == .any {
                        await context.taskSlots.release(key)
                        let refusal = error.message
                        do {
                            key = try await context.idle { try await context.taskSlots.acquire(.any) }
                        } catch {
                            let reason = "\(refusal); no other key had room before the run stopped"
                            _ = try ledger.recordPending(task.key.hex, reason: reason, run: runID)
                            context.progress.transition(task, .submitting, .pending, reason)
                            return await giveUp(.notSubmitted(reason), holdingSlot: false)
                        }
                        try ledger.recordAccount(task.key.hex, account: key)
                        submission.account = key
                        context.progress.note("\(task.output) \(task.fileStem) \(task.key.short): \(error.message); sent with another key")
                        continue
                    }
                    if othersLeft {
                        let reason = "the balance of the key that made its parent ran out (\(error.message)); left for a later run"
                        _ = try ledger.recordPending(task.key.hex, reason: reason, run: runID)
                        context.progress.transition(task, .submitting, .pending, reason)
                        return await giveUp(.notSubmitted(reason))
                    }
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
                    // Before a human is asked: does the provider have evidence of what was made?
                    switch await reconcileLostAnswer(task, submission, sentAfter: sentAfter, lost: error.message) {
                    case .adopted(let adopted):
                        await context.taskSlots.recordSuccess(key)
                        return .success(adopted)
                    case .nothingCreated(let evidence):
                        // Provably nothing was made: sending it again cannot pay twice.
                        attempt += 1
                        context.progress.note("\(task.output) \(task.fileStem) \(task.key.short): the lost create made nothing (\(evidence)); sending it again")
                        if attempt < context.attempts, !(await context.control.isStopped) { continue }
                        let reason = "gave up after \(attempt) attempt(s): \(error.message); the provider shows nothing was created"
                        _ = try ledger.recordPending(task.key.hex, reason: reason, run: runID)
                        context.progress.transition(task, .submitting, .pending, reason)
                        return await giveUp(.notSubmitted(reason))
                    case .unknown:
                        break
                    }
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

    /// Commits the answered item id. Its line is printed first (so the id is in the log even if
    /// the ledger cannot take it), then the write is retried, so a paid item can always be found.
    func recordSubmitted(
        _ task: GraphTask, itemIDs: [String], key: String?,
        onFailure: (GenerationOutcome) async -> Result<TaskRecord, GenerationOutcome>
    ) async -> Result<TaskRecord, GenerationOutcome> {
        guard let itemID = itemIDs.first else {
            let reason = "the provider accepted the create call but named no item; it may have been paid for"
            _ = try? ledger.recordAmbiguous(task.key.hex, reason: reason, run: runID)
            context.progress.transition(task, .submitting, .ambiguous, reason)
            return await onFailure(.ambiguous(reason))
        }
        let extra = Array(itemIDs.dropFirst())
        var detail = "item \(itemID)"
        if !extra.isEmpty { detail += "; the same create also made \(extra.joined(separator: ", ")), tracked and filed beside it" }
        context.progress.transition(task, .submitting, .submitted, detail)
        var lastError: (any Error)?
        for _ in 0..<5 {
            do {
                let submitted = try ledger.recordSubmitted(task.key.hex, itemID: itemID, extraItemIDs: extra, run: runID, detail: detail)
                await context.taskSlots.recordSuccess(key)
                // The library's copy knows the item too, should the ledger ever be lost.
                await context.metadata.write(folder: task.output)
                return .success(submitted)
            } catch {
                lastError = error
            }
        }
        let reason = "created item \(itemID), but the ledger could not record it (\(lastError.map { "\($0)" } ?? "?")); note the id"
        context.progress.warn("\(task.output) \(task.fileStem) \(task.key.short): \(reason)")
        return await onFailure(.ambiguous(reason))
    }

    /// The key a create needs: its parent's for a child that continues the parent's item
    /// (extend, stems, cover, MIDI of a chain), any for the rest.
    func keyChoice(_ task: GraphTask) -> KeySlots.Choice {
        switch task.kind {
        case .extend, .stems, .cover, .midi:
            guard let parentKey = task.parents.first, let parent = try? ledger.task(parentKey.hex), parent.itemID != nil else { return .any }
            return .key(parent.account)
        case .lyrics, .song, .instrumental:
            return .any
        }
    }

    /// The create call's content, with what the parents produced filled in.
    func makeSubmission(_ task: GraphTask) throws -> Submission {
        let request = task.request
        var submission = Submission(
            kind: task.kind, chain: context.chains[task.key] ?? task.kind, reference: task.key.hex,
            callbackURL: task.callbackURL ?? context.callbackURL, options: context.providerOptions
        )
        submission.model = request.model
        submission.prompt = request.prompt
        submission.lyrics = request.lyrics
        submission.voiceID = request.voiceID
        submission.startTime = request.startTime
        submission.tonality = request.tonality
        submission.bpm = request.bpm
        submission.chords = request.chords
        submission.sourceURL = request.sourceURL
        guard let parentKey = task.parents.first, let parentTask = context.graph[parentKey] else { return submission }
        guard let parent = try ledger.task(parentKey.hex), let parentItem = parent.itemID,
              let result = StoredResult.parse(parent.result)
        else { throw ProviderError(.permanent, "its parent \(parentKey.short) has no finished result") }
        switch task.kind {
        case .song:
            guard let lyrics = result.lyrics, !lyrics.isEmpty else {
                throw ProviderError(.permanent, "the generated lyrics of \(parentKey.short) are empty")
            }
            submission.lyrics = lyrics
        case .extend, .stems, .cover, .midi:
            // The provider continues, splits, covers or transcribes the parent's item (and
            // refreshes its URL just before, as signed URLs expire).
            submission.parent = context.ref(parentTask, itemID: parentItem, account: parent.account)
            submission.parentReport = result.report
        case .lyrics, .instrumental:
            break
        }
        return submission
    }
}
