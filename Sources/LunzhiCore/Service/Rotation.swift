public import PostgresLibPQ

/// Who chairs a mechanism on a day.
public struct ChairOfDay: Sendable, Equatable {
    public var mechanism: String
    public var date: CalendarDate
    /// The member holding chair powers that day (the acting chair, when one is designated).
    public var member: String
    /// The member whose term it is.
    public var termMember: String?
    public var acting: Bool
}

/// One line of the chair schedule: a term, or a gap with no chair.
public struct ScheduleEntry: Sendable, Equatable {
    public enum Kind: String, Sendable { case term, gap, acting }
    public var kind: Kind
    public var member: String?
    /// Inclusive first day.
    public var from: CalendarDate
    /// Exclusive end.
    public var until: CalendarDate
    /// The acting period's id (`CHAIR REVOKE <id>`); nil for terms and gaps.
    public var actingID: Int? = nil
}

/// Reads of the rotation calendar, shared by the service's checks.
enum Rotation {
    /// Throws notFound for an unknown mechanism (checked in the same query).
    static func chair(_ connection: PostgresConnection, mechanism: String, on date: CalendarDate) async throws
        -> ChairOfDay?
    {
        let rows = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM mechanism WHERE code = $1) AS known,
                   (SELECT member_code FROM chair_term WHERE mechanism_code = $1 AND term @> $2::date) AS term_member,
                   (SELECT member_code FROM acting_chair
                     WHERE mechanism_code = $1 AND period @> $2::date AND NOT revoked) AS acting_member
            """, [mechanism, date])
        let row = try rows.single()
        guard try row.decode("known", as: Bool.self) else { throw DomainError.notFound("mechanism", mechanism) }
        let termMember: String? = try row.decode("term_member")
        if let acting: String = try row.decode("acting_member") {
            return ChairOfDay(mechanism: mechanism, date: date, member: acting, termMember: termMember, acting: true)
        }
        guard let termMember else { return nil }
        return ChairOfDay(mechanism: mechanism, date: date, member: termMember, termMember: termMember, acting: false)
    }

    /// The term that contains 1 January of `year`.
    static func term(_ connection: PostgresConnection, mechanism: String, year: Int) async throws -> (
        id: Int, member: String, from: CalendarDate
    )? {
        let row = try await connection.query(
            "SELECT id, member_code, lower(term) AS start FROM chair_term WHERE mechanism_code = $1 AND term @> $2::date",
            [mechanism, ShanghaiCalendar.firstOfJanuary(year)]
        ).first
        guard let row else { return nil }
        return (try row.decode("id"), try row.decode("member_code"), try row.decode("start"))
    }
}
