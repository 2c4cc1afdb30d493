public import Foundation
import PostgresLibPQ

/// A cooperation project.
public struct Project: Sendable, Equatable {
    public var id: Int
    public var mechanism: String
    public var name: String
    public var enterprises: [String]
    /// CNY, exact.
    public var investment: Decimal
    public var industry: Industry
    public var subIndustry: String
    public var source: SourceRegion
    public var hostMember: String
    public var place: String
    public var stage: ProjectStage
    /// (stage, when) in order.
    public var history: [StageChange]

    public struct StageChange: Sendable, Equatable {
        public var stage: ProjectStage
        public var at: Date
    }
}

/// What a clerk registers.
public struct ProjectDraft: Sendable {
    public var name: String
    public var enterprises: [String]
    public var investment: Decimal
    public var industry: Industry
    public var subIndustry: String
    public var source: SourceRegion
    /// Defaults to the caller's member.
    public var hostMember: String?
    public var place: String
    public var stage: ProjectStage

    public init(
        name: String, enterprises: [String] = [], investment: Decimal, industry: Industry, subIndustry: String = "",
        source: SourceRegion, hostMember: String? = nil, place: String = "", stage: ProjectStage = .planned
    ) {
        self.name = name
        self.enterprises = enterprises
        self.investment = investment
        self.industry = industry
        self.subIndustry = subIndustry
        self.source = source
        self.hostMember = hostMember
        self.place = place
        self.stage = stage
    }
}

/// One row of a project report: a group, the number of projects and their total investment.
public struct ReportRow: Sendable, Equatable {
    public var group: String
    public var count: Int
    /// CNY, exact.
    public var investment: Decimal
}

public enum ReportDimension: String, Sendable, CaseIterable {
    case industry, band, source, host
}

/// The result of screening a project against the excluded-industry catalogue.
public struct Screening: Sendable, Equatable {
    public var catalogueVersion: Int
    /// The catalogue entry the project falls under, if any.
    public var screenedCode: String?
    public var isScreened: Bool { screenedCode != nil }

    public init(catalogueVersion: Int, screenedCode: String?) {
        self.catalogueVersion = catalogueVersion
        self.screenedCode = screenedCode
    }
}

extension Cooperation {
    /// Registers a project hosted by the caller's own member. Clerks only.
    public func addProject(by principal: Int, mechanism: String? = nil, _ draft: ProjectDraft) async throws -> Project {
        let name = try TextRule.check(draft.name, field: "name", maxLength: 200)
        let enterprises = try draft.enterprises.map { try TextRule.check($0, field: "enterprise", maxLength: 200) }
        let subIndustry = try TextRule.check(draft.subIndustry, field: "sub-industry", maxLength: 100, required: false)
        let place = try TextRule.check(draft.place, field: "place", maxLength: 200, required: false)
        guard draft.investment >= 0, !draft.investment.isNaN, draft.investment < Decimal(string: "1e17")! else {
            throw DomainError.invalid("investment_amount")
        }
        return try await change(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let own = try context.ownMember(in: mechanism)
            let host = draft.hostMember ?? own
            guard try await context.members(of: mechanism).contains(host) else {
                throw DomainError.notFound("member", host)
            }
            let id: Int = try await context.query(
                """
                INSERT INTO project (mechanism_code, name, enterprises, investment, industry, sub_industry, source_region,
                                     host_member, place, stage, created_by, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
                """,
                [
                    mechanism, name, enterprises, draft.investment, draft.industry.rawValue, subIndustry,
                    draft.source.rawValue, host, place, draft.stage.rawValue, context.caller.id, context.now,
                ]
            ).single().decode("id")
            try await context.query(
                "INSERT INTO project_stage (project_id, stage, at, by) VALUES ($1, $2, $3, $4)",
                [id, draft.stage.rawValue, context.now, context.caller.id])
            try await context.audit(
                "project.add", entity: "project", id: id, mechanism: mechanism,
                after: try await context.snapshot(.project, id: id))
            return try await loadProject(context, id)
        }
    }

    /// Moves a project to a stage, keeping the history. Clerks of the host member only.
    public func setProjectStage(by principal: Int, id: Int, stage: ProjectStage) async throws -> Project {
        try await change(by: principal) { context in
            let project = try await loadProject(context, id, lock: true)
            guard context.caller.clerkMember(in: project.mechanism) == project.hostMember else {
                throw DomainError(.notOwnMember, detail: "host_stage", ["member": "\(project.hostMember)"])
            }
            guard project.stage != stage else {
                throw DomainError(
                    .wrongState, detail: "project_already", ["id": "\(id)", "stage": .term("stage", stage.rawValue)],
                    state: stage.rawValue)
            }
            let before = try await context.snapshot(.project, id: id)
            try await context.query("UPDATE project SET stage = $2 WHERE id = $1", [id, stage.rawValue])
            try await context.query(
                "INSERT INTO project_stage (project_id, stage, at, by) VALUES ($1, $2, $3, $4)",
                [id, stage.rawValue, context.now, context.caller.id])
            try await context.audit(
                "project.stage", entity: "project", id: id, mechanism: project.mechanism, before: before,
                after: try await context.snapshot(.project, id: id))
            return try await loadProject(context, id)
        }
    }

