import BatchManifest
import Crypto
import Foundation
import ProviderKit

/// A library file being written. Bytes go to `<name>.part` and are hashed as they arrive; only
/// ``commit()`` (after an fsync) gives the file its final name, and ``discard()`` removes it.
/// Every file the runner writes goes through here, so no half-written file carries a final name.
///
/// A file with a finishing step (tagging) may be held in memory up to `memoryLimit` bytes: the
/// step needs all of it in memory anyway, and the file is then written once, finished, instead of
/// written, read back and written again. A larger file spills to its `.part` file as it arrives.
struct PartFile {
    struct Written: Sendable {
        let size: Int64
        let sha256: String
    }

    let destination: URL
    private let part: URL
    /// The `.part` file, once opened (at once, or when the bytes outgrow `memoryLimit`).
    private var handle: FileHandle?
    private let memoryLimit: Int
    /// The bytes so far while they are held in memory.
    private var held = Data()
    private var hasher = SHA256()
    private(set) var size: Int64 = 0
    /// The first bytes written, for format checks.
    private(set) var head = Data()

    init(for destination: URL, memoryLimit: Int = 0) throws {
        self.destination = destination
        part = destination.appendingPathExtension("part")
        self.memoryLimit = memoryLimit
        if memoryLimit <= 0 { handle = try Self.openPart(part) }
    }

    /// Creates (or truncates) the part file; its folder is made when missing.
    private static func openPart(_ part: URL) throws -> FileHandle {
        // open(2) directly: FileManager.createFile writes an empty file atomically and looks up
        // the owner's account names (reading /etc/passwd and /etc/group) for every file.
        var descriptor = create(part.path)
        if descriptor < 0 && errno == ENOENT {
            try FileManager.default.createDirectory(at: part.deletingLastPathComponent(), withIntermediateDirectories: true)
            descriptor = create(part.path)
        }
        guard descriptor >= 0 else {
            throw ProviderError(.permanent, "cannot write \(part.path): \(String(cString: strerror(errno)))")
        }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    private static func create(_ path: String) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    }

    mutating func write(_ data: Data) throws {
        if head.count < 16 { head.append(data.prefix(16 - head.count)) }
        size += Int64(data.count)
        if handle == nil {
            if held.count + data.count <= memoryLimit {
                held.append(data)
                return
            }
            // Outgrown: from here on the bytes stream to disk, hashed as they go.
            let spilled = try Self.openPart(part)
            handle = spilled
            try spilled.write(contentsOf: held)
            hasher.update(data: held)
            held = Data()
        }
        try handle?.write(contentsOf: data)
        hasher.update(data: data)
    }

    /// A last step on the complete file before it gets its name (tagging): given the file's
    /// destination and its bytes, it returns the bytes the file should hold instead, or nil to
    /// keep them as they are.
    typealias Finishing = @Sendable (_ destination: URL, _ bytes: Data) -> Data?

    /// Finishes, syncs, closes and renames the file over `destination` (atomically replacing an
    /// older copy). The size and hash returned are those of the file as finished. The file is
    /// synced once, as it will be named.
    func commit(finishing: Finishing? = nil) throws -> Written {
        var written: Written
        do {
            if let handle {
                if finishing == nil { try handle.synchronize() }
                try handle.close()
                written = Written(size: size, sha256: hasher.finalize().hexString)
                // Read, not mapped: the part file is truncated and rewritten with the result,
                // and a mapping of it must not outlive that.
                if let finishing, let finished = finishing(destination, try Data(contentsOf: part)) {
                    try Self.write(finished, over: part)
                    written = Written(size: Int64(finished.count), sha256: SHA256.hash(data: finished).hexString)
                } else if finishing != nil {
                    try Self.write(nil, over: part)
                }
            } else {
                let bytes = finishing?(destination, held) ?? held
                let file = try Self.openPart(part)
                try file.write(contentsOf: bytes)
                try file.synchronize()
                try file.close()
                written = Written(size: Int64(bytes.count), sha256: SHA256.hash(data: bytes).hexString)
            }
        } catch {
            discard()
            throw error
        }
        guard rename(part.path, destination.path) == 0 else {
            let code = errno
            discard()
            throw ProviderError(.permanent, "cannot move \(part.lastPathComponent) into place (errno \(code))")
        }
        return written
    }

    /// Syncs the file at `url`, first replacing its bytes with `bytes` when given.
    private static func write(_ bytes: Data?, over url: URL) throws {
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
        try? handle?.close()
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
