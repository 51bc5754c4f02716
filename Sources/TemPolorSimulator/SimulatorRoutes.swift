import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The Open API routes, the signed file downloads and the inspection endpoint.
struct SimulatorRoutes: Sendable {
    let state: SimulatorState
    let files: FileCache
    let configuration: SimulatorConfiguration

    static let apiPrefix = "/open-apis/v1/"
    static let createPaths: Set<String> = [
        "/open-apis/v1/song/generate", "/open-apis/v1/song/extend", "/open-apis/v1/instrumental/generate",
        "/open-apis/v1/instrumental/extend", "/open-apis/v1/lyrics/generate", "/open-apis/v1/stems",
    ]

    func register(on router: Router<SimulatorContext>) {
        router.add(middleware: MethodGuard(log: configuration.log))
        api(router, "song/generate", create: true) { data, _ in ItemIDs(item_ids: try await state.createSong(decode(data))) }
        api(router, "song/extend", create: true) { data, _ in ItemIDs(item_ids: try await state.createExtend(decode(data), kind: .song)) }
        api(router, "song/query") { data, base in
            SongsPayload(songs: await state.presentAudio(try await state.items(decode(data), kind: .song), base: base))
        }
        api(router, "instrumental/generate", create: true) { data, _ in ItemIDs(item_ids: try await state.createInstrumental(decode(data))) }
        api(router, "instrumental/extend", create: true) { data, _ in ItemIDs(item_ids: try await state.createExtend(decode(data), kind: .instrumental)) }
        api(router, "instrumental/query") { data, base in
            InstrumentalsPayload(instrumentals: await state.presentAudio(try await state.items(decode(data), kind: .instrumental), base: base))
        }
        api(router, "lyrics/generate", create: true) { data, _ in ItemIDs(item_ids: try await state.createLyrics(decode(data))) }
        api(router, "lyrics/query") { data, _ in
            LyricsPayload(lyrics: await state.presentLyrics(try await state.items(decode(data), kind: .lyrics)))
        }
        api(router, "stems", create: true) { data, _ in ItemIDs(item_ids: try await state.createStems(decode(data))) }
        api(router, "stems/query") { data, base in
            StemsPayload(stems: await state.presentStems(try await state.items(decode(data), kind: .stems), base: base))
        }
        api(router, "account/billing") { _, _ in Balance(balance: await state.balance) }

        router.get("/files/:item/:file") { request, context in try await download(request, context) }
        router.get("/_sim/stats") { _, _ in
            await state.count(path: "/_sim/stats")
            return jsonResponse(try encoder.encode(await state.currentStats()))
        }
    }

    private var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
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

    // MARK: API calls

