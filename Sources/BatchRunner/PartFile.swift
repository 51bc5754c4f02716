import BatchManifest
import Crypto
import Foundation
import ProviderKit

/// A library file being written. Bytes go to `<name>.part` and are hashed as they arrive; only
/// ``commit()`` (after an fsync) gives the file its final name, and ``discard()`` removes it.
/// Every file the runner writes goes through here, so no half-written file carries a final name.
struct PartFile {
    struct Written: Sendable {
        let size: Int64
        let sha256: String
    }

    let destination: URL
    private let part: URL
    private let handle: FileHandle
    private var hasher = SHA256()
    private(set) var size: Int64 = 0
    /// The first bytes written, for format checks.
    private(set) var head = Data()

    init(for destination: URL) throws {
        self.destination = destination
        part = destination.appendingPathExtension("part")
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: part.path, contents: nil) else {
            throw ProviderError(.permanent, "cannot write \(part.path)")
        }
        handle = try FileHandle(forWritingTo: part)
    }

    mutating func write(_ data: Data) throws {
        try handle.write(contentsOf: data)
        hasher.update(data: data)
        size += Int64(data.count)
        if head.count < 16 { head.append(data.prefix(16 - head.count)) }
    }

    /// A last step on the finished `.part` file before it gets its name (tagging): it may
    /// rewrite the file in place (keeping it whole) and says whether it did.
    typealias Finishing = @Sendable (URL) -> Bool

    /// Syncs, closes and renames the file over `destination` (atomically replacing an older
    /// copy). `finishing` runs on the complete `.part` first; the size and hash returned are
    /// then those of the file as finished. The file is synced once, as it will be named: after
    /// the finishing step when there is one.
    func commit(finishing: Finishing? = nil) throws -> Written {
        do {
            if finishing == nil { try handle.synchronize() }
            try handle.close()
        } catch {
            discard()
            throw error
        }
        var written = Written(size: size, sha256: hasher.finalize().hexString)
        if let finishing {
            let rewritten = finishing(part)
            do {
                let finished = try FileHandle(forUpdating: part)
                try finished.synchronize()
                try finished.close()
            } catch {
                discard()
                throw error
            }
            if rewritten {
                guard let rehashed = FileHash.sha256(of: part) else {
                    discard()
                    throw ProviderError(.permanent, "cannot read back \(part.lastPathComponent)")
                }
                written = Written(size: rehashed.size, sha256: rehashed.sha256)
            }
        }
        guard rename(part.path, destination.path) == 0 else {
            let code = errno
            discard()
            throw ProviderError(.permanent, "cannot move \(part.lastPathComponent) into place (errno \(code))")
        }
        return written
    }

    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(at: part)
    }

    /// Writes a whole text file through a part file.
    static func writeText(_ text: String, to destination: URL) throws -> Written {
        var file = try PartFile(for: destination)
        do {
            try file.write(Data(text.utf8))
        } catch {
            file.discard()
            throw error
        }
        return try file.commit()
    }
}
