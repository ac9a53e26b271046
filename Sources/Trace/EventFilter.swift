/// Passes on to another sink only the events a trace asked for: some kinds
/// (`--events`), some packets (`--packets`), one packet's story
/// (`--track`), at most N events (`--max-events`). Criteria combine (an
/// event passes all of them); `--max-events` counts the events passed.
///
/// Events keep their `sequence`, so a filtered stream shows gaps where
/// events were left out. Filtering allocates nothing per event.
///
/// `track` keeps the events of the packet's own skbs (tracking id = `track`:
/// its skb, clones, copies, the frag_list member it became) and, once GRO
/// merged it (`groMerge` with this tracking id), the events of the
/// super-packet it was merged into — the held skb named by the merge — up
/// to that skb's `skbFree`.
public final class EventFilter: EventSink {
    /// What to keep; nil fields keep everything.
    public struct Criteria: Sendable, Equatable {
        /// Bit `kind.rawValue` set = keep that kind.
        public var kinds: UInt64?
        /// Tracking ids to keep (`SkbEvent.track`), as closed ranges.
        public var packets: [ClosedRange<UInt32>]?
        /// One packet's story (tracking id).
        public var track: UInt32?
        /// Stop passing events after this many.
        public var maxEvents: UInt64?

        public init(
            kinds: UInt64? = nil, packets: [ClosedRange<UInt32>]? = nil, track: UInt32? = nil,
            maxEvents: UInt64? = nil
        ) {
            self.kinds = kinds
            self.packets = packets
            self.track = track
            self.maxEvents = maxEvents
        }

        /// True when nothing is filtered out.
        public var keepsEverything: Bool { kinds == nil && packets == nil && track == nil && maxEvents == nil }
    }

    public let next: any EventSink
    public let criteria: Criteria
    /// Events passed on so far.
    public private(set) var passed: UInt64 = 0
    private let kindMask: UInt64
    private let ranges: [ClosedRange<UInt32>]
    private let track: UInt32
    private let limit: UInt64
    /// The super-packet `track` was merged into: its pool slot, or -1.
    private var heldSlot: Int64 = -1

    public init(next: any EventSink, criteria: Criteria) {
        self.next = next
        self.criteria = criteria
        kindMask = criteria.kinds ?? ~0
        ranges = criteria.packets ?? []
        track = criteria.track ?? 0
        limit = criteria.maxEvents ?? .max
    }

    public func receive(_ event: SkbEvent) {
        guard passed < limit, kindMask & (1 &<< UInt64(event.kind.rawValue)) != 0 else {
            if track != 0 { follow(event) }
            return
        }
        if !ranges.isEmpty {
            let t = event.track
            var inRange = false
            for r in ranges where r.contains(t) {
                inRange = true
                break
            }
            guard inRange else { return }
        }
        if track != 0 {
            guard follow(event) else { return }
        }
        passed &+= 1
        next.receive(event)
    }

    public func finish() { next.finish() }

    public func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {
        next.describeCounter(kind, id: id, name: name)
    }

    public var wantsCounters: Bool { next.wantsCounters }

    /// Whether `event` belongs to the tracked packet's story; notes the
    /// super-packet it is merged into and when that is freed.
    @discardableResult
    private func follow(_ event: SkbEvent) -> Bool {
        if event.kind.isCounter { return false }
        if event.track == track {
            if event.kind == .groMerge { heldSlot = Int64(event.arg0) }
            return true
        }
        guard heldSlot >= 0, Int64(event.skb) == heldSlot else { return false }
        if event.kind == .skbFree { heldSlot = -1 }
        return true
    }

    // MARK: Parsing the command-line values

    /// `--events KIND,…`: kinds by the names the sinks print
    /// (`SkbEventKind.description`: `skb_alloc`, `gro_merge`, `drop`, …).
    public static func parseKinds(_ text: String) throws(EventFilterError) -> UInt64 {
        var mask: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingSpaces
            guard let kind = SkbEventKind.allCases.first(where: { $0.description == name }) else {
                throw .badValue(
                    option: "--events",
                    message: "unknown event kind '\(name)' (kinds: "
                        + SkbEventKind.allCases.map(\.description).joined(separator: ", ") + ")")
            }
            mask |= 1 &<< UInt64(kind.rawValue)
        }
        return mask
    }

    /// `--packets RANGE`: packet numbers (tracking ids, from 1) and ranges,
    /// comma-separated: `10-20,35`.
    public static func parseRanges(_ text: String) throws(EventFilterError) -> [ClosedRange<UInt32>] {
        var ranges: [ClosedRange<UInt32>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingSpaces
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2,
                let low = UInt32(bounds[0]), let high = bounds.count == 2 ? UInt32(bounds[1]) : low,
                low >= 1, low <= high
            else {
                throw .badValue(
                    option: "--packets",
                    message: "'\(item)' is not a packet number or range N-M (numbers from 1, N <= M)")
            }
            ranges.append(low...high)
        }
        return ranges
    }

    /// `--track ID`: a packet number, from 1.
    public static func parseTrack(_ text: String) throws(EventFilterError) -> UInt32 {
        guard let id = UInt32(text.trimmingSpaces), id >= 1 else {
            throw .badValue(option: "--track", message: "'\(text)' is not a packet number (from 1)")
        }
        return id
    }

    /// `--max-events N`: N >= 1.
    public static func parseMaxEvents(_ text: String) throws(EventFilterError) -> UInt64 {
        guard let n = UInt64(text.trimmingSpaces), n >= 1 else {
            throw .badValue(option: "--max-events", message: "'\(text)' is not a positive number")
        }
        return n
    }
}

/// A bad `--events` / `--packets` / `--track` / `--max-events` value.
public enum EventFilterError: Error, Equatable, CustomStringConvertible {
    case badValue(option: String, message: String)

    public var description: String {
        switch self {
        case .badValue(let option, let message): "\(option): \(message)"
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

extension String {
    fileprivate var trimmingSpaces: String { Substring(self).trimmingSpaces }
}
