/// The containers ``AudioTagger`` can tag.
public enum AudioFormat: String, Sendable, CaseIterable {
    case mp3, wav, flac

    /// The format a file name's extension names (case-insensitive), looking through a trailing
    /// `.part`, so `song.mp3.part` is an mp3. Nil for any other extension.
    public init?(fileName: String) {
        var parts = fileName.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        if parts.count > 2, parts.last == "part" { parts.removeLast() }
        guard parts.count > 1, let last = parts.last, let format = AudioFormat(rawValue: String(last)) else { return nil }
        self = format
    }

    var displayName: String { rawValue.uppercased() }
}

/// Why a file could not be tagged. Tagging never half-writes: the file is unchanged after any of these.
public enum AudioTagError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not a well-formed file of the format they were said to be. `file` is the
    /// path when tagging a file.
    case malformed(AudioFormat, reason: String, file: String?)
    /// A value cannot be written as asked, e.g. a NUL inside a text field, a language that is not
    /// three letters, a Vorbis field name with `=` in it, or a tag too large for its container.
    case invalidTags(String)
    /// No format was given and the file name's extension names none of ``AudioFormat``.
    case unknownFormat(file: String)

    public var description: String {
        switch self {
        case .malformed(let format, let reason, let file):
            "\(file.map { "'\($0)'" } ?? "the data") is not a valid \(format.displayName) file: \(reason)"
        case .invalidTags(let reason):
            "cannot write these tags: \(reason)"
        case .unknownFormat(let file):
            "cannot tell the audio format of '\(file)': expected a .mp3, .wav or .flac extension (optionally followed by .part)"
        }
    }

    /// The same error naming `file`.
    func located(at file: String) -> AudioTagError {
        if case .malformed(let format, let reason, nil) = self { return .malformed(format, reason: reason, file: file) }
        return self
    }
}
