public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes ``TrackTags`` into mp3 (ID3v2.4), WAV (`id3 ` chunk) and FLAC (Vorbis comments) files.
public enum AudioTagger {
    /// `audio` (a whole file of `format`) with `tags` written in, replacing earlier tags.
    public static func tagged(_ audio: Data, format: AudioFormat, tags: TrackTags) throws -> Data {
        switch format {
        case .mp3: try MP3.tagged(audio, with: tags)
        case .wav: try WAV.tagged(audio, with: tags)
        case .flac: try FLAC.tagged(audio, with: tags)
        }
    }

    /// Rewrites the file at `url` with `tags`. The format is `format`, or else the one the file
    /// name's extension names (looking through a trailing `.part`). The tagged bytes go to a
    /// hidden sibling file that is then renamed over `url`, keeping its permissions, so a reader
    /// sees the old file or the new one, never a mix. The file's hash changes.
    ///
    /// Throws ``AudioTagError`` (naming the file) when the format is unknown, the file is not a
    /// valid file of its format or the tags cannot be written; Foundation's errors when the file
    /// cannot be read or written. The file is unchanged after any error.
    public static func tag(fileAt url: URL, format: AudioFormat? = nil, tags: TrackTags) throws {
        guard let format = format ?? AudioFormat(fileName: url.lastPathComponent) else {
            throw AudioTagError.unknownFormat(file: url.path)
        }
        let original = try Data(contentsOf: url, options: .mappedIfSafe)
        let tagged: Data
        do {
            tagged = try self.tagged(original, format: format, tags: tags)
        } catch let error as AudioTagError {
            throw error.located(at: url.path)
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tagging-\(UUID().uuidString)")
        do {
            try tagged.write(to: temporary, options: .withoutOverwriting)
            // stat/chmod rather than FileManager's attributes, which look up the owner's account
            // names (reading /etc/passwd and /etc/group) on every call.
            var status = stat()
            guard stat(url.path, &status) == 0, chmod(temporary.path, status.st_mode & 0o7777) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [
                    NSFilePathErrorKey: url.path,
                    NSLocalizedDescriptionKey: "cannot keep the permissions of '\(url.path)': \(String(cString: strerror(errno)))",
                ])
            }
            guard rename(temporary.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [
                    NSFilePathErrorKey: url.path,
                    NSLocalizedDescriptionKey: "cannot rename the tagged copy over '\(url.path)': \(String(cString: strerror(errno)))",
                ])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
