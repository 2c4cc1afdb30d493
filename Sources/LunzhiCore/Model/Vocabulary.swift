// The mechanism's words as Swift types. Raw values are what the database and the console use.

/// How urgently a matter is handled: 一般, 急事急办, 特事特办.
public enum Track: String, Sendable, CaseIterable, Codable {
    case regular, urgent, special
}

/// What an agenda item is about (seed 000's four kinds of major matter, plus other).
public enum ItemCategory: String, Sendable, CaseIterable, Codable {
    /// 产业合作发展方向
    case direction
    /// 工作重点
    case priorities
    /// 重大合作项目
    case majorProject = "major_project"
    /// 政策措施
    case policy
    case other
}

public enum ConsultationKind: String, Sendable, CaseIterable, Codable {
    case meeting, extraordinary, written
}

/// Written procedures: `consent` needs every member's answer; `silence` adopts unless a member
/// objects by the response deadline, and must be chosen explicitly.
public enum ConsultationRule: String, Sendable, CaseIterable, Codable {
    case consent, silence
}

public enum Stance: String, Sendable, CaseIterable, Codable {
    case agree, object, abstain, reserve
}

public enum Outcome: String, Sendable, CaseIterable, Codable {
    case adopted, rejected, deferred
}

/// domain.md's industry classes.
public enum Industry: String, Sendable, CaseIterable, Codable {
    /// 能源及原材料
    case energyMaterials = "energy_materials"
    /// 轻工、食品
    case lightFood = "light_food"
    /// 医药
    case pharmaceuticals
    /// 装备制造
    case equipment
    /// 循环经济
    case circular
    /// 其他
    case other
}

/// Where the transferred industry comes from.
public enum SourceRegion: String, Sendable, CaseIterable, Codable {
    /// 东中部
    case eastCentral = "east_central"
    /// 西部
    case west
    /// 境外
    case abroad
}

/// Seed 003's stage lists.
public enum ProjectStage: String, Sendable, CaseIterable, Codable {
    /// 谋划及储备
    case planned
    /// 新开工
    case started
    /// 在建
    case underConstruction = "under_construction"
    /// 竣工
    case completed
}

/// Investment bands of domain.md's tables (亿元 = 100,000,000 CNY).
public enum InvestmentBand: String, Sendable, CaseIterable, Codable {
    /// 50亿 and above
    case atLeast50Yi = "ge_50yi"
    /// 10亿 up to 50亿
    case from10To50Yi = "10_50yi"
    /// below 10亿
    case below10Yi = "lt_10yi"
}

public enum Role: String, Sendable, CaseIterable, Codable {
    case clerk, auditor, `operator`
}
