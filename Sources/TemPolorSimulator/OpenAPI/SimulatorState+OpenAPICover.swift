import Foundation

/// The Open API's cover: `song/generate` with `"action": "upload_cover"` re-sings the audio at
/// `upload_audio_url` as a new song, queried through `song/query` like any song.
extension SimulatorState {
    static let coverAction = "upload_cover"

    func createCover(_ request: SongGenerateRequest, prompt: String, model: String, callback: String) throws(BusinessError) -> [String] {
        guard request.instrumental != true else {
            throw BusinessError(.badParameter, "upload_cover makes songs only: \"instrumental\": true is not allowed")
        }
        let source = try sourceAudio(request.upload_audio_url, field: "upload_audio_url")
        guard configuration.coverModels.contains(model) else {
            if configuration.songModels.contains(model) || configuration.instrumentalModels[model] != nil {
                throw BusinessError(.unsupportedByModel, "model \(model) cannot make covers; use \(configuration.coverModels.joined(separator: ", "))")
            }
            throw BusinessError(.badParameter, "unknown model: \(model)")
        }
        try checkLyricsLength(request.lyrics)
        try openAPIScreen(prompt, request.lyrics)
        let written = request.lyrics?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        // Without lyrics the platform writes them, billed as a lyrics call on top.
        let price = configuration.prices.cover + (written.isEmpty ? configuration.prices.lyrics : 0)
        let lyrics = written.isEmpty ? TextGenerator.lyrics(for: prompt, seed: configuration.seed) : written
        // As long as the source when it is one of our own files, else as the lyrics make it.
        let duration = source.item?.duration ?? configuration.fixedDuration ?? TextGenerator.songDuration(lyrics: lyrics)
        return try openAPICreate(ItemDraft(
            kind: .song, model: model, prompt: prompt, lyrics: lyrics, sections: LyricsTiming.sections(for: lyrics, duration: duration),
            duration: duration, callbackURL: callback, cost: price, mainAfter: configuration.schedule.main, sourceURL: source.url,
            countedAs: "cover"
        ))
    }
}