    /// One POST route of the Open API: faults, authentication, the operation, the envelope.
    private func api<Payload: Encodable & Sendable>(
        _ router: Router<SimulatorContext>, _ suffix: String, create: Bool = false,
        _ operation: @escaping @Sendable (Data, String) async throws -> Payload
    ) {
        let path = Self.apiPrefix + suffix
        router.post(RouterPath(path)) { request, context -> Response in
            let started = ContinuousClock.now
            func log(_ outcome: String) {
                configuration.log("POST \(path) \(outcome) \(Self.milliseconds(since: started))ms")
            }
            await state.count(path: path)
            let fault = await state.decideFault(path: path)
            let profile = await state.faultProfile
            switch fault {
            case .dropBefore?:
                log("fault=drop_before")
                return try await drop(request, context, drainingBody: true)
            case .http500?, .http502?, .http429?:
                let status: HTTPResponse.Status = fault == .http500 ? .internalServerError : fault == .http502 ? .badGateway : .tooManyRequests
                var headers: HTTPFields = [.contentType: "text/plain"]
                if fault == .http429 { headers[.retryAfter] = String(profile.retryAfterSeconds) }
                log("http=\(status.code) fault=\(fault?.rawValue ?? "")")
                return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: status.reasonPhrase)))
            case .internalError?, .serverBusy?, .parallelLimit?:
                let code: BusinessCode = fault == .internalError ? .internalError : fault == .serverBusy ? .serverBusy : .parallelLimit
                log("status=\(code.rawValue) fault=\(fault?.rawValue ?? "")")
                return envelope(error: BusinessError(code))
            case .slow?:
                try await Task.sleep(for: .milliseconds(profile.slowDelayMilliseconds))
            case .lostAnswer?, nil:
                break
            }
            let body = try await request.body.collect(upTo: 4 << 20)
            guard request.headers[.authorization] == configuration.apiKey else {
                log("status=400002")
                return envelope(error: BusinessError(.authenticationFailed))
            }
            let base = "http://" + (request.head.authority ?? "127.0.0.1")
            do {
                let payload = try await operation(Data(buffer: body), base)
                if fault == .lostAnswer && create {
                    await state.noteLostAnswer()
                    log("status=200000 fault=lost_answer")
                    return try await drop(request, context, drainingBody: false)
                }
                log("status=200000" + (fault == .slow ? " fault=slow" : ""))
                return envelope(payload)
            } catch let error as BusinessError {
                log("status=\(error.code.rawValue) \(error.message)")
                return envelope(error: error)
            }
        }
    }

    /// Closes the connection without answering. The request body is read first when it has not
    /// been, so the peer sees a clean close rather than a reset.
    private func drop(_ request: Request, _ context: SimulatorContext, drainingBody: Bool) async throws -> Response {
        if drainingBody {
            var request = request
            _ = try? await request.collectBody(upTo: 4 << 20)
        }
        try? await context.channel.close()
        return Response(status: .internalServerError)
    }

    private func envelope<Payload: Encodable>(_ payload: Payload) -> Response {
        let body = Envelope(status: BusinessCode.success.rawValue, message: "success", request_id: UUID().uuidString.lowercased(), data: payload)
        return jsonResponse((try? encoder.encode(body)) ?? Data())
    }

    private func envelope(error: BusinessError) -> Response {
        let body = Envelope<ItemIDs>(status: error.code.rawValue, message: error.message, request_id: UUID().uuidString.lowercased(), data: nil)
        return jsonResponse((try? encoder.encode(body)) ?? Data())
    }

    private func jsonResponse(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Downloads

    private func download(_ request: Request, _ context: SimulatorContext) async throws -> Response {
        let started = ContinuousClock.now
        let path = request.uri.path
        func log(_ outcome: String) { configuration.log("GET \(path) \(outcome) \(Self.milliseconds(since: started))ms") }
        await state.count(path: "/files")
        let query = request.uri.queryParameters
        switch await state.check(path: path, expires: query["expires"].map(String.init), signature: query["signature"].map(String.init)) {
        case .invalid:
            log("http=403 bad signature")
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "invalid signature")))
        case .expired:
            log("http=403 expired")
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "URL expired")))
        case .valid:
            break
        }
        guard let id = context.parameters.get("item"), let file = context.parameters.get("file"),
              let item = await state.item(id), let data = try await files.data(for: item, file: file)
        else {
            log("http=404")
            return Response(status: .notFound)
        }
        await state.noteDownload()
        let contentType = file.hasSuffix(".mp3") ? "audio/mpeg" : file.hasSuffix(".wav") ? "audio/wav" : "application/zip"
        var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes"]
        let slice: Data
        var status: HTTPResponse.Status = .ok
        switch ByteRange(header: request.headers[.range], length: data.count) {
        case .whole:
            slice = data
        case .partial(let range):
            slice = data.subdata(in: range.lowerBound..<(range.upperBound + 1))
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(data.count)"
            status = .partialContent
        case .unsatisfiable:
            log("http=416")
            return Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(data.count)"])
        }
        let profile = await state.faultProfile
        switch await state.decideDownloadFault() {
        case .truncated?:
            log("http=\(status.code) fault=truncated")
            let half = ByteBuffer(bytes: slice.prefix(slice.count / 2))
            return Response(status: status, headers: headers, body: ResponseBody(contentLength: slice.count) { writer in
                try await writer.write(half)
                try await Task.sleep(for: .milliseconds(20))
                throw TruncatedDownload()
            })
        case .slow?:
            try await Task.sleep(for: .milliseconds(profile.slowDelayMilliseconds))
            log("http=\(status.code) fault=slow")
        case nil:
            log("http=\(status.code) bytes=\(slice.count)")
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: slice)))
    }

    struct TruncatedDownload: Error {}

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// Every Open API path takes POST only: anything else answers 405 with `Allow: POST`.
struct MethodGuard: RouterMiddleware {
    typealias Context = SimulatorContext
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix(SimulatorRoutes.apiPrefix), request.method != .post {
            log("\(request.method.rawValue) \(request.uri.path) http=405")
            return Response(status: .methodNotAllowed, headers: [.allow: "POST"])
        }
        return try await next(request, context)
    }
}
