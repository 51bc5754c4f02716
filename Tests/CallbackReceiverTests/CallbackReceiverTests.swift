import AsyncHTTPClient
@testable import CallbackReceiver
import Foundation
import NIOCore
import ProviderKit
import Testing

/// The receiver behind `run --listen`: real HTTP on loopback. It answers `success` to a
/// callback with the run's token, refuses a wrong token, an oversized body and a body that is
/// not JSON, and turns what it accepts into wake-ups naming the items (never trusting URLs).
@Suite("The callback receiver")
struct CallbackReceiverTests {
    final class Heard: @unchecked Sendable {
        private let lock = NSLock()
        private var wakeups: [Wakeup] = []
        func add(_ wakeup: Wakeup) { lock.withLock { wakeups.append(wakeup) } }
        var all: [Wakeup] { lock.withLock { wakeups } }
    }

    static func post(_ url: URL, _ body: String, http: HTTPClient) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test func theRunsTokenIsRequiredAndBodiesAreChecked() async throws {
        let receiver = CallbackReceiver(token: "0123456789abcdef0123456789abcdef", maxBodyBytes: 4096)
        let heard = Heard()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let song = #"{"songs": [{"item_id": "song_1", "status": "main_succeeded", "audio_url": "https://evil.example/x.mp3"}]}"#
        let answers: [(path: String, status: Int, body: String)]
        do {
            answers = try await receiver.withRunning(host: "127.0.0.1", port: 0, wake: { heard.add($0) }) { base in
                let good = receiver.callbackURL(publicBase: base)
                let wrong = base.appendingPathComponent("callbacks").appendingPathComponent("0123456789abcdef0123456789abcdee")
                let huge = #"{"songs": [{"item_id": ""# + String(repeating: "x", count: 5000) + #""}]}"#
                let calls: [(URL, String)] = [
                    // An Open API song callback: answered `success`, its item woken.
                    (good, song),
                    // MIDI, stems and several items at once.
                    (good, #"{"midis": [{"item_id": "midi_1"}], "stems": [{"item_id": "mss_2"}]}"#),
                    // A useapi callback names its job; anything else recognisable wakes everything.
                    (good, #"{"jobid": "user:1-tempolor:u-job:j", "status": "COMPLETED"}"#),
                    (good, #"{"event": "progress"}"#),
                    // Refused, and never heard: a wrong or missing token, a body too large, not JSON.
                    (wrong, song), (base.appendingPathComponent("callbacks"), song), (good, huge), (good, "success"), (good, "[1, 2]"),
                ]
                var answers: [(path: String, status: Int, body: String)] = []
                for (url, body) in calls {
                    let (status, text) = try await Self.post(url, body, http: http)
                    answers.append((url.path, status, text))
                }
                return answers
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        #expect(answers.first?.path == "/callbacks/0123456789abcdef0123456789abcdef")
        #expect(answers.first?.body == "success")
        #expect(answers.map(\.status) == [200, 200, 200, 200, 403, 404, 413, 400, 400])
        #expect(heard.all == [.items(["song_1"]), .items(["mss_2", "midi_1"]), .items(["user:1-tempolor:u-job:j"]), .all])
    }

    @Test func tokensAreFreshAndComparedWhole() {
        let a = CallbackReceiver(), b = CallbackReceiver()
        #expect(a.token != b.token)
        #expect(a.token.count == 32 && a.token.allSatisfy(\.isHexDigit))
        #expect(CallbackReceiver.sameSecret(a.token, a.token))
        #expect(!CallbackReceiver.sameSecret(String(a.token.dropLast()), a.token))
        #expect(!CallbackReceiver.sameSecret(a.token + "0", a.token))
        #expect(!CallbackReceiver.sameSecret("", a.token))
    }
}
