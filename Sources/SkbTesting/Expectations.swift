import KernelMemory
import Release
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
/// try fixture.sim.kfree_skb_reason(skb, .pktTooSmall)
/// expectDropReason(fixture.events, .pktTooSmall, skb: skb)
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
/// invalid free, out-of-bounds, page refcount underflow) reported nothing;
/// otherwise the issue's message is every report's text.
@discardableResult
public func expectCheckerClean(_ sim: SkbSim, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    expectCheckerClean(sim.memory, sourceLocation: sourceLocation)
}

/// ``expectCheckerClean(_:sourceLocation:)-(SkbSim,_)`` for code that uses the
/// simulated allocators directly (`kmalloc` / `kfree`, `alloc_pages` /
/// `put_page`, `page_frag_alloc` / `page_frag_free`).
@discardableResult
public func expectCheckerClean(_ memory: MemorySystem, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    let reports = memory.checker.reports
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
/// expectTruesize(fixture.sim, skb, equals: 2176)  // 1500-byte frame, netdev_alloc_skb
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
/// try fixture.sim.kfree_skb_reason(skb, .pktTooSmall)
/// expectDropReason(fixture.events, .pktTooSmall, skb: skb)
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

/// Expect both: nothing leaked (``expectNoLeaks(_:sourceLocation:)``) and
/// the checker stayed quiet (``expectCheckerClean(_:sourceLocation:)-(SkbSim,_)``).
/// Each failure is its own issue with the kmemleak or KASAN text.
@discardableResult
public func expectClean(_ sim: SkbSim, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    let noLeaks = expectNoLeaks(sim, sourceLocation: sourceLocation)
    let checkerClean = expectCheckerClean(sim, sourceLocation: sourceLocation)
    return noLeaks && checkerClean
}

/// Expect a finished run's verdict to be clean: no KASAN report, no leak,
/// no socket-accounting warning, no model BUG. On failure the issue's
/// message is the verdict's full text (KASAN reports, WARNs, the kmemleak
/// report), as `skbsim stats` prints it.
///
/// ```swift
/// let stats = run.finish()
/// expectClean(stats)
/// ```
@discardableResult
public func expectClean(_ stats: RunStatistics, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    if stats.verdict.isClean { return true }
    Issue.record(
        Comment(rawValue: "checker: \(stats.verdict)\n\(stats.verdict.fullText)"), sourceLocation: sourceLocation)
    return false
}

/// Throwing variant of ``expectClean(_:sourceLocation:)-(RunStatistics,_)``: throws
/// `SkbTestingError.expectationFailed` with the verdict's full text.
public func requireClean(_ stats: RunStatistics) throws {
    if !stats.verdict.isClean {
        throw SkbTestingError.expectationFailed("checker: \(stats.verdict)\n\(stats.verdict.fullText)")
    }
}

/// Expect `body` to make the checker report a bug of `kind` — a test of code
/// that must be caught, e.g. a use-after-free through a stale `SkbID`. The
/// model reports first, then throws `SkbError` from the faulty call; `body`
/// may throw it (it is the expected outcome, not a failure). Returns the
/// first new report of `kind` (its `text` is the KASAN report), or nil after
/// recording an issue that lists what the checker reported instead.
///
/// ```swift
/// try fixture.sim.consume_skb(skb)
/// // The stale handle still names the freed struct sk_buff.
/// let report = expectReport(.slabUseAfterFree, in: fixture.sim) {
///     _ = try fixture.sim.skb_pull(skb, 20)
/// }
/// ```
@discardableResult
public func expectReport(
    _ kind: KasanReport.Kind, in sim: SkbSim, sourceLocation: SourceLocation = #_sourceLocation,
    during body: () throws -> Void
) -> KasanReport? {
    expectReport(kind, in: sim.memory, sourceLocation: sourceLocation, during: body)
}

/// ``expectReport(_:in:sourceLocation:during:)-(_,SkbSim,_,_)`` for code that
/// uses the simulated allocators directly (`kmalloc` / `kfree`,
/// `alloc_pages` / `put_page`, `page_frag_alloc` / `page_frag_free`): a
/// driver model's ring buffers, a library's own objects.
///
/// ```swift
/// let report = expectReport(.doubleFree, in: memory) { memory.kfree(object) }
/// ```
@discardableResult
public func expectReport(
    _ kind: KasanReport.Kind, in memory: MemorySystem, sourceLocation: SourceLocation = #_sourceLocation,
    during body: () throws -> Void
) -> KasanReport? {
    let before = memory.checker.reports.count
    var thrown: (any Error)?
    do { try body() } catch { thrown = error }
    let new = memory.checker.reports.dropFirst(before)
    if let report = new.first(where: { $0.kind == kind }) { return report }
    var text = "expected a \(kind.rawValue) report from the checker; it reported "
    text += new.isEmpty ? "nothing" : new.map(\.kind.rawValue).joined(separator: ", ")
    if let thrown { text += "; the body threw: \(thrown)" }
    if !new.isEmpty { text += "\n" + new.map(\.text).joined(separator: "\n\n") }
    Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
    return nil
}

/// One rx path on which a handler left memory behind or tripped the checker.
public struct HandlerFailure: Sendable, CustomStringConvertible {
    /// The rx path the frames were received on.
    public var path: RxPath
    /// The checker's own text: the kmemleak report and/or the KASAN reports,
    /// or the error the handler threw.
    public var report: String

    public var description: String { "rx path \(path.rawValue): \(report)" }
}

/// Run `handler` on every frame received on each of `paths` (a fresh
/// ``SkbFixture`` per path) and collect what the checker says afterwards.
/// The handler owns the skb it is given, as a protocol's receive function
/// does: it must end it with `consume_skb` / `kfree_skb_reason` (or hand it
/// to something that does). Returns one ``HandlerFailure`` per path that
/// leaked, reported a KASAN bug or threw; empty when the handler is clean.
public func handlerFailures(
    frames: [[UInt8]], on paths: [RxPath] = RxPath.allCases,
    handler: (SkbSim, SkbID) throws -> Void
) -> [HandlerFailure] {
    var failures: [HandlerFailure] = []
    for path in paths {
        let fixture = SkbFixture()
        var texts: [String] = []
        do {
            for frame in frames { try handler(fixture.sim, try fixture.makeSkb(bytes: frame, path: path)) }
        } catch {
            texts.append("the handler threw: \(error)")
        }
        fixture.sim.drainCaches()
        let reports = fixture.sim.memory.checker.reports
        if !reports.isEmpty { texts.append(reports.map(\.text).joined(separator: "\n\n")) }
        let leaks = fixture.sim.memory.leakReport()
        if !leaks.isEmpty { texts.append(leaks.text) }
        if !texts.isEmpty { failures.append(HandlerFailure(path: path, report: texts.joined(separator: "\n"))) }
    }
    return failures
}

/// Expect `handler` to release everything on every rx path: each frame is
/// received on each of `paths`, handed to `handler` (which owns the skb),
/// and then the simulated memory is scanned. A path that leaked or tripped
/// the checker records an issue whose message names the path and carries
/// the kmemleak / KASAN report. Returns the failures (empty = clean).
///
/// ```swift
/// static func checkReleasesEverything(_ handler: (SkbSim, SkbID) throws -> Void) {
///     expectHandlerClean(frames: frames, on: RxPath.allCases, handler: handler)
/// }
///
/// @Test func releasesEverySkbOnEveryRxPath() {
///     Self.checkReleasesEverything { sim, skb in _ = try networkReceive(sim, skb) }
/// }
/// ```
@discardableResult
public func expectHandlerClean(
    frames: [[UInt8]], on paths: [RxPath] = RxPath.allCases, sourceLocation: SourceLocation = #_sourceLocation,
    handler: (SkbSim, SkbID) throws -> Void
) -> [HandlerFailure] {
    let failures = handlerFailures(frames: frames, on: paths, handler: handler)
    for failure in failures { Issue.record(Comment(rawValue: failure.description), sourceLocation: sourceLocation) }
    return failures
}
