import KernelMemory
import SkbModel
import Testing
import Trace

// Expectations for Swift Testing. Each records an `Issue` (the test goes on)
// and returns whether it held; the `require…` variants throw instead.

/// Expect that nothing the simulation allocated is still allocated: drains
/// the per-CPU page_frag caches first (as a run's end does), then records
/// the kmemleak report as an issue if anything leaked.
///
/// ```swift
/// try fixture.sim.consume_skb(skb)
/// expectNoLeaks(fixture.sim)
/// ```
@discardableResult
public func expectNoLeaks(_ sim: SkbSim, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    sim.drainCaches()
    let report = sim.memory.leakReport()
    if report.isEmpty { return true }
    Issue.record(Comment(rawValue: report.text), sourceLocation: sourceLocation)
    return false
}

/// Throwing variant of `expectNoLeaks`: throws `MemoryLeakError` with the kmemleak text.
public func requireNoLeaks(_ sim: SkbSim) throws {
    sim.drainCaches()
    try sim.memory.expectNoLeaks()
}

/// Expect that the model's checker (KASAN-style use-after-free, double free,
/// refcount warnings) reported nothing.
@discardableResult
public func expectCheckerClean(_ sim: SkbSim, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    let reports = sim.memory.checker.reports
    if reports.isEmpty { return true }
    Issue.record(Comment(rawValue: reports.map(\.text).joined(separator: "\n\n")), sourceLocation: sourceLocation)
    return false
}

/// Throwing variant of `expectCheckerClean`.
public func requireCheckerClean(_ sim: SkbSim) throws {
    let reports = sim.memory.checker.reports
    if !reports.isEmpty { throw SkbTestingError.expectationFailed(reports.map(\.text).joined(separator: "\n\n")) }
}

/// Expect `skb->truesize` to equal `expected`.
///
/// ```swift
/// expectTruesize(fixture.sim, skb, equals: 2176)   // 1500-byte frame, netdev_alloc_skb
/// ```
@discardableResult
public func expectTruesize(
    _ sim: SkbSim, _ skb: SkbID, equals expected: Int, sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    do {
        let truesize = Int(try sim.skb(skb).truesize)
        if truesize == expected { return true }
        Issue.record("truesize of \(skb) is \(truesize), expected \(expected)", sourceLocation: sourceLocation)
    } catch {
        Issue.record(error, sourceLocation: sourceLocation)
    }
    return false
}

/// Expect the linear geometry of `skb`: `skb_headroom`, `skb_headlen` and
/// `skb_tailroom`; pass nil to skip one.
///
/// ```swift
/// expectLayout(fixture.sim, skb, headroom: 78, linear: 1486, tailroom: 36)
/// ```
@discardableResult
public func expectLayout(
    _ sim: SkbSim, _ skb: SkbID, headroom: Int? = nil, linear: Int? = nil, tailroom: Int? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    do {
        let actual = (try sim.skb_headroom(skb), try sim.skb_headlen(skb), try sim.skb_tailroom(skb))
        var wrong: [String] = []
        if let headroom, headroom != actual.0 { wrong.append("headroom \(actual.0), expected \(headroom)") }
        if let linear, linear != actual.1 { wrong.append("linear \(actual.1), expected \(linear)") }
        if let tailroom, tailroom != actual.2 { wrong.append("tailroom \(actual.2), expected \(tailroom)") }
        if wrong.isEmpty { return true }
        Issue.record(
            Comment(
                rawValue: "\(skb) layout headroom \(actual.0) | linear \(actual.1) | tailroom \(actual.2): "
                    + wrong.joined(separator: "; ")),
            sourceLocation: sourceLocation)
    } catch {
        Issue.record(error, sourceLocation: sourceLocation)
    }
    return false
}

/// Expect that the recorded events contain a drop (`kfree_skb_reason`) with
/// `reason` — of `skb` when given (matched by pool index, among its most
/// recent occupant's events), else of any skb.
///
/// ```swift
/// try fixture.sim.kfree_skb_reason(skb, SkbDropReason.pktTooSmall.rawValue)
/// expectDropReason(fixture.events, .pktTooSmall)
/// ```
@discardableResult
public func expectDropReason(
    _ recorder: SkbEventRecorder, _ reason: SkbDropReason, skb: SkbID? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    let drops = recorder.events(of: .drop).filter { skb == nil || $0.skb == skb!.index }
    if drops.contains(where: { $0.reason == reason.rawValue }) { return true }
    let seen = drops.map { SkbDropReason(rawValue: $0.reason).description }
    Issue.record(
        Comment(
            rawValue: "no drop with reason \(reason)\(skb.map { " of \($0)" } ?? ""); drops recorded: "
                + (seen.isEmpty ? "none" : seen.joined(separator: ", "))), sourceLocation: sourceLocation)
    return false
}
