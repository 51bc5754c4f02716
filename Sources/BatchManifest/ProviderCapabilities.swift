/// What one provider can do, declared by the provider's own module and enforced by `validate`
/// and `plan` (with `--provider` overrides too), so that nothing a provider cannot do is paid
/// for first and refused later.
public struct ProviderCapabilities: Sendable {
    /// How a chain's `stems: true` is served.
    public enum ChainStems: Sendable, Equatable {
        /// A separate create call on the chain's last audio URL (TemPolor).
        case create
        /// A download format of the chain's own generation (useapi `file_format=stems`).
        case download
        case unsupported
    }

    public var name: String
    public var extend: Bool
    public var lyricsGeneration: Bool
    public var instrumental: Bool
    public var chainStems: ChainStems
    /// Stems of an outside URL (`stems: { url: … }`).
    public var stemsOfURL: Bool
    public var voiceID: Bool
    /// An instrumental's `tonality`, `bpm` and `chords` as fields.
    public var instrumentalParameters: Bool
    /// `cover:` (reference-based generation) and `midi: true` (transcription).
    public var cover = false
    public var midi = false
    /// Speaks TemPolor's Open API, whose `api.region: cn` site has no extend endpoint.
    public var regions = false
    /// Model names known to work; others are warnings and are sent as written.
    public var songModels: [String]
    public var instrumentalModels: [String]

    public init(
        name: String, extend: Bool, lyricsGeneration: Bool, instrumental: Bool, chainStems: ChainStems, stemsOfURL: Bool,
        voiceID: Bool, instrumentalParameters: Bool, songModels: [String], instrumentalModels: [String]
    ) {
        self.name = name
        self.extend = extend
        self.lyricsGeneration = lyricsGeneration
        self.instrumental = instrumental
        self.chainStems = chainStems
        self.stemsOfURL = stemsOfURL
        self.voiceID = voiceID
        self.instrumentalParameters = instrumentalParameters
        self.songModels = songModels
        self.instrumentalModels = instrumentalModels
    }
}

/// The capabilities of every provider a manifest may name. Built where the providers are
/// wired together (the command layer); the manifest library itself knows no provider.
public struct ProviderCatalogue: Sendable {
    public var entries: [Provider: ProviderCapabilities]

    public init(_ entries: [Provider: ProviderCapabilities]) { self.entries = entries }

    /// No provider checks: for tests of the manifest language alone.
    public static let unchecked = ProviderCatalogue([:])

    public subscript(provider: Provider) -> ProviderCapabilities? { entries[provider] }
}

/// Checks a converted manifest against the capabilities of the provider it will run on.
enum CapabilityCheck {
    static func diagnostics(_ manifest: Manifest, capabilities: ProviderCapabilities) -> [Diagnostic] {
        var found: [Diagnostic] = []
        func error(_ message: String, _ at: SourceLocation) { found.append(Diagnostic(.error, at: at, message)) }
        let provider = capabilities.name
        for job in manifest.jobs {
            let at = job.locations
            if !job.extend.isEmpty && !capabilities.extend {
                error("job '\(job.name)' extends, but provider \(provider) has no extend route", at.extend ?? job.location)
            } else if !job.extend.isEmpty && capabilities.regions && manifest.api.region == .cn {
                error("job '\(job.name)' extends, but api.region cn (api.tianpuyue.cn) has no extend endpoint; remove the extend or use region global", at.extend ?? job.location)
            }
            if job.cover != nil && !capabilities.cover {
                error("job '\(job.name)' makes a cover, but provider \(provider) has no cover route", at.cover ?? job.location)
            }
            if job.midi && !capabilities.midi {
                error("job '\(job.name)' asks for MIDI, but provider \(provider) has no MIDI route", at.midi ?? job.location)
            }
            if job.lyrics != nil && !capabilities.lyricsGeneration {
                error("job '\(job.name)' generates lyrics, but provider \(provider) has no lyrics route; write song.lyrics instead", at.lyrics ?? job.location)
            }
            switch job.stems {
            case .url?:
                if !capabilities.stemsOfURL {
                    error("job '\(job.name)' splits an existing file, but provider \(provider) only splits its own generations", at.stems ?? job.location)
                }
            case .chain?:
                if capabilities.chainStems == .unsupported {
                    error("job '\(job.name)' splits its audio into stems, but provider \(provider) cannot", at.stems ?? job.location)
                }
            case nil:
                break
            }
            switch job.main {
            case .song(let song)?:
                if song.voiceID != nil && !capabilities.voiceID {
                    error("job '\(job.name)' names a voice_id, but provider \(provider) does not take one", at.voiceID ?? job.location)
                }
                warnModel(song.model, kind: "song", known: capabilities.songModels, provider: provider, at: at.model ?? job.location, into: &found)
            case .instrumental(let instrumental)?:
                if !capabilities.instrumental {
                    error("job '\(job.name)' makes an instrumental, but provider \(provider) cannot", at.main ?? job.location)
                }
                if instrumental.hasParameters && !capabilities.instrumentalParameters {
                    error("job '\(job.name)' gives instrumental.tonality/bpm/chords, but provider \(provider) takes them only in the prompt; write them there", at.parameters ?? job.location)
                }
                warnModel(instrumental.model, kind: "instrumental", known: capabilities.instrumentalModels, provider: provider,
                          at: at.model ?? job.location, into: &found)
            case nil:
                break
            }
        }
        return found
    }

    private static func warnModel(_ model: String, kind: String, known: [String], provider: String, at: SourceLocation, into found: inout [Diagnostic]) {
        guard !known.isEmpty, !known.contains(model) else { return }
        found.append(Diagnostic(.warning, at: at,
            "\(kind) model '\(model)' is not in the known catalogue of provider \(provider) (\(known.joined(separator: ", "))); it is sent as written\(Suggestion.hint(for: model, in: known))"))
    }
}
