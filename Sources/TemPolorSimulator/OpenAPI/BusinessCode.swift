/// The envelope's `status` codes of the TemPolor Open API.
public enum BusinessCode: Int, Sendable, Codable, CaseIterable {
    case success = 200000
    case internalError = 400001
    case authenticationFailed = 400002
    case badParameter = 400003
    case contentViolation = 400004
    case insufficientBalance = 400005
    case serverBusy = 400006
    case parallelLimit = 400007
    case itemNotFound = 400008
    case abnormalState = 400009
    case unsupportedByModel = 400010
    case cannotExtend = 400011

    var defaultMessage: String {
        switch self {
        case .success: "success"
        case .internalError: "internal error, please retry later"
        case .authenticationFailed: "API key verification failed"
        case .badParameter: "parameter error"
        case .contentViolation: "content violates the platform's rules"
        case .insufficientBalance: "insufficient balance"
        case .serverBusy: "server busy, please retry later"
        case .parallelLimit: "parallel task limit reached"
        case .itemNotFound: "item does not exist"
        case .abnormalState: "item is in an abnormal state"
        case .unsupportedByModel: "the model does not support this function"
        case .cannotExtend: "this work cannot be extended"
        }
    }
}

/// A business error answered inside the envelope with HTTP 200.
struct BusinessError: Error {
    let code: BusinessCode
    let message: String

    init(_ code: BusinessCode, _ message: String? = nil) {
        self.code = code
        self.message = message ?? code.defaultMessage
    }
}

extension BusinessError {
    /// The business code the Open API answers a refused admission with.
    init(_ refusal: AdmissionRefusal) {
        switch refusal {
        case .slotsFull(let limit): self.init(.parallelLimit, "parallel task limit of \(limit) reached")
        case .insufficientBalance(let left, let needed): self.init(.insufficientBalance, "insufficient balance: \(left) left, \(needed) needed")
        case .bannedWord(let word): self.init(.contentViolation, "content violation: '\(word)' is not allowed")
        }
    }
}
