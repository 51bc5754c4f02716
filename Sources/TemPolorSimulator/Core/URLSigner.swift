import Crypto
import Foundation

/// Signs and checks the `/files/...` URLs results are served from. A signature covers the path,
/// the expiry and whether the URL is "single-auth" (`x-single-auth=1`): such a URL refuses any
/// request that also carries an `Authorization` header, the way a presigned S3 URL does.
struct URLSigner: Sendable {
    static let singleAuthParameter = "x-single-auth"
    private let key: SymmetricKey

    init(seed: UInt64) {
        key = SymmetricKey(data: SHA256.hash(data: Data("tempo-sim-\(seed)-\(UUID().uuidString)".utf8)))
    }

    /// `<base>/files/<id>/<name>?expires=<unix>[&x-single-auth=1]&signature=<hex>`.
    func url(base: String, itemID: String, file: String, expires: Int, singleAuth: Bool) -> String {
        let path = "/files/\(itemID)/\(file)"
        let marker = singleAuth ? "&\(Self.singleAuthParameter)=1" : ""
        return "\(base)\(path)?expires=\(expires)\(marker)&signature=\(signature(path: path, expires: expires, singleAuth: singleAuth))"
    }

    enum Check: Equatable { case valid, expired, invalid }

    func check(path: String, expires: String?, signature given: String?, singleAuth: Bool, now: Date) -> Check {
        guard let expires, let seconds = Int(expires), let given,
              given == signature(path: path, expires: seconds, singleAuth: singleAuth)
        else { return .invalid }
        return Double(seconds) < now.timeIntervalSince1970 ? .expired : .valid
    }

    private func signature(path: String, expires: Int, singleAuth: Bool) -> String {
        let text = "\(path)\n\(expires)" + (singleAuth ? "\nsingle-auth" : "")
        let code = HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)
        return code.map { String(format: "%02x", $0) }.joined()
    }
}
