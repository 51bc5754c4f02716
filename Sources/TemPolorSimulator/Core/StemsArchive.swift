import Foundation
import ZIPFoundation

/// The zip that `stems_url` serves: the original plus vocals, bass, drums and other, as FLAC,
/// named `<name>_<stem>.flac` the way the real service names them.
enum StemsArchive {
    static let stems = ["original", "vocals", "bass", "drums", "other"]

    static func zip(name: String, seconds: Int) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
        let flac = AudioFiles.flac(seconds: seconds)
        for stem in stems {
            try archive.addEntry(
                with: "\(name)_\(stem).flac", type: .file, uncompressedSize: Int64(flac.count),
                compressionMethod: .deflate
            ) { position, size in
                flac.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return data
    }

    /// A file-name-safe stem for the archive's members.
    static func safeName(_ text: String) -> String {
        let allowed = text.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_")
                ? Character(scalar) : "_"
        }
        let name = String(allowed).trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        return name.isEmpty ? "track" : String(name.prefix(60))
    }
}
