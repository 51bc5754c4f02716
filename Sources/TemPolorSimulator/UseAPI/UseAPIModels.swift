/// The models and musical keys the useapi routes accept. Each model is known by the name useapi
/// shows (`modelShowName`) and stands for an Open API model, whose price and length cap it uses.
enum UseAPIModels {
    struct Model: Sendable, Equatable {
        let name: String
        let openAPIName: String
        /// What `ltmMaterialExtendDto.model` shows.
        let internalName: String
    }

    static let songs = [
        Model(name: "v3", openAPIName: "TemPolor v3", internalName: "v1-dit-stereo-zh-en-240-wf"),
        Model(name: "v3.5", openAPIName: "TemPolor v3.5", internalName: "v1-dit-obleck-stereo-zh-en-270-wf"),
        Model(name: "v4.5+", openAPIName: "TemPolor v4.5", internalName: "v2-dit-stereo-multi-300-wf"),
        Model(name: "v4.8", openAPIName: "tempolor-latest", internalName: "v2-dit-stereo-multi-480-wf"),
    ]
    static let instrumentals = [
        Model(name: "i3", openAPIName: "TemPolor i3", internalName: "v1-inst-stereo-120-wf"),
        Model(name: "i3.5", openAPIName: "TemPolor i3.5", internalName: "v1-inst-stereo-270-wf"),
        Model(name: "i4", openAPIName: "TemPolor i4", internalName: "v2-inst-stereo-270-wf"),
    ]
    static let defaultSong = "v4.8"
    static let defaultInstrumental = "i3.5"
    /// Old names the service silently routes to current ones.
    static let aliases = ["v4": "v4.5+", "v4.5": "v4.5+", "v4.6": "v4.8", "i3.0": "i3", "i4.0": "i4"]

    static func song(_ name: String?) -> Model? { find(name ?? defaultSong, in: songs) }

    static func instrumental(_ name: String?) -> Model? { find(name ?? defaultInstrumental, in: instrumentals) }

    private static func find(_ name: String, in models: [Model]) -> Model? {
        let resolved = aliases[name] ?? name
        return models.first { $0.name == resolved }
    }

    /// The 24 `tonality` values: twelve roots, major and minor (`C:major`, `A:minor`, `F#:minor`).
    static let tonalities: [String] = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
        .flatMap { ["\($0):major", "\($0):minor"] }

    /// Deterministic key and tempo for work that did not ask for any.
    static func derivedMusic(prompt: String, seed: UInt64) -> MusicAttributes {
        var random = SplitMix64(seed: seed ^ SplitMix64.hash("music:" + prompt))
        let key = tonalities[Int(random.next() % UInt64(tonalities.count))]
        return MusicAttributes(key: key, bpm: 70 + Int(random.next() % 80), chords: "")
    }
}
