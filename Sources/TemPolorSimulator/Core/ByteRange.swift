import Foundation

/// A single `Range: bytes=…` request against a body of `length` bytes.
enum ByteRange: Equatable {
    case whole
    case partial(ClosedRange<Int>)
    case unsatisfiable

    init(header: String?, length: Int) {
        guard let header else { self = .whole; return }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("bytes="), !trimmed.contains(",") else { self = .unsatisfiable; return }
        let spec = trimmed.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { self = .unsatisfiable; return }
        let first = Int(parts[0]), last = Int(parts[1])
        switch (parts[0].isEmpty, parts[1].isEmpty) {
        case (true, false):                                    // bytes=-N: the last N bytes
            guard let count = last, count > 0, length > 0 else { self = .unsatisfiable; return }
            self = .partial(max(0, length - count)...(length - 1))
        case (false, true):                                    // bytes=N-
            guard let start = first, start < length else { self = .unsatisfiable; return }
            self = .partial(start...(length - 1))
        case (false, false):
            guard let start = first, let end = last, start <= end, start < length else { self = .unsatisfiable; return }
            self = .partial(start...min(end, length - 1))
        case (true, true):
            self = .unsatisfiable
        }
    }
}
