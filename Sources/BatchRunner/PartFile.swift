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
        // open(2) directly: FileManager.createFile writes an empty file atomically and looks up
        // the owner's account names (reading /etc/passwd and /etc/group) for every file.
        var descriptor = Self.create(part.path)
        if descriptor < 0 && errno == ENOENT {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            descriptor = Self.create(part.path)
        }
        guard descriptor >= 0 else {
            throw ProviderError(.permanent, "cannot write \(part.path): \(String(cString: strerror(errno)))")
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    private static func create(_ path: String) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    }

    mutating func write(_ data: Data) throws {
        try handle.write(contentsOf: data)
        hasher.update(data: data)
        size += Int64(data.count)
        if head.count < 16 { head.append(data.prefix(16 - head.count)) }
    }

    /// A last step on the finished `.part` file before it gets its name (tagging): given the
    /// file, it returns the bytes the file should hold instead, or nil to keep it as it is. The
    /// part file is not yet under its name, so the new bytes are written over it in place (no
    /// second temporary file: each file created and deleted costs the file system an inode).
    typealias Finishing = @Sendable (URL) -> Data?

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
            let finished = finishing(part)
            do {
                try Self.sync(part, replacingWith: finished)
            } catch {
                discard()
                throw error
            }
            if let finished {
                written = Written(size: Int64(finished.count), sha256: SHA256.hash(data: finished).hexString)
            }
        }
        guard rename(part.path, destination.path) == 0 else {
            let code = errno
            discard()
            throw ProviderError(.permanent, "cannot move \(part.lastPathComponent) into place (errno \(code))")
        }
        return written
    }

    /// Syncs the file at `url`, first replacing its bytes with `bytes` when given.
    private static func sync(_ url: URL, replacingWith bytes: Data?) throws {
        let descriptor = open(url.path, O_WRONLY | O_CLOEXEC | (bytes == nil ? 0 : O_TRUNC))
        guard descriptor >= 0 else {
            throw ProviderError(.permanent, "cannot reopen \(url.lastPathComponent): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        if let bytes { try handle.write(contentsOf: bytes) }
        try handle.synchronize()
        try handle.close()
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
