import Foundation
import Testing
import Trace

@Test func sixEightTableMatchesKernelFacts() {
    let t = SkbDropReasonTable.linux6_8
    #expect(t.maxValue == 87)
    #expect(t.value(named: "SKB_NOT_DROPPED_YET") == 0)
    #expect(t.value(named: "SKB_CONSUMED") == 1)
    #expect(t.value(named: "NOT_SPECIFIED") == 2)
    #expect(t.value(named: "NETFILTER_DROP") == 8)
    #expect(t.value(named: "SKB_DROP_REASON_NETFILTER_DROP") == 8)
    #expect(t.value(named: "CPU_BACKLOG") == 53)
    #expect(t.value(named: "FULL_RING") == 62)
    #expect(t.value(named: "NOMEM") == 63)
    #expect(t.value(named: "HDR_TRUNC") == 64)
    #expect(t.value(named: "QUEUE_PURGE") == 82)
    #expect(t.value(named: "TC_RECLASSIFY_LOOP") == 86)
    #expect(t.name(of: 86)?.description == "TC_RECLASSIFY_LOOP")
}

/// The default is 6.18's list: the SOCKET_* reasons grouped after NO_SOCKET
/// (since v6.14), so NETFILTER_DROP is 12 and SOCKET_RCVBUFF 6, NOMEM 81,
/// MAX 130 (the running 6.18.44 kernel's tracefs format).
@Test func defaultTableIsSixEighteen() {
    let t = SkbDropReasonTable.default
    #expect(t.kernel == "6.18")
    #expect(t.maxValue == 130)
    #expect(t.value(named: "SOCKET_CLOSE") == 4 && t.value(named: "SOCKET_FILTER") == 5)
    #expect(t.value(named: "SOCKET_RCVBUFF") == 6)
    #expect(t.value(named: "NETFILTER_DROP") == 12)
    #expect(t.value(named: "NOMEM") == 81)
    #expect(t.value(named: "SKB_RX_HEADROOM") == 129)
    #expect(SkbDropReason.nomem.rawValue == 81)
    #expect(SkbDropReason.nomem.description == "NOMEM")
    #expect(SkbDropReasonTable.named("v6.8")?.kernel == "6.8")
    #expect(SkbDropReasonTable.named("6.14") == nil)
    #expect(SkbDropReasonTable.named("5.10") == nil)
}

/// Each release's list as released: no release numbers SOCKET_RCVBUFF 16,
/// NETFILTER_DROP 8 and NOMEM 72 together (the old "6.14" table did).
@Test func releaseListsAsReleased() {
    let expected: [(SkbDropReasonTable, Int, Int, Int, Int, Int)] = [
        // table, NOT_SPECIFIED, NETFILTER_DROP, SOCKET_RCVBUFF, NOMEM, MAX
        (.linux6_1, 1, 7, 15, 56, 65), (.linux6_6, 2, 8, 16, 58, 78), (.linux6_8, 2, 8, 16, 63, 87),
        (.linux6_12, 2, 8, 16, 66, 90), (.linux6_18, 2, 12, 6, 81, 130),
    ]
    for (t, ns, nf, rcv, nomem, max) in expected {
        #expect(t.value(named: "NOT_SPECIFIED") == UInt32(ns), "\(t.kernel)")
        #expect(t.value(named: "NETFILTER_DROP") == UInt32(nf), "\(t.kernel)")
        #expect(t.value(named: "SOCKET_RCVBUFF") == UInt32(rcv), "\(t.kernel)")
        #expect(t.value(named: "NOMEM") == UInt32(nomem), "\(t.kernel)")
        #expect(t.maxValue == UInt32(max), "\(t.kernel)")
    }
    // v6.1 has no SKB_CONSUMED (0e84afe8ebfb, v6.2).
    #expect(SkbDropReasonTable.linux6_1.value(named: "SKB_CONSUMED") == nil)
    #expect(SkbDropReasonTable.linux6_1.enumeratorName(of: 1) == "SKB_DROP_REASON_NOT_SPECIFIED")
    // Releases only insert: each older list's names appear in the same order in the next
    // (6.18 regrouped SOCKET_* and renamed VXLAN_NO_REMOTE, so 6.12 → 6.18 is not checked).
    let chain: [SkbDropReasonTable] = [.linux6_1, .linux6_6, .linux6_8, .linux6_12]
    for (old, new) in zip(chain, chain.dropFirst()) {
        let newer = new.names.map(\.description)
        var k = newer.startIndex
        for n in old.names.map(\.description) where n != "NOT_DROPPED_YET" {
            guard let at = newer[k...].firstIndex(of: n) else {
                Issue.record("\(n) of \(old.kernel) missing in \(new.kernel)")
                break
            }
            k = at
        }
    }
}

