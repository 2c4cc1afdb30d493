/// Encodes an `Encodable` value as a `JSONValue`, keeping keys in the order `encode(to:)` writes
/// them: the domain's representations (`Representations.swift`) become the console's JSON replies
/// without hand-built objects, and any other front end gets the same facts.
public struct JSONValueEncoder {
    public init() {}

    public func encode(_ value: some Encodable) throws -> JSONValue {
        let root = Node()
        try value.encode(to: NodeEncoder(node: root, codingPath: []))
        return root.value
    }
}

extension JSONValue {
    /// The value as the domain represents it (`JSONValueEncoder`).
    public init(encoding value: some Encodable) throws { self = try JSONValueEncoder().encode(value) }
}

/// A value under construction: a leaf, an ordered object or an array.
private final class Node {
    enum Content {
        case empty
        case leaf(JSONValue)
        case object([(String, Node)])
        case array([Node])
    }
    var content: Content = .empty

    var value: JSONValue {
        switch content {
        case .empty: .null
        case .leaf(let v): v
        case .object(let members): .object(members.map { ($0.0, $0.1.value) })
        case .array(let items): .array(items.map(\.value))
        }
    }

    func child(_ key: String) -> Node {
        if case .object(var members) = content {
            if let existing = members.first(where: { $0.0 == key }) { return existing.1 }
            let node = Node()
            members.append((key, node))
            content = .object(members)
            return node
        }
        let node = Node()
        content = .object([(key, node)])
        return node
    }

    func appended() -> Node {
        let node = Node()
        if case .array(let items) = content { content = .array(items + [node]) } else { content = .array([node]) }
        return node
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([]) }
        return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return Unkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }
}

/// Leaves: strings, whole numbers, booleans, null. Other numbers are written as text by the
/// representations themselves (amounts of CNY are exact decimals).
private func leaf(_ value: some Encodable) -> JSONValue? {
    switch value {
    case let s as String: .string(s)
    case let i as Int: .int(i)
    case let b as Bool: .bool(b)
    default: nil
    }
}

private func encodeValue(_ value: some Encodable, into node: Node, path: [any CodingKey]) throws {
    if let leaf = leaf(value) {
        node.content = .leaf(leaf)
    } else {
        try value.encode(to: NodeEncoder(node: node, codingPath: path))
    }
}

private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(key.stringValue).content = .leaf(.null) }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        try encodeValue(value, into: node.child(key.stringValue), path: codingPath + [key])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.child("super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct Unkeyed: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    mutating func encodeNil() throws { node.appended().content = .leaf(.null) }
    mutating func encode(_ value: some Encodable) throws {
        try encodeValue(value, into: node.appended(), path: codingPath)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        NodeEncoder(node: node.appended(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.appended(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.appended(), codingPath: codingPath) }
}

private struct Single: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .leaf(.null) }
    mutating func encode(_ value: some Encodable) throws { try encodeValue(value, into: node, path: codingPath) }
}
