import BatchRunner
import CallbackReceiver
import Foundation
import ProviderKit

/// `run --listen HOST:PORT [--callback-url URL]`: the callback receiver runs for as long as the
/// run does. Tasks whose job names no `callback_url` send the run's URL (the public base with a
/// fresh secret token in its path); every callback received becomes a wake-up for the status
/// poller. Without `--listen` nothing listens and the placeholder URL is sent.
extension RunOptions {
    /// The same options without `--listen` (a dry run receives nothing).
    static func noListening(_ options: RunOptions) -> RunOptions {
        var options = options
        options.listen = nil
        return options
    }
}

enum Callbacks {
    static func around<T: Sendable>(
        _ options: RunOptions, _ environment: RunEnvironment, _ body: @Sendable (RunOptions, RunEnvironment) async -> T
    ) async throws -> T {
        guard let listen = options.listen else { return await body(options, environment) }
        let receiver = CallbackReceiver()
        let (wakeups, continuation) = AsyncStream.makeStream(of: Wakeup.self, bufferingPolicy: .bufferingNewest(1024))
        defer { continuation.finish() }
        return try await receiver.withRunning(host: listen.host, port: listen.port, wake: { continuation.yield($0) }) { bound in
            var options = options, environment = environment
            let url = receiver.callbackURL(publicBase: options.callbackBase ?? bound)
            options.callbackURL = url.absoluteString
            environment.wakeups = wakeups
            // The token is the run's secret: it never appears in a printed line.
            let redactor = Redactor(secrets: [receiver.token])
            let events = environment.events
            environment.events = { events($0.mapText(redactor.clean)) }
            environment.output("Listening for callbacks on \(bound.absoluteString); providers are sent \(redactor.clean(url.absoluteString))")
            return await body(options, environment)
        }
    }
}
