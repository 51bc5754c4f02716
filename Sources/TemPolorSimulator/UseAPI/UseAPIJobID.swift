import Foundation

/// A useapi job id, `user:<n>-tempolor:<user_id>-job:<itemId>`, as it must appear raw in a path.
struct UseAPIJobID: Equatable, Sendable {
    /// The useapi user number of the token.
    let user: String
    /// The linked TemPolor account's `user_id`.
    let account: String
    let itemID: String

    init(user: String, account: String, itemID: String) {
        self.user = user
        self.account = account
        self.itemID = itemID
    }

    var text: String { "user:\(user)-tempolor:\(account)-job:\(itemID)" }

    /// Parses the last segment of a raw request path. A percent-encoded colon (`%3A`, any case)
    /// means the client encoded the id, which the real service refuses: nil, like any other
    /// malformed id.
    init?(rawSegment: String) {
        guard !rawSegment.lowercased().contains("%3a"), let text = rawSegment.removingPercentEncoding,
              text.hasPrefix("user:"),
              let tempolor = text.range(of: "-tempolor:"), let job = text.range(of: "-job:", range: tempolor.upperBound..<text.endIndex)
        else { return nil }
        let user = String(text[text.index(text.startIndex, offsetBy: 5)..<tempolor.lowerBound])
        let account = String(text[tempolor.upperBound..<job.lowerBound])
        let itemID = String(text[job.upperBound...])
        let idCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_"))
        guard !user.isEmpty, user.allSatisfy(\.isNumber), !account.isEmpty, !account.contains(":"),
              !itemID.isEmpty, itemID.unicodeScalars.allSatisfy({ idCharacters.contains($0) })
        else { return nil }
        self.init(user: user, account: account, itemID: itemID)
    }

    /// The `<n>` of a token shaped `user:<n>-…` (1 when the token has another shape).
    static func user(ofToken token: String) -> String {
        guard token.hasPrefix("user:") else { return "1" }
        let digits = token.dropFirst(5).prefix(while: \.isNumber)
        return digits.isEmpty ? "1" : String(digits)
    }
}
