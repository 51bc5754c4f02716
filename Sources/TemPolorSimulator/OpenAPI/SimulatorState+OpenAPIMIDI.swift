import Foundation

/// The Open API's MIDI transcription: `POST midi` with an audio URL makes one item that turns,
/// like stems, from running to succeeded (or failed), then serves a zip of MIDI files and the
/// zip of stems.
extension SimulatorState {
    func createMIDI(_ request: StemsRequest) throws(BusinessError) -> [String] {
        let callback = try requireCallback(request.callback_url)
        let source = try sourceAudio(request.url, field: "url")
        return try openAPICreate(ItemDraft(
            kind: .midi, model: "", prompt: StemsArchive.safeName(source.name), duration: source.item?.duration ?? configuration.fixedDuration ?? 60,
            callbackURL: callback, cost: configuration.prices.midi, mainAfter: configuration.schedule.midi, sourceURL: source.url, countedAs: "midi"
        ))
    }
}
