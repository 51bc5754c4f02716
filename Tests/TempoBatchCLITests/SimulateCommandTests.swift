import Foundation
import Testing
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("tempo-batch simulate", .timeLimit(.minutes(2)))
struct SimulateCommandTests {
    /// Reads lines from a pipe as they arrive.
    final class LineReader: @unchecked Sendable {
        private let lock = NSLock()
        private var buffer = ""
        private var ended = false

        init(_ handle: FileHandle?) {
            handle?.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                // At end of file the handler would be called again and again; it is removed, so
                // nothing reads the descriptor once its owner closes it.
                if data.isEmpty { handle.readabilityHandler = nil }
                guard let self else { return }
                lock.withLock {
                    if data.isEmpty { ended = true } else { buffer += String(decoding: data, as: UTF8.self) }
                }
            }
        }

        var text: String { lock.withLock { buffer } }

        /// Everything, once the writer closed its end (the process exited and its output is read).
        func all(timeout: Duration = .seconds(20)) async throws -> String {
            let deadline = ContinuousClock.now + timeout
            while !lock.withLock({ ended }) {
                guard ContinuousClock.now < deadline else { throw CocoaError(.fileReadUnknown) }
                try await Task.sleep(for: .milliseconds(10))
            }
            return text
        }

        func waitFor(_ needle: String, timeout: Duration = .seconds(60)) async throws -> String {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if text.contains(needle) { return text }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw CocoaError(.fileReadUnknown, userInfo: [NSDebugDescriptionErrorKey: "never printed \(needle); got \(text)"])
        }
    }

    @Test func servesTheAPILogsOneLinePerRequestAndStopsOnSIGINT() async throws {
        let process = try ChildProcess.start(
            BinaryRunner.productsFolder.appendingPathComponent("tempo-batch"),
            ["simulate", "--port", "0", "--time-scale", "0.01", "--api-key", "Tempo-cli-secret-key", "--seed", "9"],
            environment: BinaryRunner.environment()
        )
        let reader = LineReader(process.output)
        defer { process.send(SIGKILL) }

        let banner = try await reader.waitFor("listening on ")
        let address = banner.split(separator: "\n").first { $0.contains("listening on") }?
            .split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") }
        let base = try #require(address.map(String.init))

        var request = URLRequest(url: try #require(URL(string: base + "/open-apis/v1/account/billing")))
        request.httpMethod = "POST"
        request.setValue("Tempo-cli-secret-key", forHTTPHeaderField: "Authorization")
        request.httpBody = Data("{}".utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        let answer = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(answer?["status"] as? Int == 200000)

        let log = try await reader.waitFor("POST /open-apis/v1/account/billing status=200000")
        #expect(!log.contains("Tempo-cli-secret-key"))

        process.interrupt()
        try await process.exit(within: .seconds(30))
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test func helpExplainsTheOptions() throws {
        let result = try BinaryRunner.run(["simulate", "--help"])
        #expect(result.status == 0)
        for option in ["--port", "--time-scale", "--seed", "--api-key", "--faults", "flaky"] {
            #expect(result.stdout.contains(option))
        }
    }

    @Test func anUnreadableFaultProfileIsAUsageError() throws {
        let result = try BinaryRunner.run(["simulate", "--port", "0", "--faults", "/nonexistent/profile.json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("fault profile"))
    }
}
