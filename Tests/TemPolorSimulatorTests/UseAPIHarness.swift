import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
@testable import TemPolorSimulator

/// useapi.net calls against a running simulator: `Authorization: Bearer <token>`, job ids raw
/// in the path, real HTTP statuses.
extension Harness {
    /// Whether an id is shaped `user:1-tempolor:1000001-job:<itemId>` (the default configuration's).
    static func isDefaultJobID(_ id: String) -> Bool {
        id.wholeMatch(of: #/user:1-tempolor:1000001-job:(song|inst)_[0-9a-f]+/#) != nil
    }

    struct UseAPIAnswer: @unchecked Sendable {
        let status: UInt
        let headers: HTTPHeaders
        let rawBody: Data
        /// The body as JSON: an object, an array, or nil.
        let json: Any?

        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
        var error: String { object["error"] as? String ?? "" }
        var code: Int { object["code"] as? Int ?? -1 }
        var jobID: String { (object["jobs"] as? [String])?.first ?? "" }
    }

    var useapiToken: String { simulator.configuration.useapiToken }

    /// Calls `/v1/tempolor/<path>` (the path is sent exactly as given).
    func useapi(
        _ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, token: String? = nil, headers: [(String, String)] = []
    ) async throws -> UseAPIAnswer {
        var request = HTTPClientRequest(url: baseURL.absoluteString + "/v1/tempolor/" + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer " + (token ?? useapiToken))
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        return UseAPIAnswer(status: response.status.code, headers: response.headers, rawBody: data,
                            json: try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed))
    }

    /// Creates a song through useapi and returns its job id.
    func useapiSong(_ body: [String: Any] = [:]) async throws -> String {
        let fields = ["prompt": "An owl's waltz, Pop style", "lyrics": "[verse]\nUnder silver beams it flies"].merging(body) { $1 }
        let answer = try await useapi(.POST, "music/song", fields)
        guard answer.status == 200 else { throw Failure("music/song answered \(answer.status) \(answer.object)") }
        return answer.jobID
    }

    func useapiJob(_ jobID: String) async throws -> [String: Any] {
        let answer = try await useapi(.GET, "music/" + jobID)
        guard answer.status == 200 else { throw Failure("music/\(jobID) answered \(answer.status) \(answer.object)") }
        return answer.object
    }

    func useapiDownload(_ jobID: String, _ format: String = "mp3") async throws -> UseAPIAnswer {
        try await useapi(.GET, "music/download/\(jobID)?file_format=\(format)")
    }
}

/// Builds raw useapi requests, for bodies and headers the JSON helper cannot send.
enum HTTPClientRequestBuilder {
    /// A POST to `/v1/tempolor/<path>` with this `Authorization` header (nil: none at all).
    static func request(_ sim: Harness, path: String, authorization: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: sim.baseURL.absoluteString + "/v1/tempolor/" + path)
        request.method = .POST
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.headers.add(name: "Content-Type", value: "application/json")
        return request
    }
}
