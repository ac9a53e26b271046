import KernelMemory
import Testing
import Trace

@testable import SkbModel

/// The model numbers its drop reasons with its profile's release: v6.1 has no
/// SKB_CONSUMED (0e84afe8ebfb is v6.2), so a consume carries no reason and
/// `kfree_skb` passes NOT_SPECIFIED = 1; from v6.2 CONSUMED is 1 and
/// NOT_SPECIFIED 2; NOMEM moves with every release.
@Suite struct ProfileDropReasonTests {
    final class Recorder: EventSink {
        var events: [SkbEvent] = []
        func receive(_ event: SkbEvent) { events.append(event) }
    }

    @Test(arguments: [
        (KernelProfile.distroX86_64_v6_1, UInt32(0), UInt32(1), UInt32(56)),
        (.distroX86_64_v6_6, 1, 2, 58), (.distroX86_64_v6_12, 1, 2, 66), (.distroX86_64, 1, 2, 81),
    ])
    func consumeAndDropCarryTheReleasesNumbers(
        profile: KernelProfile, consumed: UInt32, notSpecified: UInt32, nomem: UInt32
    ) throws {
        let rec = Recorder()
        let sim = SkbSim(profile: profile, sink: rec)
        #expect(sim.dropReasonTable.kernel == profile.version.description)
        #expect(sim.reasons.consumed.rawValue == consumed)
        #expect(sim.reasons.notSpecified.rawValue == notSpecified)
        #expect(sim.reasons.nomem.rawValue == nomem)
        let a = try #require(sim.alloc_skb(100))
        let b = try #require(sim.alloc_skb(100))
        try sim.consume_skb(a)
        try sim.kfree_skb(b)
        let consume = try #require(rec.events.first { $0.kind == .consume })
        let drop = try #require(rec.events.first { $0.kind == .drop })
        #expect(consume.reason == consumed)
        #expect(drop.reason == notSpecified)
        #expect(sim.dropReasonTable.name(of: drop.reason)?.description == "NOT_SPECIFIED")
        sim.drainCaches()
        try sim.memory.expectNoLeaks()
    }
}
