public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1
public import ProviderKit

/// A client for the useapi.net TemPolor API v1: JSON over HTTP with `Authorization: Bearer
/// <token>`, errors as real HTTP statuses with `{"error", "code"}`. Job ids go into paths raw
/// (their colons are not percent-encoded). The token never appears in an error.
public struct UseAPIClient: Sendable {
    /// The API root, e.g. `https://api.useapi.net`; calls go to `<root>/v1/tempolor/…`.
    public let baseURL: URL
    private let token: String
    private let http: HTTPClient
    private let timeout: Duration

    public init(baseURL: URL, token: String, http: HTTPClient, timeout: Duration = .seconds(60)) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
        self.timeout = timeout
    }

    // MARK: Creates (not idempotent: a retried POST makes a second paid job)

    public func createSong(_ body: [String: JSONValue]) async throws(UseAPIError) -> [String] {
        try jobs(try await call(.POST, "music/song", body: body))
    }

    public func createInstrumental(_ body: [String: JSONValue]) async throws(UseAPIError) -> [String] {
        try jobs(try await call(.POST, "music/instrumental", body: body))
    }

    private func jobs(_ answer: JSONValue) throws(UseAPIError) -> [String] {
        guard let jobs = answer["jobs"]?.array?.compactMap(\.string), !jobs.isEmpty else {
            throw UseAPIError(.answerLost, "the create answer names no job")
        }
        return jobs
    }

    // MARK: Reads

    /// `GET /music/{job_id}`.
    public func job(_ jobID: String) async throws(UseAPIError) -> UseAPIJob {
        UseAPIJob(try await call(.GET, "music/" + jobID))
    }

    /// `GET /music/download/{job_id}?file_format=…`: a signed URL to fetch without this
    /// client's Authorization header.
    public func download(_ jobID: String, format: String) async throws(UseAPIError) -> (url: String, remainSeconds: Double?) {
        let answer = try await call(.GET, "music/download/" + jobID + "?file_format=" + format)
        guard let url = answer["url"]?.string else { throw UseAPIError(.answerLost, "the download answer carries no url") }
        return (url, answer["remainSeconds"]?.double)
    }

    /// `GET /scheduler`: the jobs executing now, with the `replyRef` they were created with.
    public func executingJobs() async throws(UseAPIError) -> [SchedulerEntry] {
        let answer = try await call(.GET, "scheduler")
        return (answer.array ?? answer["executing"]?.array ?? []).map(SchedulerEntry.init)
    }

    /// `GET /music?user_id=&cursor=`: one page of past generations, newest first.
    public func generations(userID: String?, cursor: String?) async throws(UseAPIError) -> (records: [UseAPIJob], next: String?) {
        var query: [String] = []
        if let userID { query.append("user_id=" + Self.queryEscaped(userID)) }
        if let cursor { query.append("cursor=" + Self.queryEscaped(cursor)) }
        let answer = try await call(.GET, "music" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        let records = (answer["records"]?.array ?? []).map(UseAPIJob.init)
        let hasNext = answer["hasNext"].map { $0 == .bool(true) } ?? false
        return (records, hasNext ? answer["cursor"]?.string : nil)
    }

    // MARK: Transport

    private func call(_ method: HTTPMethod, _ path: String, body: [String: JSONValue]? = nil) async throws(UseAPIError) -> JSONValue {
        // Built as text, never through URL path APIs, so a job id's colons stay raw.
        let url = baseURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/tempolor/" + path
        let route = path.split(separator: "?").first.map(String.init) ?? path
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: JSONValue.object(body).jsonText))
        }
        let answer: HTTPTransport.Answer
        do {
            answer = try await HTTPTransport.send(request, on: http, timeout: timeout)
        } catch {
            throw UseAPIError(error.neverSent ? .notSent : .answerLost, "\(method.rawValue) \(route): \(error.message)")
        }
        let json = answer.json
        guard answer.status == 200 || answer.status == 201 else {
            let text = json?["error"]?.string ?? answer.reason
            var error = UseAPIError(.http(status: answer.status, retryAfter: answer.retryAfter), redacted(text))
            if let advice = error.advice { error = UseAPIError(error.kind, "\(advice) (\(redacted(text)))") }
            throw error
        }
        guard let json else { throw UseAPIError(.answerLost, "\(method.rawValue) \(route) answered something that is not JSON") }
        return json
    }

    private func redacted(_ text: String) -> String { Redactor(secrets: [token]).clean(text) }

    static func queryEscaped(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
