import Foundation

// Request bodies of the useapi create routes. Every field is optional so that a missing or
// out-of-range one becomes a precise 400 rather than a decoding failure.

/// `POST /music/song`.
struct UseAPISongRequest: Decodable, Sendable {
    var prompt: String?
    var lyrics: String?
    var model_song: String?
    var user_id: String?
    var replyUrl: String?
    var replyRef: String?
    var maxJobs: Int?
}

/// `POST /music/instrumental`.
struct UseAPIInstrumentalRequest: Decodable, Sendable {
    var prompt: String?
    var model_instrumental: String?
    var tonality: String?
    var bpm: Int?
    /// The docs spell it both ways; both are taken.
    var chords: String?
    var chord: String?
    var user_id: String?
    var replyUrl: String?
    var replyRef: String?
    var maxJobs: Int?
}

/// `{"jobs": [...]}`: what a create answers.
struct UseAPIJobsCreated: Encodable, Sendable { let jobs: [String] }

/// `{"url", "remainSeconds"}`: what the download route answers.
struct UseAPIDownloadWire: Encodable, Sendable {
    let url: String
    let remainSeconds: Int
}

/// One executing job in the scheduler listings. `elapsed` is `"mm:ss"` (minutes may pass 59);
/// `replyUrl` and `replyRef` are present only when the create gave them.
struct UseAPISchedulerEntry: Encodable, Sendable {
    let job_id: String
    let started: String
    let elapsed: String
    let replyUrl: String?
    let replyRef: String?
}

/// `GET /scheduler/available`.
struct UseAPIAvailability: Encodable, Sendable {
    struct Account: Encodable, Sendable {
        let user_id: String
        let maxJobs: Int
        let executing: Int
        let available: Int
    }

    let executing: [UseAPISchedulerEntry]
    let available: [Account]
}

/// One page of `GET /music`: newest first; `cursor` (opaque, empty on the last page) asks for
/// the next one.
struct UseAPIPage: Encodable, Sendable {
    let records: [UseAPIJobWire]
    let hasNext: Bool
    let cursor: String
}

/// `{}`: what `DELETE /scheduler/{job}` answers.
struct UseAPIEmpty: Encodable, Sendable {}

/// A callback body: the job as `GET /music/{job}` shows it, plus the caller's `replyRef`.
struct UseAPICallbackWire: Encodable, Sendable {
    let job: UseAPIJobWire
    let replyRef: String?

    private enum CodingKeys: String, CodingKey { case replyRef }

    func encode(to encoder: any Encoder) throws {
        try job.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(replyRef, forKey: .replyRef)
    }
}
