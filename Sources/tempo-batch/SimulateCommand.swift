import ArgumentParser
import Foundation
import TemPolorSimulator

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a local look-alike of the TemPolor Open API and the useapi.net routes for rehearsing manifests offline.",
        discussion: """
        Every Open API route answers as the contract documents (POST + JSON, the {status, message, request_id, data} envelope, business codes), tasks advance over time, downloads are real audio files behind signed, expiring URLs, and callbacks are sent to loopback callback_url addresses only. Each request is logged on one line; the API key is never printed. GET /_sim/stats answers the call counts as JSON.

        The same server answers the useapi.net TemPolor routes under /v1/tempolor/ (Authorization: Bearer <--useapi-token>), sharing items, balance and faults with the Open API routes.

        Fault profiles: 'none' (default), 'flaky' (about 20% of calls hit: business codes 400001/400006/400007, HTTP 500/502/429, dropped connections, lost answers on creates, slow answers; 10% of downloads truncated), 'transient' (only faults that provably create nothing: business codes 400001/400006/400007, HTTP 429, slow answers; 10% of downloads truncated), or a JSON file such as:

          {"rules": [{"path": "/open-apis/v1/song/generate",
                      "faults": {"lost_answer": 0.2}}],
           "downloads": {"truncated": 0.1},
           "outcomes": {"part_failed": 0.1, "failed": 0.05}}
        """
    )

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Address to bind; keep it on loopback.")
    var host = "127.0.0.1"

    @Option(help: "Multiplies every processing duration: 0.01 makes tasks finish 100x faster.")
    var timeScale = 1.0

    @Option(help: "Seed for item ids, generated text and fault decisions.")
    var seed: UInt64 = 1

    @Option(help: "The API key the simulator accepts (the Authorization header, no 'Bearer').")
    var apiKey = "Tempo-simulator-key"

    @Option(help: "The useapi.net token the simulator accepts (Authorization: Bearer <token>).")
    var useapiToken = "user:1-simulator-token"

    @Option(help: "Fault profile: none, flaky (lost answers included), transient (only faults that create nothing), or a JSON profile file.")
    var faults = "none"

    @Option(help: "Tasks one key may have unfinished at once before creates answer 400007.")
    var parallelLimit = 20

    @Option(help: "Starting account balance in credits.")
    var balance = 100_000.0

    @Option(help: "Items each song or instrumental create makes (all named in item_ids, billed once).")
    var itemsPerCreate = 1

    @Option(help: "Every song and instrumental lasts this many seconds (small files, fast tests and benchmarks).")
    var fixedDuration: Int?

    @Option(help: "Every task is final this many seconds after it is created, whatever its kind (not time-scaled; 0: at once). With --fixed-duration: a near-zero-latency provider for measuring the runner's own cost.")
    var processingTime: Double?

    @Option(name: .customLong("extra-key"), help: ArgumentHelp("A further API key with its own account: KEY, KEY:LIMIT or KEY:LIMIT:BALANCE (its own parallel limit, default --parallel-limit, and balance, default --balance; it sees only its own items). Repeat for more keys.", valueName: "KEY[:LIMIT[:BALANCE]]"))
    var extraKeys: [String] = []

    func validate() throws {
        guard (1...4).contains(itemsPerCreate) else { throw ValidationError("--items-per-create must be between 1 and 4") }
        if let fixedDuration, !(1...600).contains(fixedDuration) { throw ValidationError("--fixed-duration must be between 1 and 600 seconds") }
        guard timeScale > 0 else { throw ValidationError("--time-scale must be greater than 0") }
        if let processingTime, !(0...86_400).contains(processingTime) { throw ValidationError("--processing-time must be between 0 and 86400 seconds") }
        // A value holds a key: it is not repeated in the message.
        if extraKeys.contains(where: { Self.keyAccount($0, limit: parallelLimit, balance: balance) == nil }) {
            throw ValidationError("--extra-key must be KEY, KEY:LIMIT or KEY:LIMIT:BALANCE, with a limit of at least 1 and a balance of at least 0")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        do {
            _ = try FaultProfile.named(faults)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `KEY[:LIMIT[:BALANCE]]`; nil when malformed.
    static func keyAccount(_ text: String, limit: Int, balance: Double) -> SimulatorConfiguration.KeyAccount? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts[0].isEmpty else { return nil }
        let ownLimit = parts.count > 1 ? Int(parts[1]) : limit
        let ownBalance = parts.count > 2 ? Double(parts[2]) : balance
        guard let ownLimit, ownLimit >= 1, let ownBalance, ownBalance >= 0 else { return nil }
        return SimulatorConfiguration.KeyAccount(apiKey: parts[0], parallelLimit: ownLimit, balance: ownBalance)
    }

    func run() async throws {
        var configuration = SimulatorConfiguration()
        configuration.timeScale = timeScale
        configuration.seed = seed
        configuration.apiKey = apiKey
        configuration.useapiToken = useapiToken
        configuration.parallelLimit = parallelLimit
        configuration.initialBalance = balance
        configuration.itemsPerCreate = itemsPerCreate
        configuration.fixedDuration = fixedDuration
        configuration.processingTime = processingTime
        configuration.extraKeys = extraKeys.compactMap { Self.keyAccount($0, limit: parallelLimit, balance: balance) }
        configuration.faults = try FaultProfile.named(faults)
        configuration.log = { line in Console.line(line) }
        let simulator = TemPolorSimulator(configuration: configuration)
        try await simulator.run(host: host, port: port, gracefulShutdownSignals: [.sigint, .sigterm]) { url in
            Console.line("TemPolor simulator listening on \(url.absoluteString) (time scale \(timeScale), faults \(faults))")
            Console.line("Point the runner at it: TEMPOLOR_BASE_URL=\(url.absoluteString) TEMPOLOR_API_KEY=<the --api-key value>"
                + (extraKeys.isEmpty ? "" : " TEMPOLOR_API_KEY_2=<the first --extra-key>, and so on"))
            Console.line("or, for useapi manifests: USEAPI_BASE_URL=\(url.absoluteString) USEAPI_TOKEN=<the --useapi-token value>")
        }
    }
}
