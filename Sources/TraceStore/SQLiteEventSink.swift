import Trace

/// Writes a run into a SQLite database (`trace --format sqlite -o run.db`):
/// tables `events`, `skbs`, `packets`, `flows`, `pages`, `counters`,
/// `arg_names` and `meta`, schema in docs/sqlite-schema.md.
///
/// Every event is one row of `events`, inserted through a prepared
/// statement inside one transaction (committed by `close()`); an skb's
/// row in `skbs` is written when its life ends (`skb_free`) or at
/// `close()` for skbs alive at the end. `packets` and `flows` come from
/// the capture itself (`recordPacket`, `recordFlow`), which the sink
/// cannot see. The database is opened with `journal_mode=OFF` and
/// `synchronous=OFF`: it is written once, start to end, and a crash
/// leaves a file to delete rather than one to recover.
public final class SQLiteEventSink: EventSink {
    /// `meta.schema_version`.
    public static let schemaVersion = 1

    public let database: SQLiteDatabase
    public let reasons: SkbDropReasonTable
    /// The first error SQLite returned while events were written (the sink
    /// cannot throw from `receive`); `close()` throws it.
    public private(set) var failure: SQLiteError?

    private let insertEvent: SQLiteStatement
    private let insertSkb: SQLiteStatement
    private let insertPage: SQLiteStatement
    private let insertCounter: SQLiteStatement
    private let insertPacket: SQLiteStatement
    private let insertFlow: SQLiteStatement
    private var closed = false
    private var counterNames = CounterNames()

    /// One skb life being written: the row `skbs` gets when it ends.
    struct Life {
        var life: Int64
        var skb: UInt32
        var skbaddr: UInt64
        var packet: Int32
        var firstSeq: UInt64
        var allocFunction: StaticString
        var fate: StaticString? = nil
        var reason: UInt32 = 0
        var maxTruesize: UInt32 = 0
        var len: UInt32 = 0
        var nrFrags: UInt8 = 0
        var merges = 0
        var mergedInto: Int64? = nil
    }

    private var lives: [Life?] = []
    private var nextLife: Int64 = 1

