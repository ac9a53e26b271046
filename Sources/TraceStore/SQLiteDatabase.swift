import CSQLite

/// A SQLite call failed: the statement or step and SQLite's message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A connection to one SQLite database file, through SQLite's C API
/// (`sqlite3_open_v2`, `sqlite3_prepare_v3`, `sqlite3_bind_*`,
/// `sqlite3_step`). Enough for the trace store and for reading it back in
/// tests; not thread-safe.
public final class SQLiteDatabase {
    let handle: OpaquePointer

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws(SQLiteError) {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SQLiteError(description: "\(path): cannot open: \(message)")
        }
        handle = db
    }

    deinit { sqlite3_close_v2(handle) }

    var message: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            let text = error.map { String(cString: $0) } ?? message
            sqlite3_free(error)
            throw SQLiteError(description: "\(text) in: \(sql.prefix(80))")
        }
    }

    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else { throw SQLiteError(description: "\(message) in: \(sql.prefix(80))") }
        return SQLiteStatement(statement, database: self)
    }

    /// Every row of a query, each column as an `Int64`, `Double`, `String` or nil.
    public func rows(_ sql: String, _ arguments: [Int64] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        for (i, a) in arguments.enumerated() { statement.bind(Int32(i + 1), a) }
        var out: [[SQLiteValue]] = []
        while try statement.step() {
            out.append((0..<statement.columnCount).map { statement.value($0) })
        }
        return out
    }
}

/// One column value of a result row.
public enum SQLiteValue: Equatable, Sendable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    public var int: Int64? { if case .integer(let v) = self { v } else { nil } }
    public var double: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .real(let v): v
        default: nil
        }
    }
    public var string: String? { if case .text(let v) = self { v } else { nil } }
}

/// A prepared statement: bind, step, reset; finalized when released.
public final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let database: SQLiteDatabase

    init(_ handle: OpaquePointer, database: SQLiteDatabase) {
        self.handle = handle
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    @inline(__always) public func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }

    @inline(__always) public func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    /// Binds a literal's bytes without copying them (`SQLITE_STATIC`: a
    /// `StaticString` lives for the whole process).
    @inline(__always) public func bind(_ index: Int32, _ value: StaticString) {
        if value.hasPointerRepresentation {
            value.utf8Start.withMemoryRebound(to: CChar.self, capacity: value.utf8CodeUnitCount) {
                _ = sqlite3_bind_text(handle, index, $0, Int32(value.utf8CodeUnitCount), nil)
            }
        } else {
            bind(index, value.description)
        }
    }

    /// Binds a copy of `value`'s UTF-8 (`SQLITE_TRANSIENT`).
    public func bind(_ index: Int32, _ value: String) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        _ = sqlite3_bind_text(handle, index, value, -1, transient)
    }

    /// Steps once: true if a row is ready, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(description: database.message)
        }
    }

    /// Runs an insert or update to completion and makes the statement ready for the next.
    @inline(__always) public func run() throws(SQLiteError) {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        if rc != SQLITE_DONE { throw SQLiteError(description: database.message) }
    }

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public func value(_ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT: .text(String(cString: sqlite3_column_text(handle, column)))
        default: .null
        }
    }
}
