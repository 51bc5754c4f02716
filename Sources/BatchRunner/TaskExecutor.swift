import BatchLedger
import BatchManifest
import Foundation
import ProviderKit

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

    var ledger: Ledger { context.ledger }
    var runID: Int64 { context.runID }

    // MARK: Generation

    func generate(_ task: GraphTask) async -> GenerationOutcome {
        await context.working { await generating(task) }
    }

    private func generating(_ task: GraphTask) async -> GenerationOutcome {
        do {
            guard var record = try ledger.task(task.key.hex) else { return .failed("the ledger lost the task") }
            if record.state.isGenerated { return .generated }
            if record.state == .ambiguous, let reconciled = await reconcileEarlier(task, record) {
                record = reconciled
            } else if record.state == .ambiguous && !context.consented.contains(task.key) {
                return .ambiguous(record.error ?? "ambiguous since an earlier run")
            }
            // An item submitted now teaches the poller how long its kind and model take.
            var learning: PollProfile?
            if !record.state.isInFlight {
                switch await submit(task, record) {
                case .success(let submitted):
                    record = submitted
                    learning = PollProfile(kind: task.kind, model: task.request.model)
                case .failure(let outcome): return outcome
                }
            } else {
                // Resumed: the item exists; it occupies a slot of the key that created it.
                do {
                    _ = try await context.idle { try await context.taskSlots.acquire(.key(record.account)) }
                } catch {
                    return .unfinished("interrupted before its status was checked")
                }
            }
            // The slot held is the key's that created the item (recorded before the create). It is
            // given back the moment the item is known final, before anything is recorded: the
            // provider's slot is free then, and the next create should not wait on the ledger.
            let slot = OnceFlag(alreadySet: false)
            let account = record.account, slots = context.taskSlots
            let release: @Sendable () async -> Void = { if slot.set() { await slots.release(account) } }
            let outcome = await wait(task, record, learning: learning, final: release)
            await release()
            return outcome
        } catch {
            return .unfinished("ledger error: \(error)")
        }
    }

    /// Waits for the item to finish and records how it ended; `final` runs as soon as the item
    /// (and every further item of its create) is known final, before the ledger is written.
    private func wait(
        _ task: GraphTask, _ record: TaskRecord, learning: PollProfile?, final: @Sendable () async -> Void
    ) async -> GenerationOutcome {
        guard let itemID = record.itemID else { return .failed("submitted without an item id") }
        let ref = context.ref(task, itemID: itemID, account: record.account)
        let running = OnceFlag(alreadySet: record.state == .running)
        let ledger = self.ledger, runID = self.runID, progress = context.progress
        do {
            let poller = context.poller
            let report = try await context.idle { try await poller.waitForFinal(ref, learning: learning) { report in
                guard running.set() else { return }
                _ = try? ledger.recordRunning(task.key.hex, result: StoredResult(report).json, run: runID)
                let percent = report.progress.map { " \(Int($0))%" } ?? ""
                progress.transition(task, .submitted, .running, report.providerStatus + percent)
            } }
            let from: TaskState = running.isSet ? .running : record.state
            switch report.phase {
            case .succeeded, .partFailed:
                // Further items of the same create finish before the task counts as generated.
                if let unfinished = await waitForExtras(task, account: record.account) { return unfinished }
                await final()
                let state: TaskState = report.phase == .succeeded ? .succeeded : .partFailed
                let detail = state == .partFailed ? "the audio is usable; the WAV or the timings failed" : nil
                _ = try ledger.recordGenerated(task.key.hex, state: state, result: StoredResult(report).json, detail: detail, run: runID)
                progress.transition(task, from, state, detail)
                return .generated
            case .failed(let reason):
                await final()
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

    /// Waits for every further item of the task's create that is not final yet and records
    /// its answer. Nil when all are final; else why the task stays unfinished for now.
    private func waitForExtras(_ task: GraphTask, account: String?) async -> GenerationOutcome? {
        guard let extras = try? ledger.extraItems(of: task.key.hex) else { return .unfinished("the ledger could not list the create's further items") }
        let open = extras.filter { !$0.final }
        guard !open.isEmpty else { return nil }
        let poller = context.poller, ledger = self.ledger
        let refs = open.map { (ordinal: $0.ordinal, ref: context.ref(task, itemID: $0.itemID, account: account)) }
        let failures = await context.idle {
            await withTaskGroup(of: String?.self) { group in
                for (ordinal, ref) in refs {
                    group.addTask {
                        do {
                            let report = try await poller.waitForFinal(ref) { _ in }
                            try ledger.recordExtraResult(task.key.hex, ordinal: ordinal, result: StoredResult(report).json, final: true)
                            return nil
                        } catch {
                            return "item \(ref.id): \(error)"
                        }
                    }
                }
                var failures: [String] = []
                for await failure in group { if let failure { failures.append(failure) } }
                return failures
            }
        }
        return failures.isEmpty ? nil : .unfinished("further items of the create not tracked to the end: \(failures.joined(separator: "; "))")
    }

    static func describe(_ reason: StopReason?) -> String {
        switch reason {
        case .budget(let text)?: "not submitted: \(text)"
        case .balance(let text)?: "not submitted: insufficient balance (\(text))"
        case .fatal(let text)?: "not submitted: \(text)"
        case .signal?: "not submitted: the run was interrupted"
        case .deadline(let when)?: "not submitted: past the deadline (\(when)); left for the next run"
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