    /// Creates the database at `path` (an existing file is replaced).
    public init(
        path: String, reasons: SkbDropReasonTable = .default, meta: [(String, String)] = []
    )
        throws(SQLiteError)
    {
        unlinkIfExists(path)
        database = try SQLiteDatabase(path: path)
        self.reasons = reasons
        try database.execute(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA page_size = 65536;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE events (
                seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, fn TEXT NOT NULL, pkt INTEGER NOT NULL,
                skb INTEGER NOT NULL, life INTEGER, skbaddr INTEGER NOT NULL, ts_ns INTEGER NOT NULL,
                len INTEGER NOT NULL, data_len INTEGER NOT NULL, truesize INTEGER NOT NULL,
                headroom INTEGER NOT NULL, nr_frags INTEGER NOT NULL, proto INTEGER NOT NULL,
                reason INTEGER, arg0 INTEGER NOT NULL, arg1 INTEGER NOT NULL, arg2 INTEGER NOT NULL,
                track INTEGER NOT NULL, flow INTEGER NOT NULL);
            CREATE TABLE skbs (
                life INTEGER PRIMARY KEY, skb INTEGER NOT NULL, skbaddr INTEGER NOT NULL, pkt INTEGER NOT NULL,
                first_seq INTEGER NOT NULL, last_seq INTEGER, alloc_fn TEXT NOT NULL, fate TEXT,
                reason INTEGER, reason_name TEXT, truesize INTEGER NOT NULL, len INTEGER NOT NULL,
                nr_frags INTEGER NOT NULL, gro_merges INTEGER NOT NULL, merged_into INTEGER);
            CREATE TABLE pages (
                seq INTEGER PRIMARY KEY, pkt INTEGER NOT NULL, ts_ns INTEGER NOT NULL, cache_id INTEGER NOT NULL,
                cache TEXT, pages INTEGER NOT NULL, outstanding_bytes INTEGER NOT NULL);
            CREATE TABLE counters (
                seq INTEGER PRIMARY KEY, pkt INTEGER NOT NULL, ts_ns INTEGER NOT NULL, kind TEXT NOT NULL,
                counter_id INTEGER NOT NULL, name TEXT, value0 INTEGER NOT NULL, value1 INTEGER NOT NULL);
            CREATE TABLE packets (
                pkt INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, wire_len INTEGER NOT NULL,
                cap_len INTEGER NOT NULL, flow INTEGER);
            CREATE TABLE flows (
                flow INTEGER PRIMARY KEY, proto INTEGER NOT NULL, src TEXT NOT NULL, sport INTEGER NOT NULL,
                dst TEXT NOT NULL, dport INTEGER NOT NULL);
            CREATE TABLE arg_names (kind TEXT PRIMARY KEY, arg0 TEXT, arg1 TEXT, arg2 TEXT);
            BEGIN;
            """)
        insertEvent = try database.prepare("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        insertSkb = try database.prepare("INSERT INTO skbs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        insertPage = try database.prepare("INSERT INTO pages VALUES (?,?,?,?,?,?,?)")
        insertCounter = try database.prepare("INSERT INTO counters VALUES (?,?,?,?,?,?,?,?)")
        insertPacket = try database.prepare("INSERT OR REPLACE INTO packets VALUES (?,?,?,?,?)")
        insertFlow = try database.prepare("INSERT OR REPLACE INTO flows VALUES (?,?,?,?,?,?)")
        let metaInsert = try database.prepare("INSERT OR REPLACE INTO meta VALUES (?,?)")
        for (key, value) in [("schema_version", "\(Self.schemaVersion)"), ("kernel", reasons.kernel)] + meta {
            metaInsert.bind(1, key)
            metaInsert.bind(2, value)
            try metaInsert.run()
        }
        let argInsert = try database.prepare("INSERT INTO arg_names VALUES (?,?,?,?)")
        for kind in SkbEventKind.allCases {
            argInsert.bind(1, kind.staticName)
            if let a = kind.arguments.arg0 { argInsert.bind(2, a.name) } else { argInsert.bindNull(2) }
            if let a = kind.arguments.arg1 { argInsert.bind(3, a.name) } else { argInsert.bindNull(3) }
            if let a = kind.extraArgument { argInsert.bind(4, a.name) } else { argInsert.bindNull(4) }
            try argInsert.run()
        }
    }

    // MARK: EventSink

    public func receive(_ event: SkbEvent) {
        guard failure == nil, !closed else { return }
        do throws(SQLiteError) {
            if event.kind.isCounter {
                try counter(event)
            } else {
                try step(event)
            }
        } catch {
            failure = error
        }
    }

    public func describeCounter(_ kind: SkbEventKind, id: UInt32, name: String) {
        counterNames.set(kind, id: id, name: name)
    }

    // MARK: Capture-side rows

    /// A captured packet (`packets`): file index, capture time, lengths, flow id.
    public func recordPacket(
        _ index: Int, timestampNanoseconds: Int64, wireLength: Int, captureLength: Int, flow: Int?
    ) throws(SQLiteError) {
        let s = insertPacket
        s.bind(1, Int64(index))
        s.bind(2, timestampNanoseconds)
        s.bind(3, Int64(wireLength))
        s.bind(4, Int64(captureLength))
        if let flow { s.bind(5, Int64(flow)) } else { s.bindNull(5) }
        try s.run()
    }

    /// A flow (`flows`): its id, IP protocol and the 5-tuple as the packets carry it.
    public func recordFlow(
        _ flow: Int, ipProtocol: UInt8, source: String, sourcePort: UInt16, destination: String,
        destinationPort: UInt16
    ) throws(SQLiteError) {
        let s = insertFlow
        s.bind(1, Int64(flow))
        s.bind(2, Int64(ipProtocol))
        s.bind(3, source)
        s.bind(4, Int64(sourcePort))
        s.bind(5, destination)
        s.bind(6, Int64(destinationPort))
        try s.run()
    }

    /// Writes the skbs still alive, indexes the tables, commits and closes.
    /// Throws the first error of the run, if any. Idempotent.
    public func close() throws(SQLiteError) {
        guard !closed else { return }
        closed = true
        if let failure { throw failure }
        for case let life? in lives { try writeLife(life, lastSeq: nil) }
        lives.removeAll()
        try database.execute(
            """
            CREATE INDEX events_pkt ON events(pkt);
            CREATE INDEX events_life ON events(life);
            CREATE INDEX events_kind ON events(kind);
            CREATE INDEX skbs_pkt ON skbs(pkt);
            COMMIT;
            """)
    }

    // MARK: Rows

    private func step(_ event: SkbEvent) throws(SQLiteError) {
        let index = Int(event.skb)
        if index >= lives.count { lives.append(contentsOf: repeatElement(nil, count: index - lives.count + 1)) }
        if lives[index] == nil {
            lives[index] = Life(
                life: nextLife, skb: event.skb, skbaddr: event.skbaddr, packet: event.packet,
                firstSeq: event.sequence, allocFunction: event.function)
            nextLife += 1
        }
        var life = lives[index]!
        life.maxTruesize = max(life.maxTruesize, event.truesize)
        switch event.kind {
        case .drop, .consume:
            life.fate = event.kind.staticName
            life.reason = event.reason
            life.len = event.len
            life.nrFrags = event.nrFrags
        case .groMerge:
            let held = Int(truncatingIfNeeded: event.arg0)
            if held < lives.count, lives[held] != nil {
                lives[held]!.merges += 1
                life.mergedInto = lives[held]!.life
            }
        default: break
        }
        let s = insertEvent
        s.bind(1, Int64(bitPattern: event.sequence))
        s.bind(2, event.kind.staticName)
        s.bind(3, event.function)
        s.bind(4, Int64(event.packet))
        s.bind(5, Int64(event.skb))
        s.bind(6, life.life)
        s.bind(7, Int64(bitPattern: event.skbaddr))
        s.bind(8, event.timestampNanoseconds)
        s.bind(9, Int64(event.len))
        s.bind(10, Int64(event.dataLen))
        s.bind(11, Int64(event.truesize))
        s.bind(12, Int64(event.headroom))
        s.bind(13, Int64(event.nrFrags))
        s.bind(14, Int64(event.protocolType))
        if event.reason != 0 || event.kind.carriesReason { s.bind(15, Int64(event.reason)) } else { s.bindNull(15) }
        s.bind(16, Int64(bitPattern: event.arg0))
        s.bind(17, Int64(bitPattern: event.arg1))
        s.bind(18, Int64(bitPattern: event.arg2))
        s.bind(19, Int64(event.track))
        s.bind(20, Int64(event.flow))
        try s.run()
        if event.kind == .skbFree {
            lives[index] = nil
            try writeLife(life, lastSeq: event.sequence)
        } else {
            lives[index] = life
        }
    }

    private func writeLife(_ life: Life, lastSeq: UInt64?) throws(SQLiteError) {
        let s = insertSkb
        s.bind(1, life.life)
        s.bind(2, Int64(life.skb))
        s.bind(3, Int64(bitPattern: life.skbaddr))
        s.bind(4, Int64(life.packet))
        s.bind(5, Int64(bitPattern: life.firstSeq))
        if let lastSeq { s.bind(6, Int64(bitPattern: lastSeq)) } else { s.bindNull(6) }
        s.bind(7, life.allocFunction)
        if let fate = life.fate {
            s.bind(8, fate)
            s.bind(9, Int64(life.reason))
            if let name = reasons.name(of: life.reason) { s.bind(10, name) } else { s.bindNull(10) }
        } else {
            s.bindNull(8)
            s.bindNull(9)
            s.bindNull(10)
        }
        s.bind(11, Int64(life.maxTruesize))
        s.bind(12, Int64(life.len))
        s.bind(13, Int64(life.nrFrags))
        s.bind(14, Int64(life.merges))
        if let into = life.mergedInto { s.bind(15, into) } else { s.bindNull(15) }
        try s.run()
    }

    private func counter(_ event: SkbEvent) throws(SQLiteError) {
        let name = counterNames.name(event.kind, id: event.skb)
        if event.kind == .pageFragCounter {
            let s = insertPage
            s.bind(1, Int64(bitPattern: event.sequence))
            s.bind(2, Int64(event.packet))
            s.bind(3, event.timestampNanoseconds)
            s.bind(4, Int64(event.skb))
            if let name { s.bind(5, name) } else { s.bindNull(5) }
            s.bind(6, Int64(bitPattern: event.arg0))
            s.bind(7, Int64(bitPattern: event.arg1))
            try s.run()
            return
        }
        let s = insertCounter
        s.bind(1, Int64(bitPattern: event.sequence))
        s.bind(2, Int64(event.packet))
        s.bind(3, event.timestampNanoseconds)
        s.bind(4, event.kind.staticName)
        s.bind(5, Int64(event.skb))
        if let name { s.bind(6, name) } else { s.bindNull(6) }
        s.bind(7, Int64(bitPattern: event.arg0))
        s.bind(8, Int64(bitPattern: event.arg1))
        try s.run()
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

private func unlinkIfExists(_ path: String) { _ = unlink(path) }
