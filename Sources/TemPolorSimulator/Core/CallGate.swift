import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The first steps of every API call, whatever its surface: count it, decide its fault, and
/// carry out the faults that need no knowledge of the API (a dropped connection, a late
/// answer). The surface then answers the remaining faults in its own terms.
struct CallGate: Sendable {
    let state: SimulatorState

    enum Entry {
        /// The connection was closed before anything was processed.
        case dropped(Response)
        /// Go on; the fault (if any) is the surface's to answer.
        case proceed(CallFault?)
    }

    func enter(path: String, request: Request, context: SimulatorContext) async throws -> Entry {
        await state.count(path: path)
        let fault = await state.decideFault(path: path)
        switch fault {
        case .dropBefore?:
            return .dropped(try await Self.drop(request, context, drainingBody: true))
        case .slow?:
            try await Task.sleep(for: .milliseconds(await state.faultProfile.slowDelayMilliseconds))
            return .proceed(fault)
        default:
            return .proceed(fault)
        }
    }

    /// Closes the connection without answering. The request body is read first when it has not
    /// been, so the peer sees a clean close rather than a reset.
    static func drop(_ request: Request, _ context: SimulatorContext, drainingBody: Bool) async throws -> Response {
        if drainingBody {
            var request = request
            _ = try? await request.collectBody(upTo: 4 << 20)
        }
        try? await context.channel.close()
        return Response(status: .internalServerError)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}

extension CallFault {
    /// The HTTP status a fault answers with before anything is processed (nil for business-code
    /// faults and for those that change how the call goes rather than what it answers).
    var httpStatus: HTTPResponse.Status? {
        switch self {
        case .http500: .internalServerError
        case .http502: .badGateway
        case .http429: .tooManyRequests
        case .http400: .badRequest
        case .http401: .unauthorized
        case .http402: .init(code: 402, reasonPhrase: "Payment Required")
        case .http412: .preconditionFailed
        case .http422: .unprocessableContent
        case .http596: .init(code: 596, reasonPhrase: "Upstream Session Broken")
        case .internalError, .serverBusy, .parallelLimit, .dropBefore, .lostAnswer, .slow: nil
        }
    }
}

/// Small builders for the simulator's answers.
enum Responses {
    static func json(_ data: Data, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A plain-text answer carrying the status's reason phrase (`Retry-After` when given).
    static func plain(_ status: HTTPResponse.Status, retryAfter: Int? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: status.reasonPhrase)))
    }

    /// The encoder every JSON answer uses: sorted keys, slashes unescaped.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