    public func project(by principal: Int, id: Int) async throws -> Project {
        try await read(by: principal) { context in try await loadProject(context, id) }
    }

    public func projects(by principal: Int, mechanism: String? = nil, limit: Int = 200) async throws -> [Project] {
        try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            let ids: [Int] = try await context.query(
                "SELECT id FROM project WHERE mechanism_code = $1 ORDER BY id LIMIT $2",
                [mechanism, min(max(limit, 1), 1000)]
            ).map { try $0.decode("id") }
            var result: [Project] = []
            for id in ids { result.append(try await loadProject(context, id)) }
            return result
        }
    }

    /// Count and total investment of projects by a dimension (domain.md's tables), with a total row.
    public func projectReport(by principal: Int, mechanism: String? = nil, by dimension: ReportDimension) async throws
        -> [ReportRow]
    {
        try await read(by: principal) { context in
            let mechanism = try await context.mechanism(mechanism)
            // The grouping expression is chosen from a fixed set, never from input.
            let group =
                switch dimension {
                case .industry: "industry"
                case .source: "source_region"
                case .host: "host_member"
                case .band:
                    "CASE WHEN investment >= 5000000000 THEN 'ge_50yi' WHEN investment >= 1000000000 THEN '10_50yi' ELSE 'lt_10yi' END"
                }
            let rows = try await context.query(
                """
                SELECT coalesce(g, 'total') AS grp, count(*) AS n, coalesce(sum(investment), 0) AS total
                FROM (SELECT \(group) AS g, investment FROM project WHERE mechanism_code = $1) p
                GROUP BY ROLLUP (g) ORDER BY g IS NULL, total DESC, g
                """, [mechanism])
            return try rows.map {
                ReportRow(group: try $0.decode("grp"), count: try $0.decode("n"), investment: try $0.decode("total"))
            }
        }
    }

    /// Screens a project against the catalogue in force today.
    func screen(_ context: ChangeContext, project: Project) async throws -> Screening {
        let version: Int? = try await context.query(
            "SELECT max(version) AS v FROM screening_catalogue WHERE effective <= $1", [context.today]
        ).single().decode("v")
        guard let version else { return Screening(catalogueVersion: 0, screenedCode: nil) }
        // Matched in the service on normalised text (TextMatch), so look-alike letters, full-width
        // forms, zero-width and bidi characters, punctuation and longer names (钢铁冶炼) are caught.
        let terms = try await context.query(
            "SELECT code, name FROM screening_catalogue WHERE version = $1 ORDER BY code", [version]
        ).map { (code: try $0.decode("code", as: String.self), name: try $0.decode("name", as: String.self)) }
        let text = project.subIndustry + " " + project.name
        let code = terms.first { term in
            TextMatch.contains(project.subIndustry, term: term.code)
                || TextMatch.contains(project.subIndustry, term: term.code.replacingOccurrences(of: "_", with: " "))
                || TextMatch.contains(text, term: term.name)
        }?.code
        return Screening(catalogueVersion: version, screenedCode: code)
    }

    func loadProject(_ context: ChangeContext, _ id: Int, lock: Bool = false) async throws -> Project {
        let row = try await context.query("SELECT * FROM project WHERE id = $1" + (lock ? " FOR UPDATE" : ""), [id])
            .first
        guard let row else { throw DomainError.notFound("project", id) }
        let history = try await context.query(
            "SELECT stage, at FROM project_stage WHERE project_id = $1 ORDER BY at", [id]
        ).map {
            Project.StageChange(stage: try $0.decode("stage", as: ProjectStage.self), at: try $0.decode("at"))
        }
        return Project(
            id: id, mechanism: try row.decode("mechanism_code"), name: try row.decode("name"),
            enterprises: try row.decode("enterprises"), investment: try row.decode("investment"),
            industry: try row.decode("industry", as: Industry.self), subIndustry: try row.decode("sub_industry"),
            source: try row.decode("source_region", as: SourceRegion.self), hostMember: try row.decode("host_member"),
            place: try row.decode("place"), stage: try row.decode("stage", as: ProjectStage.self), history: history)
    }
}
