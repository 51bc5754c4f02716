import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The Open API key a request came with, for the state's methods it calls: nil for the primary
/// key, `key-N` for a further one (``SimulatorConfiguration/extraKeys``).
enum CallerKey {
    @TaskLocal static var account: String?
}

/// The Open API surface (`/open-apis/v1/...`): POST routes answering HTTP 200 with the
/// `{status, message, request_id, data}` envelope, authenticated by `Authorization: <key>`.
struct OpenAPIRoutes: Sendable {
    let state: SimulatorState
    let configuration: SimulatorConfiguration

    static let apiPrefix = "/open-apis/v1/"
    static let createPaths: Set<String> = [
        "/open-apis/v1/song/generate", "/open-apis/v1/song/extend", "/open-apis/v1/instrumental/generate",
        "/open-apis/v1/instrumental/extend", "/open-apis/v1/lyrics/generate", "/open-apis/v1/stems", "/open-apis/v1/midi",
    ]

    func register(on router: Router<SimulatorContext>) {
        router.add(middleware: OpenAPIMethodGuard(log: configuration.log))
        api(router, "song/generate", create: true) { data, _ in ItemIDs(item_ids: try await state.createSong(decode(data))) }
        api(router, "song/extend", create: true) { data, _ in ItemIDs(item_ids: try await state.createExtend(decode(data), kind: .song)) }
        // Instrumentals are songs' kin since 2026: song/query answers them whichever route made them.
        api(router, "song/query") { data, base in
            SongsPayload(songs: await state.presentAudio(try await state.items(decode(data), kinds: [.song, .instrumental]), base: base, as: .song))
        }
        api(router, "instrumental/generate", create: true) { data, _ in ItemIDs(item_ids: try await state.createInstrumental(decode(data))) }
        api(router, "instrumental/extend", create: true) { data, _ in ItemIDs(item_ids: try await state.createExtend(decode(data), kind: .instrumental)) }
        api(router, "instrumental/query") { data, base in
            InstrumentalsPayload(instrumentals: await state.presentAudio(try await state.items(decode(data), kind: .instrumental), base: base, as: .instrumental))
        }
        api(router, "lyrics/generate", create: true) { data, _ in ItemIDs(item_ids: try await state.createLyrics(decode(data))) }
        api(router, "lyrics/query") { data, _ in
            LyricsPayload(lyrics: await state.presentLyrics(try await state.items(decode(data), kind: .lyrics)))
        }
        api(router, "stems", create: true) { data, _ in ItemIDs(item_ids: try await state.createStems(decode(data))) }
        api(router, "stems/query") { data, base in
            StemsPayload(stems: await state.presentStems(try await state.items(decode(data), kind: .stems), base: base))
        }
        api(router, "midi", create: true) { data, _ in ItemIDs(item_ids: try await state.createMIDI(decode(data))) }
        api(router, "midi/query") { data, base in
            MIDIsPayload(midis: await state.presentMIDI(try await state.items(decode(data), kind: .midi), base: base))
        }
        api(router, "account/billing") { _, _ in Balance(balance: await state.balance(ofKey: CallerKey.account)) }
    }

    private func decode<T: Decodable>(_ data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw BusinessError(.badParameter, "parameter error: \(field) has the wrong type")
        } catch {
            throw BusinessError(.badParameter, "parameter error: the body is not a JSON object")
        }
    }

    /// One POST route: faults, authentication, the operation, the envelope.
    private func api<Payload: Encodable & Sendable>(
        _ router: Router<SimulatorContext>, _ suffix: String, create: Bool = false,
        _ operation: @escaping @Sendable (Data, String) async throws -> Payload
    ) {
        let path = Self.apiPrefix + suffix
        let gate = CallGate(state: state)
        router.post(RouterPath(path)) { request, context -> Response in
            let started = ContinuousClock.now
            func log(_ outcome: String) { configuration.log("POST \(path) \(outcome) \(CallGate.milliseconds(since: started))ms") }
            let fault: CallFault?
            switch try await gate.enter(path: path, request: request, context: context) {
            case .dropped(let response):
                log("fault=drop_before")
                return response
            case .proceed(let decided):
                fault = decided
            }
            if let fault, let answered = await answer(fault) {
                log("\(answered.outcome) fault=\(fault.rawValue)")
                return answered.response
            }
            let body = try await request.body.collect(upTo: 4 << 20)
            guard case .some(let account) = configuration.openAPIAccount(of: request.headers[.authorization]) else {
                log("status=400002")
                return envelope(error: BusinessError(.authenticationFailed))
            }
            let base = "http://" + (request.head.authority ?? "127.0.0.1")
            do {
                // The key's account: what it creates, sees and pays from (see CallerKey).
                let payload = try await CallerKey.$account.withValue(account) { try await operation(Data(buffer: body), base) }
                if fault == .lostAnswer && create {
                    await state.noteLostAnswer()
                    log("status=200000 fault=lost_answer")
                    return try await CallGate.drop(request, context, drainingBody: false)
                }
                log("status=200000" + (fault == .slow ? " fault=slow" : ""))
                return envelope(payload)
            } catch let error as BusinessError {
                log("status=\(error.code.rawValue) \(error.message)")
                return envelope(error: error)
            }
        }
    }

    /// The answer a fault gives before anything is processed: a business code inside the
    /// envelope, or a bare HTTP status with a plain body. Nil: the call goes on.
    private func answer(_ fault: CallFault) async -> (response: Response, outcome: String)? {
        switch fault {
        case .internalError, .serverBusy, .parallelLimit:
            let code: BusinessCode = fault == .internalError ? .internalError : fault == .serverBusy ? .serverBusy : .parallelLimit
            return (envelope(error: BusinessError(code)), "status=\(code.rawValue)")
        default:
            guard let status = fault.httpStatus else { return nil }
            let retryAfter = status == .tooManyRequests ? await state.faultProfile.retryAfterSeconds : nil
            return (Responses.plain(status, retryAfter: retryAfter), "http=\(status.code)")
        }
    }

    private func envelope<Payload: Encodable>(_ payload: Payload) -> Response {
        let body = Envelope(status: BusinessCode.success.rawValue, message: "success", request_id: UUID().uuidString.lowercased(), data: payload)
        return Responses.json((try? Responses.encoder.encode(body)) ?? Data())
    }

    private func envelope(error: BusinessError) -> Response {
        let body = Envelope<ItemIDs>(status: error.code.rawValue, message: error.message, request_id: UUID().uuidString.lowercased(), data: nil)
        return Responses.json((try? Responses.encoder.encode(body)) ?? Data())
    }
}

/// Every Open API path takes POST only: anything else answers 405 with `Allow: POST`.
struct OpenAPIMethodGuard: RouterMiddleware {
    typealias Context = SimulatorContext
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix(OpenAPIRoutes.apiPrefix), request.method != .post {
            log("\(request.method.rawValue) \(request.uri.path) http=405")
            return Response(status: .methodNotAllowed, headers: [.allow: "POST"])
        }
        return try await next(request, context)
    }
}
