public import AsyncHTTPClient
public import Foundation
import ProviderKit
import NIOCore
import NIOHTTP1

/// A client for the TemPolor Open API: every call is a POST of JSON with the raw key in
/// `Authorization`, answered by the `{status, message, request_id, data}` envelope. Errors come
/// out as ``TemPolorError`` classified by what they mean for money. The key never appears in any
/// error or description.
public struct TemPolorClient: Sendable {
    public let baseURL: URL
    private let key: APIKey
    private let http: HTTPClient
    private let timeout: Duration

    /// At most this many ids per query call [doc].
    public static let queryLimit = 10

    public init(baseURL: URL, key: APIKey, http: HTTPClient, timeout: Duration = .seconds(60)) {
        self.baseURL = baseURL
        self.key = key
        self.http = http
        self.timeout = timeout
    }

    /// An HTTP client configured for API calls: no automatic connect retries (so a refused
    /// connection is reported at once and known to be unsent), no redirects.
    public static func makeHTTPClient() -> HTTPClient { HTTPTransport.makeAPIClient() }

    // MARK: Creates

    public func generateSong(prompt: String, model: String, lyrics: String?, voiceID: String?, callbackURL: String) async throws(TemPolorError) -> [String] {
        var body: [String: JSONValue] = ["prompt": .string(prompt), "model": .string(model), "callback_url": .string(callbackURL)]
        if let lyrics, !lyrics.isEmpty { body["lyrics"] = .string(lyrics) }
        if let voiceID { body["voice_id"] = .string(voiceID) }
        return try await create("song/generate", body)
    }

    /// An instrumental the 2026 way: `song/generate` with `instrumental: true` and an
    /// instrumental model; queried through `song/query`.
    public func generateInstrumentalSong(prompt: String, model: String, callbackURL: String) async throws(TemPolorError) -> [String] {
        try await create("song/generate", ["prompt": .string(prompt), "model": .string(model), "instrumental": .bool(true),
                                           "callback_url": .string(callbackURL)])
    }

    /// A cover: `song/generate` with `action: upload_cover` and the audio to cover. Without
    /// lyrics the platform writes them (billed as a lyrics call). Queried through `song/query`.
    public func generateCover(audioURL: String, prompt: String, model: String, lyrics: String?, callbackURL: String) async throws(TemPolorError) -> [String] {
        var body: [String: JSONValue] = ["action": .string("upload_cover"), "upload_audio_url": .string(audioURL), "prompt": .string(prompt),
                                         "model": .string(model), "callback_url": .string(callbackURL)]
        if let lyrics, !lyrics.isEmpty { body["lyrics"] = .string(lyrics) }
        return try await create("song/generate", body)
    }

    /// A MIDI transcription of an audio URL (≤ 50 MB).
    public func createMIDI(url: String, callbackURL: String) async throws(TemPolorError) -> [String] {
        try await create("midi", ["url": .string(url), "callback_url": .string(callbackURL)])
    }

    public func extend(_ kind: ItemKind, itemID: String, startTime: Int, lyrics: String?, callbackURL: String) async throws(TemPolorError) -> [String] {
        var body: [String: JSONValue] = ["item_id": .string(itemID), "start_time": .number(Double(startTime)), "callback_url": .string(callbackURL)]
        if let lyrics, !lyrics.isEmpty { body["lyrics"] = .string(lyrics) }
        return try await create(kind == .instrumental ? "instrumental/extend" : "song/extend", body)
    }

    public func generateInstrumental(prompt: String, model: String, callbackURL: String) async throws(TemPolorError) -> [String] {
        try await create("instrumental/generate", ["prompt": .string(prompt), "model": .string(model), "callback_url": .string(callbackURL)])
    }

    public func generateLyrics(prompt: String, songModel: String?, callbackURL: String) async throws(TemPolorError) -> [String] {
        var body: [String: JSONValue] = ["prompt": .string(prompt), "callback_url": .string(callbackURL)]
        if let songModel { body["song_model"] = .string(songModel) }
        return try await create("lyrics/generate", body)
    }

    public func createStems(url: String, callbackURL: String) async throws(TemPolorError) -> [String] {
        try await create("stems", ["url": .string(url), "callback_url": .string(callbackURL)])
    }

    /// A create call: answers `data.item_ids` (one id per created work; the first is the task's).
    private func create(_ path: String, _ body: [String: JSONValue]) async throws(TemPolorError) -> [String] {
        let data = try await call(path, body)
        let ids = (data["item_ids"]?.array ?? []).compactMap(\.string)
        guard !ids.isEmpty else {
            // The server accepted the call but the answer is unreadable: the work may exist.
            throw TemPolorError(.answerLost, "the answer to \(path) carries no item id")
        }
        return ids
    }

    // MARK: Queries

    public func songs(_ ids: [String]) async throws(TemPolorError) -> [AudioItem] {
        try await query(.song, ids).map(AudioItem.init)
    }

    public func instrumentals(_ ids: [String]) async throws(TemPolorError) -> [AudioItem] {
        try await query(.instrumental, ids).map(AudioItem.init)
    }

    public func lyrics(_ ids: [String]) async throws(TemPolorError) -> [LyricsItem] {
        try await query(.lyrics, ids).map(LyricsItem.init)
    }

    public func stems(_ ids: [String]) async throws(TemPolorError) -> [StemsItem] {
        try await query(.stems, ids).map(StemsItem.init)
    }

    public func midis(_ ids: [String]) async throws(TemPolorError) -> [MIDIItem] {
        try await query(.midi, ids).map(MIDIItem.init)
    }

    private func query(_ kind: ItemKind, _ ids: [String]) async throws(TemPolorError) -> [JSONValue] {
        precondition(ids.count <= Self.queryLimit, "at most \(Self.queryLimit) ids per query")
        let data = try await call(kind.queryPath, ["item_ids": .array(ids.map(JSONValue.string))])
        return data[kind.listKey]?.array ?? []
    }

    public func balance() async throws(TemPolorError) -> Double {
        let data = try await call("account/billing", [:])
        guard let balance = data["balance"]?.double else { throw TemPolorError(.answerLost, "the billing answer carries no balance") }
        return balance
    }

    // MARK: Transport

    /// POSTs `body` to `/open-apis/v1/<path>` and answers the envelope's `data`.
    private func call(_ path: String, _ body: [String: JSONValue]) async throws(TemPolorError) -> JSONValue {
        let url = baseURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/open-apis/v1/" + path
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: key.value)
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.body = .bytes(ByteBuffer(string: JSONValue.object(body).jsonText))
        let answer: HTTPTransport.Answer
        do {
            answer = try await HTTPTransport.send(request, on: http, timeout: timeout)
        } catch {
            throw TemPolorError(error.neverSent ? .notSent : .answerLost, "\(path): \(error.message)")
        }
        guard answer.status == 200 else {
            throw TemPolorError(.http(status: answer.status, retryAfter: answer.retryAfter), "\(path) answered \(answer.status) \(answer.reason)")
        }
        guard let envelope = answer.json, let status = envelope["status"]?.double
        else {
            throw TemPolorError(.answerLost, "\(path) answered something that is not the JSON envelope")
        }
        guard Int(status) == 200000 else {
            throw TemPolorError(.business(code: Int(status)), redacted(envelope["message"]?.string ?? "no message"))
        }
        return envelope["data"] ?? .null
    }

    /// The text with the key removed, should a server ever echo it back.
    private func redacted(_ text: String) -> String {
        Redactor(secrets: [key.value]).clean(text)
    }
}
