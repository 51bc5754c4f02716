import Foundation

/// Generated download bodies, made once per item and file.
actor FileCache {
    private var files: [String: Data] = [:]
    private let wavSampleRate: Int

    init(wavSampleRate: Int) { self.wavSampleRate = wavSampleRate }

    func data(for item: SimulatedItem, file: String) throws -> Data? {
        let key = "\(item.id)/\(file)"
        if let cached = files[key] { return cached }
        let data: Data
        switch file {
        case "audio.mp3": data = AudioFiles.mp3(seconds: item.duration)
        case "audio.wav": data = AudioFiles.wav(seconds: item.duration, sampleRate: wavSampleRate)
        case "stems.zip": data = try StemsArchive.zip(name: StemsArchive.safeName(item.title), seconds: item.duration)
        case "midi.zip" where item.kind == .midi:
            data = try MIDIArchive.zip(name: StemsArchive.safeName(item.title), seconds: item.duration, seed: SplitMix64.hash(item.id))
        default: return nil
        }
        files[key] = data
        return data
    }
}
