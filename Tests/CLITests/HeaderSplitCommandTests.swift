import TestSupport
import Testing

/// `--rx-path sg-copybreak` copies only the headers (igb_construct_skb), so
/// GRO merges bulk TCP by moving frags; `--rx-header-split off` copies 256
/// bytes into a small (kmalloc) head that GRO cannot steal: frag_list.
@Suite struct HeaderSplitCommandTests {
    @Test func groMergesHeaderSplitSegmentsByFrags() throws {
        let sample = Repository.sample("tcp-bulk.pcap")
        let split = try CLIRun.run(["stats", "--gro", "--rx-path", "sg-copybreak", sample])
        #expect(split.status == 0, "stderr: \(split.stderr)")
        #expect(split.stdoutLines.contains("gro merges:            227 (frags: 227, head_steal: 0, frag_list: 0)"))
        let copy = try CLIRun.run(["stats", "--gro", "--rx-path", "sg-copybreak", "--rx-header-split", "off", sample])
        #expect(copy.status == 0, "stderr: \(copy.stderr)")
        #expect(copy.stdoutLines.contains("gro merges:            227 (frags: 0, head_steal: 0, frag_list: 227)"))
        let bad = try CLIRun.run(["stats", "--rx-header-split", "sometimes", sample])
        #expect(bad.status == 2 && bad.stderr.contains("--rx-header-split"))
    }
}
