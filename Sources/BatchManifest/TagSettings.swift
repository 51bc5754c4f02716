/// `tags:`: what goes into the audio files' artist, album and genre tags. Each is a template
/// with `output.path`'s fields (`{manifest}`, `{job}`, `{variant}`, `{combo}`, matrix keys).
/// Unset, the artist is the model, the album the manifest's name, and the genre the chain's
/// `genre` or `style` matrix value.
public struct TagSettings: Sendable {
    public var artist: TagTemplate?
    public var album: TagTemplate?
    public var genre: TagTemplate?

    public init(artist: TagTemplate? = nil, album: TagTemplate? = nil, genre: TagTemplate? = nil) {
        self.artist = artist
        self.album = album
        self.genre = genre
    }

    /// The matrix keys whose value is the genre when `tags.genre` is not written, in order.
    public static let genreKeys = ["genre", "style"]
}

/// One `tags:` template.
public struct TagTemplate: Sendable {
    public let text: String
    let template: Template

    public init(parsing text: String) throws(Template.ParseError) {
        self.text = text
        template = try Template(parsing: text)
    }

    /// The text for one chain. A field that renders empty takes one neighbouring separator with
    /// it (as in `output.path`); surrounding whitespace is trimmed. Nil when nothing is left.
    public func render(manifest: String, job: String, variant: Int?, combination: [(key: String, value: String)]) -> String? {
        let hole: Character = "\u{1}"
        let raw = template.render { field in
            let value = OutputPathTemplate.value(of: field, manifest: manifest, job: job, variant: variant, combination: combination)
            return (value?.isEmpty ?? true) ? String(hole) : value
        }
        let text = OutputPathTemplate.collapse(Array(raw), hole: hole).trimmingWhitespace
        return text.isEmpty ? nil : text
    }
}
