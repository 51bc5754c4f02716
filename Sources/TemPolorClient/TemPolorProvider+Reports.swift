import ProviderKit

/// The Open API's statuses in the runner's terms (unknown values keep a task waiting instead
/// of failing it).
extension TemPolorProvider {
    static func report(_ item: AudioItem) -> ItemReport {
        let phase: ItemReport.Phase
        switch item.status {
        case "succeeded": phase = .succeeded
        case "part_failed": phase = .partFailed
        case "failed": phase = .failed("the provider reported the generation failed")
        default: phase = .working
        }
        var report = ItemReport(phase: phase, providerStatus: item.status, raw: item.raw)
        if let url = item.audioURL { report.urls[.mp3] = url; report.files.insert(.mp3) }
        if item.audioHiStatus == "sub_succeeded" || item.audioHiStatus == nil, let url = item.audioHiURL {
            report.urls[.wav] = url
            report.files.insert(.wav)
        }
        report.lyrics = item.lyrics
        report.sections = item.lyricsSections
        report.title = item.title
        report.duration = item.duration
        // A success without its mp3 cannot be filed: treat it as still working.
        if phase == .succeeded || phase == .partFailed, item.audioURL == nil { report.phase = .working }
        return report
    }

    static func report(_ item: LyricsItem) -> ItemReport {
        let phase: ItemReport.Phase
        switch item.status {
        case "succeeded": phase = item.text == nil ? .working : .succeeded
        case "failed": phase = .failed("the provider could not write the lyrics")
        default: phase = .working
        }
        var report = ItemReport(phase: phase, providerStatus: item.status, raw: item.raw)
        report.lyrics = item.text
        report.title = item.title
        return report
    }

    static func report(_ item: StemsItem) -> ItemReport {
        let phase: ItemReport.Phase
        switch item.status {
        case "succeeded": phase = item.stemsURL == nil ? .working : .succeeded
        case "failed": phase = .failed("the provider could not split the audio")
        default: phase = .working
        }
        var report = ItemReport(phase: phase, providerStatus: item.status, raw: item.raw)
        if let url = item.stemsURL { report.urls[.stems] = url; report.files.insert(.stems) }
        return report
    }

    static func report(_ item: MIDIItem) -> ItemReport {
        let phase: ItemReport.Phase
        switch item.status {
        case "succeeded": phase = item.midiURL == nil ? .working : .succeeded
        case "failed": phase = .failed("the provider could not transcribe the audio")
        default: phase = .working
        }
        var report = ItemReport(phase: phase, providerStatus: item.status, raw: item.raw)
        if let url = item.midiURL { report.urls[.midi] = url; report.files.insert(.midi) }
        return report
    }
}
