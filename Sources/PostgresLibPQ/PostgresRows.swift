import CLibPQ

/// A statement's complete result, copied out of libpq: column descriptions, rows, and the number
/// of rows the command affected.
public struct PostgresRows: Sendable, Sequence {
    public let columns: [PostgresColumn]
    public let rows: [PostgresRow]
    /// The command tag, e.g. `INSERT 0 1`.
    public let commandTag: String
    /// Rows inserted, updated, deleted, selected… (0 when the command reports none).
    public let affectedRows: Int

    public var count: Int { rows.count }
    public var isEmpty: Bool { rows.isEmpty }
    public var first: PostgresRow? { rows.first }
    public subscript(index: Int) -> PostgresRow { rows[index] }
    public func makeIterator() -> IndexingIterator<[PostgresRow]> { rows.makeIterator() }

    /// The single row of a statement that must return exactly one.
    public func single() throws -> PostgresRow {
        guard rows.count == 1 else {
            throw PostgresError(
                kind: .protocolViolation, code: .dataException,
                message: "expected exactly one row, got \(rows.count)")
        }
        return rows[0]
    }
}

/// A result column: its name and PostgreSQL type.
public struct PostgresColumn: Sendable, Hashable {
    public let name: String
    public let type: PostgresTypeOID
}

/// Column names to positions, shared by all rows of one result.
final class PostgresColumnIndex: Sendable {
    let columns: [PostgresColumn]
    let positions: [String: Int]

    init(columns: [PostgresColumn]) {
        self.columns = columns
        var positions: [String: Int] = [:]
        for (i, column) in columns.enumerated() where positions[column.name] == nil { positions[column.name] = i }
        self.positions = positions
    }
}

/// One result row. Values are kept in PostgreSQL's text format and decoded on request.
public struct PostgresRow: Sendable {
    let index: PostgresColumnIndex
    let values: [String?]

    public var columns: [PostgresColumn] { index.columns }

    /// True when the named column is SQL NULL.
    public func isNull(_ column: String) throws -> Bool { values[try position(of: column)] == nil }

    /// Decodes the named column; the error names the column and the type asked for.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try decode(at: try position(of: column), label: column, as: type)
    }

    /// Decodes the column at a position (0-based).
    public func decode<T: PostgresDecodable>(_ position: Int, as type: T.Type = T.self) throws -> T {
        guard position >= 0, position < values.count else {
            throw PostgresDecodingError(
                column: "#\(position)", expectedType: T.postgresTypeName, actualType: .unspecified,
                reason: "the row has \(values.count) columns")
        }
        return try decode(at: position, label: index.columns[position].name, as: type)
    }

    /// Shorthand for `decode(column)` with the type inferred.
    public subscript<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) -> T {
        get throws { try decode(column, as: type) }
    }

    private func position(of column: String) throws -> Int {
        guard let position = index.positions[column] else {
            throw PostgresDecodingError(
                column: column, expectedType: "column", actualType: .unspecified,
                reason: "no such column (have: \(index.columns.map(\.name).joined(separator: ", ")))")
        }
        return position
    }

    private func decode<T: PostgresDecodable>(at position: Int, label: String, as type: T.Type) throws -> T {
        let column = index.columns[position]
        do {
            if let text = values[position] { return try T(postgresText: text, type: column.type) }
            return try T.postgresNull()
        } catch let failure as PostgresDecodingFailure {
            throw PostgresDecodingError(
                column: label, expectedType: T.postgresTypeName, actualType: column.type, reason: failure.reason)
        }
    }
}

/// A result in PostgreSQL's binary format, as libpq holds it (`PostgresConnection.queryBinary`):
/// values are read in place, without a copy per cell. Freed with the last reference.
public final class PostgresBinaryResult: @unchecked Sendable {
    // @unchecked: the PGresult is only read after the query returned it (libpq results are
    // immutable and safe to read from any thread), and freed once, in deinit.
    private let result: OpaquePointer
    public let count: Int
    public let columnCount: Int

    init(owning result: OpaquePointer) {
        self.result = result
        self.count = Int(PQntuples(result))
        self.columnCount = Int(PQnfields(result))
    }

    deinit { PQclear(result) }

    /// The value at `row`, `column` (0-based), nil for NULL; valid while this result lives.
    public func value(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer? {
        precondition(row >= 0 && row < count && column >= 0 && column < columnCount, "no such cell")
        if PQgetisnull(result, Int32(row), Int32(column)) != 0 { return nil }
        return UnsafeRawBufferPointer(
            start: PQgetvalue(result, Int32(row), Int32(column)), count: Int(PQgetlength(result, Int32(row), Int32(column))))
    }

    /// A bigint (int8) value, or nil for NULL.
    public func int64(_ row: Int, _ column: Int) -> Int64? {
        guard let bytes = value(row, column), bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | Int64($1) }
    }
}
