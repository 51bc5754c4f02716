public import Foundation

/// JSON text to ``JSONValue`` and back, directly over UTF-8 bytes.
///
/// Every provider answer, every stored result and every `metadata.json` passes through here, so
/// it is written for the runner's hot path: `JSONDecoder` can only decode an unknown value by
/// trying each type in turn (a thrown error per wrong guess), and `JSONEncoder` goes through
/// `Encodable`. The grammar is RFC 8259's: no comments, no trailing commas, no leading zeros,
/// no raw control characters in strings, surrogate pairs joined and lone surrogates refused;
/// a key given twice keeps its first value.
enum JSONText {
    /// Nesting deeper than this is refused instead of recursing further (a hostile body cannot
    /// exhaust the stack of whichever thread reads it). Provider answers and `metadata.json`
    /// nest a few levels.
    static let depthLimit = 128

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.index == bytes.count ? value : nil
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        var atEnd: Bool { index >= bytes.count }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) -> JSONValue? {
            guard !atEnd, depth < JSONText.depthLimit else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string().map(JSONValue.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number().map(JSONValue.number)
            default: return nil
            }
        }

        mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return nil }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
            index += count
            return value
        }

        mutating func object(depth: Int) -> JSONValue? {
            var fields: [String: JSONValue] = [:]
            let closed = list(closingWith: UInt8(ascii: "}")) { parser in
                guard !parser.atEnd, parser.bytes[parser.index] == UInt8(ascii: "\""), let key = parser.string() else { return false }
                parser.skipWhitespace()
                guard !parser.atEnd, parser.bytes[parser.index] == UInt8(ascii: ":") else { return false }
                parser.index += 1
                parser.skipWhitespace()
                guard let member = parser.value(depth: depth + 1) else { return false }
                // A repeated key keeps its first value, as Foundation's reader does.
                if fields[key] == nil { fields[key] = member }
                return true
            }
            return closed ? .object(fields) : nil
        }

        mutating func array(depth: Int) -> JSONValue? {
            var elements: [JSONValue] = []
            let closed = list(closingWith: UInt8(ascii: "]")) { parser in
                guard let element = parser.value(depth: depth + 1) else { return false }
                elements.append(element)
                return true
            }
            return closed ? .array(elements) : nil
        }

        /// A container's members from its opening bracket to `close`, separated by commas, each
        /// read by `member`; false when the text is not such a list.
        mutating func list(closingWith close: UInt8, _ member: (inout Parser) -> Bool) -> Bool {
            index += 1
            skipWhitespace()
            if !atEnd, bytes[index] == close {
                index += 1
                return true
            }
            while true {
                skipWhitespace()
                guard member(&self) else { return false }
                skipWhitespace()
                guard !atEnd else { return false }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case close:
                    index += 1
                    return true
                default: return false
                }
            }
        }

        /// A string starting at the opening quote. Runs without escapes are copied whole.
        mutating func string() -> String? {
            index += 1
            let start = index
            // The common case: no escape before the closing quote.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            var utf8 = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = unicodeEscape() else { return nil }
                        utf8.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                default:
                    guard byte >= 0x20 else { return nil }
                    utf8.append(byte)
                    index += 1
                }
            }
            return nil
        }

        /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair.
        mutating func unicodeEscape() -> Unicode.Scalar? {
            guard let first = hex4() else { return nil }
            switch first {
            case 0xD800...0xDBFF:
                guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                index += 2
                guard let second = hex4(), (0xDC00...0xDFFF).contains(second) else { return nil }
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            case 0xDC00...0xDFFF: return nil
            default: return Unicode.Scalar(first)
            }
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - index >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
        mutating func number() -> Double? {
            let start = index
            var integer: Int64 = 0
            var digits = 0
            var simple = true
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard !atEnd else { return nil }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if !atEnd, isDigit(bytes[index]) { return nil }
            } else {
                guard isDigit(bytes[index]) else { return nil }
                while !atEnd, isDigit(bytes[index]) {
                    integer = integer &* 10 &+ Int64(bytes[index] - UInt8(ascii: "0"))
                    digits += 1
                    index += 1
                }
            }
            if !atEnd, bytes[index] == UInt8(ascii: ".") {
                simple = false
                index += 1
                guard !atEnd, isDigit(bytes[index]) else { return nil }
                while !atEnd, isDigit(bytes[index]) { index += 1 }
            }
            if !atEnd, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                simple = false
                index += 1
                if !atEnd, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard !atEnd, isDigit(bytes[index]) else { return nil }
                while !atEnd, isDigit(bytes[index]) { index += 1 }
            }
            // Up to 15 digits an Int64 holds exactly and a Double too.
            if simple, digits <= 15 {
                return Double(bytes[start] == UInt8(ascii: "-") ? -integer : integer)
            }
            return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    }

    // MARK: Writing

    /// Appends the value's JSON text: keys sorted, slashes not escaped; `indent` nil for the
    /// compact form, else the pretty form nested that deep (two spaces a level, `"key" : value`).
    static func write(_ value: JSONValue, into out: inout [UInt8], indent: Int?) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): writeNumber(number, into: &out)
        case .string(let text): writeString(text, into: &out)
        case .array(let elements):
            guard !elements.isEmpty else { return out.append(contentsOf: "[]".utf8) }
            out.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                newline(into: &out, indent: indent.map { $0 + 1 })
                write(element, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(into: &out, indent: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            guard !fields.isEmpty else { return out.append(contentsOf: "{}".utf8) }
            out.append(UInt8(ascii: "{"))
            for (offset, key) in fields.keys.sorted().enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                newline(into: &out, indent: indent.map { $0 + 1 })
                writeString(key, into: &out)
                out.append(contentsOf: indent == nil ? ":".utf8 : " : ".utf8)
                write(fields[key] ?? .null, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(into: &out, indent: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(into out: inout [UInt8], indent: Int?) {
        guard let indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    /// Whole numbers (below 10^15) without a fraction, others in Swift's shortest form that
    /// reads back to the same Double; JSON has no NaN or infinity, so those are `null`.
    private static func writeNumber(_ number: Double, into out: inout [UInt8]) {
        if !number.isFinite {
            out.append(contentsOf: "null".utf8)
        } else if let whole = JSONValue.wholeNumber(number) {
            out.append(contentsOf: String(whole).utf8)
        } else {
            out.append(contentsOf: number.description.utf8)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// The value of a JSON text, or nil when it is not one.
    public static func parse(_ text: String) -> JSONValue? {
        var text = text
        return text.withUTF8 { JSONText.parse($0) }
    }

    /// The value of JSON bytes, or nil when they are not one.
    public static func parse(_ data: Data) -> JSONValue? {
        data.withUnsafeBytes { raw in JSONText.parse(raw.bindMemory(to: UInt8.self)) }
    }

    /// Compact JSON text with sorted keys.
    public var jsonText: String {
        var out: [UInt8] = []
        JSONText.write(self, into: &out, indent: nil)
        return String(decoding: out, as: UTF8.self)
    }

    /// Indented JSON text with sorted keys (two spaces a level), for files people read.
    public var prettyText: String {
        var out: [UInt8] = []
        JSONText.write(self, into: &out, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }
}
