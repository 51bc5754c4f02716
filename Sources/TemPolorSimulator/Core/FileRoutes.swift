import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The routes both surfaces share: signed file downloads (`/files/<item>/<file>`, with ranges
/// and download faults) and the inspection endpoint `/_sim/stats`.
struct FileRoutes: Sendable {
    let state: SimulatorState
    let files: FileCache
    let configuration: SimulatorConfiguration

    func register(on router: Router<SimulatorContext>) {
        router.get("/files/:item/:file") { request, context in try await download(request, context) }
        router.get("/_sim/stats") { _, _ in
            await state.count(path: "/_sim/stats")
            return Responses.json(try Responses.encoder.encode(await state.currentStats()))
        }
    }

    /// What a single-auth URL answers when the request also carries `Authorization`, as S3 does.
    static let conflictingAuthBody = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>"

    private func download(_ request: Request, _ context: SimulatorContext) async throws -> Response {
        let started = ContinuousClock.now
        let path = request.uri.path
        func log(_ outcome: String) { configuration.log("GET \(path) \(outcome) \(CallGate.milliseconds(since: started))ms") }
        await state.count(path: "/files")
        let query = request.uri.queryParameters
        let singleAuth = query[Substring(URLSigner.singleAuthParameter)] != nil
        if singleAuth, request.headers[.authorization] != nil {
            log("http=400 conflicting auth")
            return Response(status: .badRequest, headers: [.contentType: "application/xml"],
                            body: .init(byteBuffer: ByteBuffer(string: Self.conflictingAuthBody)))
        }
        switch await state.check(path: path, expires: query["expires"].map(String.init), signature: query["signature"].map(String.init), singleAuth: singleAuth) {
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
}
