import Foundation

/// How the Open API shows items: query answers and callback bodies, with freshly signed URLs.
extension SimulatorState {
    /// Songs and instrumentals as query answers and callbacks show them, with freshly signed URLs.
    /// `shape` is the family of the route asking: `.song` shows every lyrics field (empty for an
    /// instrumental), `.instrumental` none; nil: the item's own kind.
    func presentAudio(_ items: [SimulatedItem], base: String, event: String? = nil, as shape: ItemKind? = nil) -> [AudioItemWire] {
        let now = clock.now()
        return items.map { item in
            let snapshot = item.snapshot(at: now)
            let isSong = (shape ?? item.kind) == .song
            return AudioItemWire(
                item_id: item.id, status: snapshot.status.rawValue, audio_hi_status: snapshot.audioHi.rawValue,
                lyrics_sections_status: isSong ? snapshot.sections.rawValue : nil, event: event, model: item.model,
                title: item.title, style: item.style, prompt: item.prompt,
                duration: snapshot.mainReady ? item.duration : 0,
                created_at: Int(item.createdAt.timeIntervalSince1970),
                finished_at: snapshot.finishedAt.map { Int($0.timeIntervalSince1970) } ?? 0,
                audio_url: snapshot.mainReady ? signedURL(base: base, itemID: item.id, file: "audio.mp3") : "",
                audio_hi_url: snapshot.audioHi == .subSucceeded ? signedURL(base: base, itemID: item.id, file: "audio.wav") : "",
                lyrics_sections: isSong ? (snapshot.sections == .subSucceeded ? item.sections.map { SectionWire(start: $0.start, end: $0.end, text: $0.text) } : []) : nil,
                lyrics: isSong ? (snapshot.mainReady ? item.lyrics : "") : nil
            )
        }
    }

    func presentLyrics(_ items: [SimulatedItem]) -> [LyricsItemWire] {
        let now = clock.now()
        return items.map { item in
            let status = item.snapshot(at: now).status
            return LyricsItemWire(item_id: item.id, status: status.rawValue, title: status == .succeeded ? item.title : "",
                                  lyric: status == .succeeded ? item.lyrics : "")
        }
    }

    func presentStems(_ items: [SimulatedItem], base: String) -> [StemsItemWire] {
        let now = clock.now()
        return items.map { item in
            let status = item.snapshot(at: now).status
            return StemsItemWire(item_id: item.id, status: status.rawValue,
                                 stems_url: status == .succeeded ? signedURL(base: base, itemID: item.id, file: "stems.zip") : "")
        }
    }

    func presentMIDI(_ items: [SimulatedItem], base: String) -> [MIDIItemWire] {
        let now = clock.now()
        return items.map { item in
            let status = item.snapshot(at: now).status
            let done = status == .succeeded
            return MIDIItemWire(item_id: item.id, status: status.rawValue,
                                midi_url: done ? signedURL(base: base, itemID: item.id, file: "midi.zip") : "",
                                stems_url: done ? signedURL(base: base, itemID: item.id, file: "stems.zip") : "")
        }
    }

    /// The callback body for one event: `{"songs": [...]}`, `{"instrumentals": [...]}`, …; an
    /// instrumental made through `song/generate` is called back as a song.
    func callbackBody(for callback: DueCallback, base: String) throws -> Data {
        let encoder = JSONEncoder()
        let item = callback.item
        switch item.kind {
        case .song: return try encoder.encode(SongsPayload(songs: presentAudio([item], base: base, event: callback.event)))
        case .instrumental where item.createdAs == .song:
            return try encoder.encode(SongsPayload(songs: presentAudio([item], base: base, event: callback.event, as: .song)))
        case .instrumental: return try encoder.encode(InstrumentalsPayload(instrumentals: presentAudio([item], base: base, event: callback.event)))
        case .lyrics: return try encoder.encode(LyricsPayload(lyrics: presentLyrics([item])))
        case .stems: return try encoder.encode(StemsPayload(stems: presentStems([item], base: base)))
        case .midi: return try encoder.encode(MIDIsPayload(midis: presentMIDI([item], base: base)))
        }
    }
}

extension CallbackFormat {
    /// Open API callbacks: one event per stage (`audio_complete`, `wav_complete`,
    /// `lrcsections_complete`; `complete` for lyrics, stems and MIDI; `failed`), the query's item
    /// shape, delivered when the receiver answers HTTP 200 with the body `success`.
    static let openAPI = CallbackFormat(
        events: { item, now in openAPIEvents(of: item, at: now) },
        body: { state, callback, base in try await state.callbackBody(for: callback, base: base) },
        accepts: { status, body in status == 200 && body.trimmingCharacters(in: .whitespacesAndNewlines) == "success" }
    )

    /// Callback events that have happened by `now`, in the order the platform sends them.
    static func openAPIEvents(of item: SimulatedItem, at now: Date) -> [String] {
        let snapshot = item.snapshot(at: now)
        switch item.kind {
        case .lyrics, .stems, .midi:
            return snapshot.isFinal ? ["complete"] : []
        case .song, .instrumental:
            guard snapshot.mainReady else { return snapshot.status == .failed ? ["failed"] : [] }
            var events = ["audio_complete"]
            if snapshot.audioHi != .running && snapshot.audioHi != .waiting { events.append("wav_complete") }
            if item.kind == .song, snapshot.sections != .running && snapshot.sections != .waiting { events.append("lrcsections_complete") }
            return events
        }
    }
}
