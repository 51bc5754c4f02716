import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The useapi.net surface (`/v1/tempolor/...`): real HTTP statuses with flat JSON errors,
/// `Authorization: Bearer <token>`, job ids raw in the path. Served from the same state as the
/// Open API.
struct UseAPIRoutes: Sendable {
    let state: SimulatorState
    let configuration: SimulatorConfiguration

    func register(on router: Router<SimulatorContext>) {
        router.add(middleware: UseAPIMethodGuard(log: configuration.log))
        route(router, .song) { call in try await state.createUseAPISong(call.decode()) }
        route(router, .instrumental) { call in try await state.createUseAPIInstrumental(call.decode()) }
        route(router, .list) { call in try await state.useapiPage(userID: call.query("user_id"), cursor: call.query("cursor")) }
        route(router, .job) { call in try await state.useapiJobWire(call.jobID()) }
        route(router, .download) { call in
            try await state.useapiDownload(call.jobID(), format: call.query("file_format"), base: call.base)
        }
        route(router, .scheduler) { _ in await state.useapiExecuting() }
        route(router, .available) { _ in await state.useapiAvailability() }
        route(router, .untrack) { call in
            try await state.useapiUntrack(call.jobID())
            return UseAPIEmpty()
        }
    }

    /// One route: faults, authentication, the operation, the answer (or a lost one).
    private func route<Payload: Encodable & Sendable>(
        _ router: Router<SimulatorContext>, _ route: UseAPIRoute, _ operation: @escaping @Sendable (UseAPICall) async throws -> Payload
    ) {
        let gate = CallGate(state: state)
        let expected = "Bearer " + configuration.useapiToken
        router.on(RouterPath(route.routerPath), method: route.method) { request, context -> Response in
            let started = ContinuousClock.now
            func log(_ outcome: String) {
                configuration.log("\(route.method.rawValue) \(route.pattern) \(outcome) \(CallGate.milliseconds(since: started))ms")
            }
            let fault: CallFault?
            switch try await gate.enter(path: route.pattern, request: request, context: context) {
            case .dropped(let response):
                log("fault=drop_before")
                return response
            case .proceed(let decided):
                fault = decided
            }
            if let fault, let answer = UseAPIError.answer(to: fault, retryAfter: await state.faultProfile.retryAfterSeconds) {
                log("http=\(answer.status.code) fault=\(fault.rawValue)")
                return answer
            }
            let body = try await request.body.collect(upTo: 4 << 20)
            guard request.headers[.authorization] == expected else {
                log("http=401")
                return UseAPIError.unauthorized.response
            }
            let call = UseAPICall(request: request, body: Data(buffer: body))
            do {
                let response = Responses.json(try Responses.encoder.encode(try await operation(call)))
                if fault == .lostAnswer && route.isCreate {
                    await state.noteLostAnswer()
                    log("http=200 fault=lost_answer")
                    return try await CallGate.drop(request, context, drainingBody: false)
                }
                log("http=200" + (fault == .slow ? " fault=slow" : ""))
                return response
            } catch let error as UseAPIError {
                log("http=\(error.status.code) \(error.message)")
                return error.response
            }
        }
    }
}

/// What a useapi operation gets to work with: the request, its body and helpers to read them
/// in useapi's terms (400 for what cannot be read).
struct UseAPICall: Sendable {
    let request: Request
    let body: Data

    var base: String { "http://" + (request.head.authority ?? "127.0.0.1") }

    func query(_ name: String) -> String? { request.uri.queryParameters[Substring(name)].map(String.init) }

    /// The job id, taken from the raw path (never decoded first, so an encoded `:` shows).
    func jobID() throws(UseAPIError) -> UseAPIJobID {
        let segment = request.uri.path.split(separator: "/").last.map(String.init) ?? ""
        guard let id = UseAPIJobID(rawSegment: segment) else { throw UseAPIError.badJobID }
        return id
    }

    func decode<T: Decodable>() throws(UseAPIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: body.isEmpty ? Data("{}".utf8) : body)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw UseAPIError(.badRequest, "\(field) has the wrong type")
        } catch {
            throw UseAPIError(.badRequest, "the body is not a JSON object")
        }
    }
}
