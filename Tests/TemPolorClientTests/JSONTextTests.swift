import Foundation
import ProviderKit
@testable import TemPolorSimulator
import Testing

/// The JSON reader and writer every provider answer, stored result and `metadata.json` goes
/// through, checked against Foundation's `JSONDecoder` and `JSONSerialization`.
@Suite("JSON text")
struct JSONTextTests {
    static let valid = [
        "null", "true", "false", "0", "-0.5", "42", "1e3", "1E-2", "2.5e+4", "123456789012345678", "-9007199254740993",
        "3.141592653589793", "\"\"", "\"plain\"", #""a \"quoted\" \\ back\/slash""#, #""tab\tnew\nline\r\b\f""#,
        #""\u00e9t\u00E9 \ud83c\udfb5 caf\u00e9""#, "\"é 🎵 直接\"", "[]", "{}", " [ 1 , 2 ,3 ] ", "\n{\"a\"\t:\r\n1}\n",
        #"{"status":200000,"message":"success","data":{"songs":[{"item_id":"s-1","status":"succeeded","audio_url":"https://x/a.mp3","duration":123.45,"lyrics_sections":[{"start":0,"end":12.5,"text":"[verse]"}],"meta":null,"tags":["pop","lo-fi"],"flag":true}]}}"#,
        #"{"a":1,"a":2}"#, #"[[[[]]],{"":{}}]"#,
    ]

    @Test(arguments: valid)
    func readsWhatFoundationReads(_ text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(JSONValue.parse(text) == expected)
        #expect(JSONValue.parse(Data(text.utf8)) == expected)
    }

    static let invalid = [
        "", " ", "{", "}", "[1,]", #"{"a":1,}"#, "01", "-", "-x", "1.", ".5", "1e", "1e+", "+1", "\"\\x\"", "\"a\u{01}b\"",
        #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, #""\u12""#, "tru", "nul", "falsey", "[1] x", "{a:1}", "'a'", "NaN",
        "Infinity", "\"open", #"{"a" 1}"#, "[1 2]", "{\"a\":}", "[,]",
    ]

    @Test(arguments: invalid)
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(JSONValue.parse(text) == nil)
        #expect(JSONValue.parse(Data(text.utf8)) == nil)
    }

    @Test func nestingIsBoundedInsteadOfExhaustingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONValue.parse(deep) == nil)
        let fine = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(JSONValue.parse(fine) != nil)
        let over = String(repeating: "{\"a\":", count: 129) + "1" + String(repeating: "}", count: 129)
        #expect(JSONValue.parse(over) == nil)
    }

    @Test func writesCompactAndPrettyTextWithSortedKeys() {
        let value = JSONValue.object([
            "b": .number(1), "a": .string("x/y\n\"q\"\u{01}"), "c": .array([.number(0.5), .null, .bool(false), .object([:]), .array([])]),
            "d": .number(1e20), "e": .number(-3),
        ])
        #expect(value.jsonText == #"{"a":"x/y\n\"q\"\u0001","b":1,"c":[0.5,null,false,{},[]],"d":1e+20,"e":-3}"#)
        #expect(value.prettyText == """
            {
              "a" : "x/y\\n\\"q\\"\\u0001",
              "b" : 1,
              "c" : [
                0.5,
                null,
                false,
                {},
                []
              ],
              "d" : 1e+20,
              "e" : -3
            }
            """)
        #expect(JSONValue.array([.number(.nan), .number(.infinity)]).jsonText == "[null,null]")
    }

    /// Random values (a fixed seed) written and read back, in both forms; Foundation reads the
    /// same values from the text.
    @Test func whatIsWrittenReadsBackTheSame() throws {
        var random = ValueGenerator(random: SplitMix64(seed: 7))
        for _ in 0..<300 {
            let value = random.value(depth: 0)
            for text in [value.jsonText, value.prettyText] {
                #expect(JSONValue.parse(text) == value, "\(text)")
                #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value, "\(text)")
                _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            }
        }
    }
}

/// Seeded random JSON values (the simulator's SplitMix64).
private struct ValueGenerator {
    var random: SplitMix64

    mutating func next() -> UInt64 { random.next() }

    mutating func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &random) }

    static let pieces = ["a", "é", "🎵", "\"", "\\", "/", "\n", "\t", "\u{1F}", " ", "直", "x y", "\u{7F}", "\r\n"]

    mutating func string() -> String {
        (0..<below(6)).map { _ in Self.pieces[below(Self.pieces.count)] }.joined()
    }

    mutating func number() -> Double {
        switch below(5) {
        case 0: Double(Int64(bitPattern: next()) % 1_000_000)
        case 1: Double(below(1000)) / 8
        case 2: Double(bitPattern: next() & 0x3FEF_FFFF_FFFF_FFFF) * (below(2) == 0 ? 1 : -1)
        case 3: Double(below(100)) * 1e18
        default: 1 / Double(below(1000) + 1)
        }
    }

    mutating func value(depth: Int) -> JSONValue {
        switch depth > 3 ? below(4) : below(6) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .number(number())
        case 3: return .string(string())
        case 4: return .array((0..<below(4)).map { _ in value(depth: depth + 1) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<below(4) { fields[string()] = value(depth: depth + 1) }
            return .object(fields)
        }
    }
}