/// On a running 6.18 kernel with tracefs, the 6.18 list is the kernel's own
/// `__print_symbolic` table of `skb:kfree_skb`.
@Test func sixEighteenMatchesRunningKernelTracefs() throws {
    let formats = [
        "/sys/kernel/tracing/events/skb/kfree_skb/format", "/sys/kernel/debug/tracing/events/skb/kfree_skb/format",
    ]
    guard let text = formats.lazy.compactMap({ try? String(contentsOfFile: $0, encoding: .utf8) }).first else {
        print("skipped: no readable tracefs skb/kfree_skb/format (mount tracefs as root to compare the 6.18 list)")
        return
    }
    var release = utsname()
    uname(&release)
    let r = withUnsafeBytes(of: &release.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    guard r.hasPrefix("6.18.") || r == "6.18" else {
        print("skipped: running kernel \(r) is not 6.18")
        return
    }
    var pairs: [(Int, String)] = []
    var rest = Substring(text)
    while let open = rest.range(of: "{ ") {
        rest = rest[open.upperBound...]
        guard let comma = rest.firstIndex(of: ","), let value = Int(rest[..<comma]),
            let q1 = rest.firstIndex(of: "\""), let q2 = rest[rest.index(after: q1)...].firstIndex(of: "\"")
        else { continue }
        pairs.append((value, String(rest[rest.index(after: q1)..<q2])))
        rest = rest[q2...]
    }
    let t = SkbDropReasonTable.linux6_18
    #expect(pairs.count == Int(t.maxValue) - 1)  // 2 … 129 and MAX
    for (value, name) in pairs {
        if name == "MAX" {
            #expect(UInt32(value) == t.maxValue)
        } else {
            #expect(t.name(of: UInt32(value))?.description == name)
        }
    }
}

@Test(arguments: SkbDropReasonTable.all)
func namesRoundTripAndMaxIsNotAReason(table: SkbDropReasonTable) {
    #expect(Set(table.names.map(\.description)).count == table.names.count)
    for value in 0..<table.maxValue {
        let short = table.name(of: value)!.description
        #expect(table.value(named: short) == value)
        #expect(table.value(named: table.enumeratorName(of: value)!) == value)
    }
    #expect(table.name(of: table.maxValue) == nil)
    #expect(table.value(named: "MAX") == nil)
    #expect(table.value(named: "SKB_DROP_REASON_MAX") == nil)
    #expect(table.value(named: "SKB_NOMEM") == nil)
    #expect(table.value(named: "nomem") == nil)
    #expect(table.enumeratorName(of: 0) == "SKB_NOT_DROPPED_YET")
    let notSpecified = table.value(named: "NOT_SPECIFIED")!
    #expect(table.enumeratorName(of: notSpecified) == "SKB_DROP_REASON_NOT_SPECIFIED")
    if notSpecified == 2 { #expect(table.enumeratorName(of: 1) == "SKB_CONSUMED") }
}

@Test func constantsAndPrintedNames() {
    #expect(SkbDropReason.notDroppedYet.description == "NOT_DROPPED_YET")
    #expect(SkbDropReason.consumed.description == "CONSUMED")
    #expect(SkbDropReason.notSpecified.description == "NOT_SPECIFIED")
    let named: [(SkbDropReason, String)] = [
        (.nomem, "NOMEM"), (.netfilterDrop, "NETFILTER_DROP"), (.pktTooSmall, "PKT_TOO_SMALL"),
        (.hdrTrunc, "HDR_TRUNC"), (.fullRing, "FULL_RING"), (.cpuBacklog, "CPU_BACKLOG"),
        (.queuePurge, "QUEUE_PURGE"),
    ]
    for (reason, name) in named {
        #expect(reason.description == name)
        #expect(SkbDropReason(named: name) == reason)
        #expect(SkbDropReason(named: "SKB_DROP_REASON_" + name) == reason)
        #expect(reason.isDrop)
    }
    #expect(!SkbDropReason.consumed.isDrop)
    // Subsystem reasons (e.g. mac80211 = subsystem 1) print as hex.
    let mac80211 = SkbDropReason(rawValue: 0x1_0002)
    #expect(mac80211.subsystem == 1)
    #expect(mac80211.description == "0x10002")
    #expect(SkbDropReasonTable.subsystemMask == 0xffff_0000)
    #expect(SkbDropReasonTable.subsystemShift == 16)
}
