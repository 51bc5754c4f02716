public import ProviderKit

/// A job as `GET /music/{job_id}` (and the generations listing) answers it. Every field is
/// optional; unknown ones are kept in `raw`.
public struct UseAPIJob: Sendable {
    public var jobID: String?
    /// 0 GENERATING, 10 FAILED, 30 COMPLETED, or something newer.
    public var status: Int?
    public var statusName: String?
    public var progress: Double?
    public var title: String?
    public var wavAvailable: Bool
    public var prompt: String?
    public var lyrics: String?
    public var modelName: String?
    public var duration: Double?
    /// `musicMaterial.bpm` and `.key` (e.g. 120, "A:minor"), when stated.
    public var bpm: Int?
    public var key: String?
    /// Unix seconds.
    public var createdAt: Double?
    public var raw: JSONValue

    public init(_ raw: JSONValue) {
        self.raw = raw
        jobID = raw["job_id"]?.string
        status = raw["status"]?.double.map(Int.init)
        statusName = raw["status_name"]?.string
        progress = raw["progress"]?.double
        title = raw["titleEn"]?.string ?? raw["title"]?.string
        wavAvailable = !(raw["wavOssId"]?.string ?? "").isEmpty
        let extended = raw["ltmMaterialExtendDto"]
        prompt = extended?["prompt"]?.string ?? extended?["description"]?.string
        lyrics = extended?["lyricsPrompt"]?.string
        modelName = extended?["modelShowName"]?.string
        duration = raw["musicMaterial"]?["dur"]?.double
        bpm = raw["musicMaterial"]?["bpm"]?.double.flatMap { $0 > 0 ? Int($0) : nil }
        key = raw["musicMaterial"]?["key"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        createdAt = raw["createTime"]?.double.map { $0 / 1000 }
    }

    public static let generating = 0
    public static let failed = 10
    public static let completed = 30
}

/// One executing job as `GET /scheduler` lists it.
public struct SchedulerEntry: Sendable, Equatable {
    public var jobID: String
    public var replyRef: String?

    init(_ raw: JSONValue) {
        jobID = raw["job_id"]?.string ?? ""
        replyRef = raw["replyRef"]?.string
    }
}
