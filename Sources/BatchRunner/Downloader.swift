import AsyncHTTPClient
import BatchManifest
import Crypto
import Foundation
import ProviderKit
import NIOCore

/// Fetches result files. Every download streams into a ``PartFile``, is checked (status, length
/// against `Content-Length`, the file's leading bytes against its format) and hashed, and only
/// then renamed to its final name.
struct Downloader: Sendable {
    let http: HTTPClient
    let timeout: Duration
    var activity: (any RunActivity)?
    /// Hears a file's bytes arriving: at least every MiB, and once when it is complete.
    var progress: (@Sendable (_ destination: URL, _ bytes: Int64, _ total: Int64?, _ done: Bool) -> Void)?

    /// Files to be tagged up to this size are held in memory until tagged (a song's mp3; a
    /// full-length WAV is larger and streams to disk first).
    static let taggedInMemory = 16 << 20

    /// A client for result files: unlike API calls, CDN downloads may redirect.
    static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: .seconds(120)))
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Downloads `url` to `destination`; `finishing` (tagging) runs on the checked file before
    /// it gets its name. Throws a ``ProviderError``: transient for truncated or failed
    /// transfers, `urlExpired` for HTTP 403 (a signed URL past its time).
    func download(_ url: String, to destination: URL, finishing: PartFile.Finishing? = nil) async throws -> PartFile.Written {
        guard let activity else { return try await fetch(url, to: destination, finishing: finishing) }
        return try await activity.during { try await fetch(url, to: destination, finishing: finishing) }
    }

    private func fetch(_ url: String, to destination: URL, finishing: PartFile.Finishing?) async throws -> PartFile.Written {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        } catch {
            throw ProviderError(.transient(retryAfter: nil), "download of \(destination.lastPathComponent) failed: \(Self.describe(error))")
        }
        switch response.status.code {
        case 200: break
        case 429, 500...599:
            throw ProviderError(.transient(retryAfter: response.headers.first(name: "Retry-After").flatMap(Double.init)),
                                "download of \(destination.lastPathComponent) answered HTTP \(response.status.code)")
        case 400...499:
            // Signed URLs past their time answer 403 (or 401/404/410 on some CDNs): refresh them.
            throw ProviderError(.transient(retryAfter: nil), "the URL of \(destination.lastPathComponent) was refused (HTTP \(response.status.code)); it may have expired", urlExpired: true)
        default:
            throw ProviderError(.permanent, "download of \(destination.lastPathComponent) answered HTTP \(response.status.code)")
        }
        let expected = response.headers.first(name: "Content-Length").flatMap(Int64.init)
        // A file to be tagged is tagged in memory: held there as it arrives (up to a limit), it
        // is written once, tagged.
        var file = try PartFile(for: destination, memoryLimit: finishing == nil ? 0 : Self.taggedInMemory)
        var reported: Int64 = 0
        do {
            for try await chunk in response.body {
                try file.write(Data(chunk.readableBytesView))
                if let progress, file.size - reported >= 1 << 20 {
                    reported = file.size
                    progress(destination, file.size, expected, false)
                }
            }
        } catch {
            file.discard()
            throw ProviderError(.transient(retryAfter: nil), "download of \(destination.lastPathComponent) broke off after \(file.size) bytes: \(Self.describe(error))")
        }
        if let expected, expected != file.size {
            file.discard()
            throw ProviderError(.transient(retryAfter: nil), "download of \(destination.lastPathComponent) is truncated: \(file.size) of \(expected) bytes")
        }
        if let problem = FileFormat.problem(head: file.head, size: file.size, fileExtension: destination.pathExtension) {
            file.discard()
            throw ProviderError(.transient(retryAfter: nil), "\(destination.lastPathComponent) \(problem)")
        }
        let written = try file.commit(finishing: finishing)
        progress?(destination, file.size, expected, true)
        return written
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: type(of: error))
    }
}

/// Leading-byte checks that catch an HTML error page or garbage saved under an audio name.
enum FileFormat {
    static func problem(head: Data, size: Int64, fileExtension: String) -> String? {
        let bytes = [UInt8](head)
        guard size > 0 else { return "is empty" }
        func starts(_ prefix: String) -> Bool { bytes.starts(with: Array(prefix.utf8)) }
        switch fileExtension.lowercased() {
        case "mp3":
            let frameSync = bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0
            return starts("ID3") || frameSync ? nil : "is not an MPEG audio stream"
        case "wav":
            guard starts("RIFF"), bytes.count >= 12, Array(bytes[8..<12]) == Array("WAVE".utf8) else { return "is not a WAV file" }
            // The RIFF header states the file's length: a body cut short without Content-Length shows here.
            let riff = Int64(bytes[4]) | Int64(bytes[5]) << 8 | Int64(bytes[6]) << 16 | Int64(bytes[7]) << 24
            return riff + 8 <= size ? nil : "is truncated: its header promises \(riff + 8) bytes, \(size) arrived"
        case "flac":
            return starts("fLaC") ? nil : "is not a FLAC file"
        case "zip":
            return starts("PK\u{3}\u{4}") ? nil : "is not a zip archive"
        default:
            return nil
        }
    }
}

extension SHA256.Digest {
    var hexString: String { Array(self).hexString }
}

/// SHA-256 of a file on disk, streamed.
enum FileHash {
    static func sha256(of url: URL) -> (size: Int64, sha256: String)? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data: data)
            size += Int64(data.count)
        }
        return (size, hasher.finalize().hexString)
    }
}
