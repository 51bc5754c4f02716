import Foundation

/// Each job: 5 styles × 5 moods × 2 variants = 50 chains of song → extend → extend → stems.
func generateManifest(tasks: Int) -> String {
    let perJob = 5 * 5 * 2 * 4
    let jobs = max(1, tasks / perJob)
    // Past the default limit of 10,000 tasks a manifest says how many it may make.
    let limits = jobs * perJob > 10_000 ? "limits: { max_tasks: \(jobs * perJob) }\n" : ""
    var text = """
    version: 1
    name: bench
    concurrency: { tasks: 8, downloads: 8 }
    \(limits)output: { root: bench-output, path: "{manifest}/{job}/{style}-{mood}-v{variant}" }
    jobs:

    """
    for job in 0..<jobs {
        text += """
          - name: job-\(job)
            song:
              prompt: "Track \(job) in {style} style with a {mood} mood"
              lyrics: |
                [verse]
                Line one of job \(job), {mood} and bright
                [chorus]
                Sing it out in {style} tonight
            matrix:
              style: [Pop, Jazz, Lo-fi, Rock, Soul]
              mood: [happy, calm, dark, dreamy, wild]
            variants: 2
            extend:
              - { start_time: 60, lyrics: "[bridge]\\nA turn for {style}" }
              - { start_time: 120 }
            stems: true

        """
    }
    return text
}

/// This process's resource usage so far.
func resourceUsage() -> rusage {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return usage
}

/// This process's CPU so far, in user space and in the kernel, in seconds.
func cpuSplit() -> (user: Double, system: Double) {
    let usage = resourceUsage()
    func value(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return (value(usage.ru_utime), value(usage.ru_stime))
}

func peakResidentMegabytes() -> Double {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
        return kilobytes / 1024
    }
    let usage = resourceUsage()
    #if os(Linux)
    return Double(usage.ru_maxrss) / 1024
    #else
    return Double(usage.ru_maxrss) / 1_048_576
    #endif
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

