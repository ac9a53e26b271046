import Capture
import Foundation
import TestSupport
import Testing

/// `skbsim export` to pcapng: libpcap reads the file back with the same
/// packets as the classic export, and each packet's comment (read here by
/// a parser of the pcapng blocks of its own) agrees with `inspect --skb`.
@Suite struct ExportPcapngTests {
    struct Record: Equatable {
        var bytes: [UInt8]
        var wire: Int
        var timestamp: Int64
    }

    static func records(_ path: String) throws -> [Record] {
        var out: [Record] = []
        try CaptureReader(path: path).forEachPacket {
            out.append(Record(bytes: Array($0.bytes), wire: $0.wireLength, timestamp: $0.timestampNanoseconds))
        }
        return out
    }

    /// The `opt_comment` of every Enhanced Packet Block, in file order
    /// (little-endian files, as the export writes them).
    static func comments(_ path: String) throws -> [String] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ at: Int) -> Int {
            Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 }
        #expect(u32(0) == 0x0A0D_0D0A, "a Section Header Block first")
        #expect(u32(8) == 0x1A2B_3C4D, "little-endian byte-order magic")
        var comments: [String] = []
        var offset = 0
        while offset + 12 <= data.count {
            let type = u32(offset)
            let total = u32(offset + 4)
            #expect(total % 4 == 0 && total >= 12 && u32(offset + total - 4) == total)
            if type == 6 {
                let body = offset + 8
                let captured = u32(body + 12)
                var option = body + 20 + (captured + 3) / 4 * 4
                var comment: String?
                while option + 4 <= offset + total - 4 {
                    let code = u16(option)
                    let length = u16(option + 2)
                    if code == 0 { break }
                    if code == 1 { comment = String(decoding: data[option + 4..<option + 4 + length], as: UTF8.self) }
                    option += 4 + (length + 3) / 4 * 4
                }
                comments.append(comment ?? "")
            }
            offset += total
        }
        #expect(offset == data.count)
        return comments
    }

    /// A comment's fields: name → value (the first space splits them).
    static func fields(_ comment: String) -> [String: String] {
        var out: [String: String] = [:]
        for field in comment.components(separatedBy: "; ") {
            let parts = field.split(separator: " ", maxSplits: 1)
            out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }

    /// `inspect --skb`'s truesize of each skb netif_receive_skb got, by the
    /// number of the packet that built it (super-packets under "skb of
    /// packet N (GRO, K segment(s))"), with K for those.
    static func inspectTruesizes(_ arguments: [String]) throws -> [Int: (truesize: Int, segments: Int)] {
        let result = try CLIRun.run(["inspect", "--skb"] + arguments)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        var out: [Int: (Int, Int)] = [:]
        var current = 0
        var gro: (packet: Int, segments: Int)?
        for line in result.stdoutLines {
            if let first = line.first, first.isNumber, let n = Int(line.prefix { $0.isNumber }) {
                current = n
                gro = nil
            } else if line.hasPrefix("    skb of packet ") {
                let words = line.split(separator: " ")
                gro = (Int(words[3]) ?? -1, Int(words[5].drop { $0 == "(" }) ?? -1)
            } else if line.hasPrefix("    skb: head "), let t = line.range(of: "truesize ") {
                let truesize = Int(line[t.upperBound...].prefix { $0.isNumber }) ?? -1
                if let g = gro { out[g.packet] = (truesize, g.segments) } else { out[current] = (truesize, 1) }
                gro = nil
            }
        }
        return out
    }

    @Test func pcapngHasTheClassicPacketsAndTheirSkbs() throws {
        let flow = try RunFixtures.mergingFlow(segments: 40)
        let dir = try TemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: flow) }
        // GRO onto a kmalloc head: super-packets with a frag_list.
        let model = ["--gro", "--rx-path", "sg-copybreak", "--rx-header-split", "off"]
        let classic = dir.path + "/out.pcap"
        let ng = dir.path + "/out.pcapng"
        let a = try CLIRun.run(["export", "-o", classic] + model + [flow.path])
        #expect(a.status == 0, "stderr: \(a.stderr)")
        let b = try CLIRun.run(["export", "-o", ng] + model + [flow.path])
        #expect(b.status == 0, "stderr: \(b.stderr)")
        let pcapRecords = try Self.records(classic)
        let ngRecords = try Self.records(ng)
        #expect(ngRecords.count > 0)
        #expect(ngRecords == pcapRecords)

        let comments = try Self.comments(ng)
        #expect(comments.count == ngRecords.count)
        let original = try Self.records(flow.path)
        let inspect = try Self.inspectTruesizes(model + [flow.path])
        var members: [Int] = []
        var fragLists = 0
        for (comment, record) in zip(comments, ngRecords) {
            let f = Self.fields(comment)
            #expect(
                Array(f.keys).sorted()
                    == (["packet", "rx_path", "head", "truesize", "len", "data_len", "nr_frags", "fate"]
                    + (f["frag_list"] == nil ? [] : ["frag_list"]) + (f["gro_members"] == nil ? [] : ["gro_members"]))
                    .sorted(), "\(comment)")
            let packet = try #require(Int(f["packet"] ?? ""))
            #expect(f["rx_path"] == "sg-copybreak")
            #expect(f["fate"] == "consume")
            // The record's bytes are the skb's: len plus the pulled link header.
            #expect(Int(f["len"] ?? "") == record.bytes.count - 14)
            // A super-packet is stamped with its first packet's time.
            #expect(record.timestamp == original[packet - 1].timestamp)
            let seen = try #require(inspect[packet], "inspect has packet \(packet)")
            #expect(Int(f["truesize"] ?? "") == seen.truesize, "\(comment)")
            let group = (f["gro_members"] ?? "\(packet)").split(separator: ",").compactMap { Int($0) }
            #expect(group.first == packet)
            #expect(group.count == seen.segments, "\(comment)")
            members += group
            if let list = f["frag_list"] {
                fragLists += 1
                // `N (packets A,B,…)`: the merged packets after the held one.
                let listed = list.split(separator: "(")[1].dropFirst("packets ".count).dropLast()
                    .split(separator: ",").compactMap { Int($0) }
                #expect(Int(list.prefix { $0.isNumber }) == listed.count)
                #expect(listed == Array(group.dropFirst()), "\(comment)")
            }
        }
        #expect(fragLists > 0)
        // Every packet is in exactly one record.
        #expect(members.sorted() == Array(1...original.count))
    }

    @Test func fateNamesTheDropReason() throws {
        let sample = Repository.sample("tcp-bulk.pcap")
        let dir = try TemporaryDirectory()
        let model = ["--rcvbuf", "4096", "--socket-queue", "64"]
        let result = try CLIRun.run(["export", "-o", dir.path + "/d.pcapng"] + model + [sample])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let fates = try Self.comments(dir.path + "/d.pcapng").map { Self.fields($0)["fate"] ?? "" }
        let (_, stats) = try RunFixtures.statsJSON(model + [sample])
        #expect(fates.filter { $0 == "consume" }.count == stats["consumed"] as? Int)
        #expect(fates.filter { $0 == "drop PROTO_MEM" }.count == fates.count - (stats["consumed"] as? Int ?? 0))
        #expect(fates.contains("drop PROTO_MEM"))
    }

    @Test func formatOptionChoosesTheFileFormat() throws {
        let sample = Repository.sample("icmp-echo.pcap")
        let dir = try TemporaryDirectory()
        func magic(_ path: String) throws -> [UInt8] {
            Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))).prefix(4))
        }
        // --format wins over the extension; classic pcap is nanosecond pcap.
        #expect(try CLIRun.run(["export", "--format", "pcap", "-o", dir.path + "/a.pcapng", sample]).status == 0)
        #expect(try magic(dir.path + "/a.pcapng") == [0x4D, 0x3C, 0xB2, 0xA1])
        #expect(try CLIRun.run(["export", "--format", "pcapng", "-o", dir.path + "/b.pcap", sample]).status == 0)
        #expect(try magic(dir.path + "/b.pcap") == [0x0A, 0x0D, 0x0D, 0x0A])
        #expect(try CLIRun.run(["export", "-o", dir.path + "/c.pcapng", sample]).status == 0)
        #expect(try magic(dir.path + "/c.pcapng") == [0x0A, 0x0D, 0x0D, 0x0A])
        #expect(try Self.records(dir.path + "/b.pcap") == Self.records(dir.path + "/a.pcapng"))
        let bad = try CLIRun.run(["export", "--format", "xml", "-o", dir.path + "/d.pcap", sample])
        #expect(bad.status != 0)
        #expect(bad.stderr.split(separator: "\n").count == 1)
        #expect(bad.stderr.contains("--format must be one of pcap, pcapng, got 'xml'"))
    }
}
