import Foundation
import UnixSignals

/// Two ways to stop (DESIGN.md "Execution"): the first SIGINT/SIGTERM stops new submissions and
/// keeps tracking paid-for work for the grace period (slept on the run's injected clock); a
/// second signal, or the end of the grace period, cancels everything at once. One signal
/// sequence lives for the whole run, so a second signal can never fall between two handlers.
enum SignalWatch {
    private enum Event: Sendable {
        case finished([RunScheduler.Result])
        case stopNow
        case ended
    }

    /// SIGINT and SIGTERM as signal numbers (2, 15), trapped for as long as the stream is read.
    static func unixSignals() -> AsyncStream<Int32> {
        AsyncStream { continuation in
            let watcher = Task {
                for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                    continuation.yield(signal == .sigint ? 2 : 15)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in watcher.cancel() }
        }
    }

    /// Runs the scheduler until it finishes or a stop ends it. A `deadline` acts like the first
    /// signal when it comes: no new submissions, paid-for work tracked for the grace period.
    /// `control` is the top of the run's chain of controls: stopping it stops every manifest.
    static func run(
        _ scheduler: RunScheduler, control: RunControl, clock: any RunnerClock, warn: @escaping @Sendable (String) -> Void,
        grace: Duration, signals: AsyncStream<Int32>?, deadline: Date? = nil
    ) async -> [RunScheduler.Result] {
        guard signals != nil || deadline != nil else { return await scheduler.run() }
        let (firstSignal, firstSignalSeen) = AsyncStream.makeStream(of: Void.self)
        return await withTaskGroup(of: Event.self) { group in
            group.addTask { .finished(await scheduler.run()) }
            if let deadline {
                group.addTask {
                    let wait = deadline.timeIntervalSince(clock.now())
                    if wait > 0 {
                        do { try await clock.sleep(for: .milliseconds(Int64(wait * 1000))) } catch { return .ended }
                    }
                    await control.stop(.deadline(RunReport.stamp(deadline)))
                    warn("deadline \(RunReport.stamp(deadline)) reached: no new submissions; tracking paid-for work for up to \(grace)")
                    firstSignalSeen.yield()
                    return .ended
                }
            }
            if let signals { group.addTask {
                var count = 0
                for await number in signals {
                    count += 1
                    if count > 1 { return .stopNow }
                    await control.stop(.signal(number))
                    warn("signal received: no new submissions; tracking paid-for work for up to \(grace) (signal again to stop now)")
                    firstSignalSeen.yield()
                }
                return .ended
            } }
            group.addTask {
                for await _ in firstSignal {
                    do { try await clock.sleep(for: grace) } catch { return .ended }
                    return .stopNow
                }
                return .ended
            }
            while let event = await group.next() {
                switch event {
                case .finished(let result):
                    firstSignalSeen.finish()
                    group.cancelAll()
                    return result
                case .stopNow:
                    // Cancel everything; the scheduler still returns what it knows.
                    group.cancelAll()
                case .ended:
                    continue
                }
            }
            return scheduler.parts.map { _ in RunScheduler.Result() }
        }
    }
}
