/// A fault the simulator can inject into an API call.
public enum CallFault: String, Sendable, Codable, CaseIterable {
    /// Business codes answered before anything is processed.
    case internalError = "400001"
    case serverBusy = "400006"
    case parallelLimit = "400007"
    /// HTTP errors answered before anything is processed (429 carries `Retry-After`).
    case http500 = "http_500"
    case http502 = "http_502"
    case http429 = "http_429"
    /// The connection closes before the request is processed: nothing happened.
    case dropBefore = "drop_before"
    /// Create calls only: the task is created and billed, then the connection closes before
    /// the answer is sent.
    case lostAnswer = "lost_answer"
    /// The answer comes late (``FaultProfile/slowDelayMilliseconds``), but comes.
    case slow
    /// HTTP statuses of the useapi.net platform, answered before anything is processed (a flat
    /// JSON error on useapi routes, a plain body on Open API routes). Never in ``FaultProfile/flaky``.
    case http400 = "http_400"
    case http401 = "http_401"
    /// useapi.net subscription required.
    case http402 = "http_402"
    /// The upstream account is out of credits.
    case http412 = "http_412"
    /// The prompt was moderated.
    case http422 = "http_422"
    /// The upstream session is broken: re-link the account; retrying will not help.
    case http596 = "http_596"
}

/// A fault the simulator can inject into a file download.
public enum DownloadFault: String, Sendable, Codable, CaseIterable {
    /// `Content-Length` announces the whole file, but the connection closes halfway.
    case truncated
    case slow
}

/// How a created task ends, when fault injection picks a bad end.
public enum OutcomeFault: String, Sendable, Codable, CaseIterable {
    case partFailed = "part_failed"
    case failed
}
