import AsyncHTTPClient
import Foundation
import ProviderKit
import TemPolorSimulator
import UseAPIClient

/// The simulator's useapi.net routes on loopback, a client for them, and a plain HTTP client
/// for the signed file URLs.
struct UseAPIHarness: Sendable {
    let simulator: TemPolorSimulator
    let clock: ManualSimulatorClock
    let client: UseAPIClient
    let provider: UseAPIProvider
    let http: HTTPClient
    let baseURL: URL

    static let token = "user:3-client-test-token"

    static func with<T: Sendable>(
        _ adjust: (inout SimulatorConfiguration) -> Void = { _ in }, token: String = token, _ body: @Sendable (UseAPIHarness) async throws -> T
    ) async throws -> T {
        var configuration = SimulatorConfiguration()
        configuration.useapiToken = Self.token
        configuration.fixedDuration = 12
        configuration.wavSampleRate = 8000
        adjust(&configuration)
        let clock = ManualSimulatorClock()
        let simulator = TemPolorSimulator(configuration: configuration, clock: clock)
        let http = HTTPTransport.makeAPIClient()
        do {
            let result = try await simulator.withRunning { url in
                let client = UseAPIClient(baseURL: url, token: token, http: http)
                return try await body(UseAPIHarness(simulator: simulator, clock: clock, client: client,
                                                    provider: UseAPIProvider(client: client), http: http, baseURL: url))
            }
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Moves simulated time far enough for any created job to complete and leave the
    /// "not ready yet" window.
    func finishEverything() { clock.advance(by: 3600) }

    /// A plain GET, optionally with a header, answering status and body.
    func get(_ url: String, authorization: String? = nil) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: url)
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        let response = try await http.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(buffer: body))
    }
}
