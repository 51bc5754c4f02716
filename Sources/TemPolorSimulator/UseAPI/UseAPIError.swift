import Foundation
import HTTPTypes
import Hummingbird

/// A useapi answer other than 200: a real HTTP status with the flat body
/// `{"error": "...", "code": N}` (429 also carries `Retry-After`).
struct UseAPIError: Error, Sendable {
    let status: HTTPResponse.Status
    let message: String
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    static let unauthorized = UseAPIError(.unauthorized, "Unauthorized")
    static let notCompleted = UseAPIError(.badRequest, "Generation is not completed yet")
    static let badJobID = UseAPIError(.badRequest, "job_id has incorrect format")

    static func noRecord(_ id: UseAPIJobID) -> UseAPIError { noRecord(id.text) }
    static func noRecord(_ id: String) -> UseAPIError { UseAPIError(.notFound, "No record found for \(id)") }

    private struct Body: Encodable {
        let error: String
        let code: Int
    }

    var response: Response {
        let data = (try? Responses.encoder.encode(Body(error: message, code: status.code))) ?? Data()
        var headers: HTTPFields = [:]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Responses.json(data, status: status, headers: headers)
    }

    /// The answer useapi gives for a fault decided before anything is processed; nil for the
    /// faults that change how the call goes instead (slow, drop, lost answer). Business-code
    /// faults become 500, 503 and 429; useapi statuses get the flat body; `http_500`, `http_502`
    /// and `http_429` stay the plain answers a proxy would give.
    static func answer(to fault: CallFault, retryAfter: Int) -> Response? {
        switch fault {
        case .internalError: UseAPIError(.internalServerError, "internal error, please retry later").response
        case .serverBusy: UseAPIError(.serviceUnavailable, "server busy, please retry later").response
        case .parallelLimit: noFreeSlot(retryAfter: retryAfter).response
        case .http500, .http502: Responses.plain(fault.httpStatus ?? .internalServerError)
        case .http429: Responses.plain(.tooManyRequests, retryAfter: retryAfter)
        case .http400: UseAPIError(.badRequest, "Bad Request").response
        case .http401: unauthorized.response
        case .http402: UseAPIError(fault.httpStatus ?? .badRequest, "useapi.net subscription required").response
        case .http412: outOfCredits.response
        case .http422: UseAPIError(.unprocessableContent, "prompt moderated").response
        case .http596: UseAPIError(fault.httpStatus ?? .badRequest, "upstream session broken: re-link the TemPolor account").response
        case .dropBefore, .lostAnswer, .slow: nil
        }
    }

    static func noFreeSlot(retryAfter: Int) -> UseAPIError { UseAPIError(.tooManyRequests, "no free job slot", retryAfter: retryAfter) }
    static let outOfCredits = UseAPIError(.preconditionFailed, "upstream account out of credits")
}
