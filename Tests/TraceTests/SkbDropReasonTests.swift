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

@Test func defaultTableIsTheNewestVerifiedList() {
    let t = SkbDropReasonTable.default
    #expect(t.kernel == "6.14")
    #expect(t.maxValue == 109)
    #expect(t.value(named: "NOMEM") == 72)
    #expect(t.value(named: "NETFILTER_DROP") == 8)
    #expect(t.value(named: "QDISC_OVERLIMIT") == 56)
    #expect(t.value(named: "ARP_PVLAN_DISABLE") == 108)
    #expect(SkbDropReason.nomem.rawValue == 72)
    #expect(SkbDropReason.nomem.description == "NOMEM")
    #expect(SkbDropReasonTable.named("v6.8")?.kernel == "6.8")
    #expect(SkbDropReasonTable.named("6.14")?.maxValue == 109)
    #expect(SkbDropReasonTable.named("5.10") == nil)
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
    #expect(table.enumeratorName(of: 1) == "SKB_CONSUMED")
    #expect(table.enumeratorName(of: 2) == "SKB_DROP_REASON_NOT_SPECIFIED")
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
