/// The version this build reports (`lunzhi version`, the console greeting).
enum LunzhiVersion {
    static let current = "0.1.0"
}
