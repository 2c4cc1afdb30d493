public import PostgresLibPQ

// The vocabulary's words are stored as text; each decodes from its column, and a word the code
// does not know fails that one request (PostgresDecodable+RawRepresentable.swift).
extension Track: PostgresDecodable {}
extension ItemCategory: PostgresDecodable {}
extension ItemState: PostgresDecodable {}
extension ConsultationKind: PostgresDecodable {}
extension ConsultationRule: PostgresDecodable {}
extension ConsultationState: PostgresDecodable {}
extension Stance: PostgresDecodable {}
extension Industry: PostgresDecodable {}
extension SourceRegion: PostgresDecodable {}
extension ProjectStage: PostgresDecodable {}
extension ApprovalState: PostgresDecodable {}
extension ScheduleEntry.Kind: PostgresDecodable {}
