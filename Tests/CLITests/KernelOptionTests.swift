import Foundation
import TestSupport
import Testing

/// `--kernel` and `--page-size`: the profile reaches the model and `stats` names it.
@Suite struct KernelOptionTests {
    /// The profile decides the numbers: icmp-echo's 98-byte frames are small
    /// heads on 6.18 (704 bytes, truesize 960), kmalloc-512 heads on 6.1 (no
    /// small-head cache; truesize 512 + 256 = 768), and 640-byte small heads on 6.12.
    @Test(arguments: [
        ("6.18", "distro-x86_64-6.18", 704, 960, "6.18"), ("6.1", "distro-x86_64-6.1", 0, 768, "6.1"),
        ("6.12", "distro-x86_64-6.12", 640, 896, "6.12"),
    ])
    func statsNamesTheProfileAndUsesIt(
        kernel: String, name: String, smallHead: Int, peak: Int, dropReasons: String
    ) throws {
        let (r, j) = try RunFixtures.statsJSON(["--kernel", kernel, Repository.sample("icmp-echo.pcap")])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let profile = try #require(j["profile"] as? [String: Any])
        #expect(profile["name"] as? String == name)
        #expect(profile["small_head"] as? Int == smallHead)
        #expect(j["kernel"] as? String == dropReasons)
        #expect(j["peak_sk_rmem_alloc"] as? Int == peak)
        let text = try CLIRun.run(["stats", "--kernel", kernel, Repository.sample("icmp-echo.pcap")])
        #expect(text.stdoutLines.contains { $0.hasPrefix("kernel:") && $0.contains(name) })
    }

    @Test func pageSizeAndFixedMaxSkbFrags() throws {
        let (r, j) = try RunFixtures.statsJSON([
            "--kernel", "6.1", "--page-size", "64K", Repository.sample("icmp-echo.pcap"),
        ])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let profile = try #require(j["profile"] as? [String: Any])
        #expect(profile["page_size"] as? Int == 65536 && profile["max_skb_frags"] as? Int == 16)
    }

    @Test(arguments: [
        ["--kernel", "5.10"], ["--kernel", "6.1", "--max-skb-frags", "20"], ["--page-size", "8K"],
        ["--drop-reasons", "6.14"], ["--page-size", "64K", "--memory", "1M"],
        ["--page-size", "16K", "--memory", "1028K"],
    ])
    func badChoicesAreOneClearLine(_ args: [String]) throws {
        let r = try CLIRun.run(["stats"] + args + [Repository.sample("icmp-echo.pcap")])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        // One line naming the option at fault.
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr: \(r.stderr)")
        #expect(args.contains { $0.hasPrefix("--") && r.stderr.contains($0) }, "stderr: \(r.stderr)")
    }

    /// `layout` takes the profile: a 200-byte napi frame is a 1 KiB page_frag_1k
    /// slice on 6.12 and a kmalloc'ed small head on 6.18.
    @Test func layoutTakesTheProfile() throws {
        let old = try LayoutCommandTests.json(["--path", "napi-alloc-skb", "--len", "200", "--kernel", "6.12"])
        #expect(old["kernel"] as? String == "distro-x86_64-6.12")
        #expect((old["head"] as? [String: Any])?["size"] as? Int == 1024)
        let new = try LayoutCommandTests.json(["--path", "napi-alloc-skb", "--len", "200"])
        #expect((new["head"] as? [String: Any])?["kind"] as? String == "small_head_cache")
    }
}
