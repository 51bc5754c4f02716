import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
@testable import TemPolorSimulator
import Testing
import TestSupport
import ZIPFoundation

/// A running simulator plus an HTTP client that talks to it over loopback.
struct Harness: Sendable {
    let simulator: TemPolorSimulator
    let baseURL: URL
    let client: HTTPClient
    var key: String { simulator.configuration.apiKey }

    /// Configuration for fast tests: short fixed durations, small WAVs.
    static func configuration(_ adjust: (inout SimulatorConfiguration) -> Void = { _ in }) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.fixedDuration = 12
        configuration.wavSampleRate = 8000
        adjust(&configuration)
        return configuration
    }

    static func with<T: Sendable>(
        _ configuration: SimulatorConfiguration = configuration(), clock: any SimulatorClock = SystemSimulatorClock(),
        _ body: @Sendable (Harness) async throws -> T
    ) async throws -> T {
        let simulator = TemPolorSimulator(configuration: configuration, clock: clock)
        var clientConfiguration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: .seconds(10)))
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        do {
            let result = try await simulator.withRunning { url in
                try await body(Harness(simulator: simulator, baseURL: url, client: client))
            }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    struct Answer: @unchecked Sendable {
        let httpStatus: UInt
        let headers: HTTPHeaders
        let json: [String: Any]
        let rawBody: Data

        var status: Int { json["status"] as? Int ?? -1 }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var itemID: String { (data["item_ids"] as? [String])?.first ?? "" }
    }

    /// POSTs JSON to an Open API path (`song/generate`) with the simulator's key.
    func post(_ path: String, _ body: [String: Any], key: String? = nil) async throws -> Answer {
        try await post(path, raw: try JSONSerialization.data(withJSONObject: body), key: key)
    }

    func post(_ path: String, raw: Data, key: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL.absoluteString + "/open-apis/v1/" + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: key ?? self.key)
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.body = .bytes(ByteBuffer(bytes: raw))
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        return Answer(httpStatus: response.status.code, headers: response.headers, json: json, rawBody: Data(buffer: body))
    }

    func get(_ url: String, headers: [(String, String)] = []) async throws -> (status: UInt, headers: HTTPHeaders, body: Data) {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (response.status.code, response.headers, Data(buffer: body))
    }

    func stats() async throws -> [String: Any] {
        let (_, _, body) = try await get(baseURL.absoluteString + "/_sim/stats")
        return try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
    }

    // MARK: Shortcuts

    static let callback = "https://hooks.example.com/tempolor?token=t"

    func createSong(lyrics: String = "[verse]\nUnder silver beams it flies\n[chorus]\nMoonlight guides the flight", prompt: String = "An owl's waltz, Pop style") async throws -> String {
        let answer = try await post("song/generate", ["prompt": prompt, "model": "TemPolor v3.5", "lyrics": lyrics, "callback_url": Self.callback])
        guard answer.status == 200000 else { throw Failure("song/generate answered \(answer.json)") }
        return answer.itemID
    }

    func query(_ kind: String, _ ids: [String]) async throws -> [[String: Any]] {
        let answer = try await post("\(kind)/query", ["item_ids": ids])
        let key = kind == "song" ? "songs" : kind == "instrumental" ? "instrumentals" : kind == "midi" ? "midis" : kind
        return answer.data[key] as? [[String: Any]] ?? []
    }

    /// Polls until the item reaches one of `statuses` (real time; tests use small time scales).
    func waitFor(_ kind: String, _ id: String, statuses: Set<String>, timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let item = try await query(kind, [id]).first, statuses.contains(item["status"] as? String ?? "") { return item }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure("\(id) never reached \(statuses)")
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Harness {
    /// Every member of a stems archive decodes (sox, `flac -t`) and lasts `seconds`.
    static func expectDecodableStems(_ archive: Archive, seconds: Double) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stems-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var members = 0
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            let file = folder.appendingPathComponent(entry.path)
            try data.write(to: file)
            #expect(AudioDecoding.problem(file) == nil)
            #expect(abs(try AudioDecoding.seconds(file) - seconds) < 0.01)
            members += 1
        }
        #expect(members == 5)
    }
}
