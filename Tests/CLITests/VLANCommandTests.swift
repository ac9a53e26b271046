import Capture
import Foundation
import TestSupport
import Testing

/// `--rx-vlan-offload` and `--vlan-devices` on samples/vlan.pcap: eight TCP
/// frames and one UDP frame in 802.1Q VID 100/200, one UDP frame in QinQ
/// (802.1AD VID 10 over 802.1Q VID 100).
@Suite struct VLANCommandTests {
    static let sample = Repository.sample("vlan.pcap")

    static func frames(_ path: String) throws -> [[UInt8]] {
        let reader = try CaptureReader(path: path)
        var out: [[UInt8]] = []
        while let p = try reader.next() { out.append(Array(p.bytes)) }
        return out
    }

    @Test func withoutDevicesTaggedFramesAreOtherHost() throws {
        let r = try CLIRun.run(["stats", "--vlan-devices", "none", Self.sample])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutLines.contains("delivered:             0"))
        #expect(r.stdoutLines.contains("  OTHERHOST: 9"))
        // The QinQ frame: no device for VID 10, its inner tag has no handler.
        #expect(r.stdoutLines.contains("  UNHANDLED_PROTO: 1"))
        #expect(r.stdout.contains("vlan:                  10 tagged skb(s): 9 tag(s) stripped by the NIC, 1 popped"))
        let some = try CLIRun.run(["stats", "--vlan-devices", "100,ad:10", Self.sample])
        // VID 200 (the UDP query) has no device; the QinQ frame finds both.
        #expect(some.stdoutLines.contains("delivered:             9"))
        #expect(some.stdoutLines.contains("  OTHERHOST: 1"))
    }

    @Test func statsJSONCountsTags() throws {
        let r = try CLIRun.run(["stats", "--json", "--rx-vlan-offload", "off", Self.sample])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let vlan = try #require(o["vlan"] as? [String: Any])
        #expect(vlan["tagged"] as? Int == 10)
        #expect(vlan["hardware_stripped"] as? Int == 0)
        #expect(vlan["in_band"] as? Int == 10)
        #expect(vlan["via_device"] as? Int == 10)
        #expect(vlan["otherhost"] as? Int == 0)
    }

    /// Whether the NIC or skb_vlan_untag took the tag out, `export` puts it
    /// back where libpcap does: the file has the capture's frames.
    @Test(arguments: ["on", "off"]) func exportPutsTheTagBack(offload: String) throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("out.pcap").path
        let r = try CLIRun.run(["export", "--rx-vlan-offload", offload, "-o", out, Self.sample])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(try Self.frames(out) == Self.frames(Self.sample))
    }

    @Test func inspectShowsTheTagOutsideTheData() throws {
        let r = try CLIRun.run(["inspect", "--skb", "-c", "1", Self.sample])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("vlan: vlan_proto 0x8100 vlan_tci 0x0064 (vid 100, prio 0), not in the skb's data"))
        // The NIC stripped the tag: the skb holds the 74-byte untagged frame.
        #expect(r.stdout.contains("len 60 data_len 0"))
    }

    @Test(arguments: [["--vlan-devices", "4096"], ["--vlan-devices", "x"], ["--rx-vlan-offload", "maybe"]])
    func badValuesAreUsageErrors(arguments: [String]) throws {
        let r = try CLIRun.run(["stats"] + arguments + [Self.sample])
        #expect(r.status == 2)
        #expect(r.stderr.contains(arguments[0]))
        #expect(r.stdout.isEmpty)
    }
}
