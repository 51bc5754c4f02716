import HTTPTypes
import Hummingbird

/// The useapi.net routes (`/v1/tempolor/...`): each one's pattern, which keys its request
/// counts and its faults (`/v1/tempolor/music/{job}`), and the one method it takes.
enum UseAPIRoute: CaseIterable, Sendable {
    case song, instrumental, list, job, download, scheduler, available, untrack

    static let prefix = "/v1/tempolor"
    static let createPatterns: Set<String> = [song.pattern, instrumental.pattern]

    var pattern: String {
        switch self {
        case .song: "/v1/tempolor/music/song"
        case .instrumental: "/v1/tempolor/music/instrumental"
        case .list: "/v1/tempolor/music"
        case .job: "/v1/tempolor/music/{job}"
        case .download: "/v1/tempolor/music/download/{job}"
        case .scheduler: "/v1/tempolor/scheduler"
        case .available: "/v1/tempolor/scheduler/available"
        case .untrack: "/v1/tempolor/scheduler/{job}"
        }
    }

    /// The pattern in the router's syntax.
    var routerPath: String { pattern.replacingOccurrences(of: "{job}", with: ":job") }

    var method: HTTPRequest.Method {
        switch self {
        case .song, .instrumental: .post
        case .untrack: .delete
        case .list, .job, .download, .scheduler, .available: .get
        }
    }

    var isCreate: Bool { self == .song || self == .instrumental }

    /// The route a raw request path belongs to, whatever the method; nil outside the useapi
    /// routes.
    init?(path: String) {
        guard path.hasPrefix(Self.prefix + "/") else { return nil }
        let parts = path.dropFirst(Self.prefix.count).split(separator: "/").map(String.init)
        switch parts {
        case ["music"]: self = .list
        case ["music", "song"]: self = .song
        case ["music", "instrumental"]: self = .instrumental
        case _ where parts.count == 2 && parts[0] == "music": self = .job
        case _ where parts.count == 3 && parts[0] == "music" && parts[1] == "download": self = .download
        case ["scheduler"]: self = .scheduler
        case ["scheduler", "available"]: self = .available
        case _ where parts.count == 2 && parts[0] == "scheduler": self = .untrack
        default: return nil
        }
    }
}

/// Every useapi path takes one method: another answers 405 with `Allow`; a path under
/// `/v1/tempolor/` that is no route answers 404. Both with the flat JSON error body.
struct UseAPIMethodGuard: RouterMiddleware {
    typealias Context = SimulatorContext
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix(UseAPIRoute.prefix + "/") else { return try await next(request, context) }
        guard let route = UseAPIRoute(path: path) else {
            log("\(request.method.rawValue) \(path) http=404")
            return UseAPIError(.notFound, "Not found: \(path)").response
        }
        guard request.method == route.method else {
            log("\(request.method.rawValue) \(path) http=405")
            var response = UseAPIError(.methodNotAllowed, "Method \(request.method.rawValue) not allowed; use \(route.method.rawValue)").response
            response.headers[.allow] = route.method.rawValue
            return response
        }
        return try await next(request, context)
    }
}
