import NIOCore

/// Splits the bytes of one read into every whole line they complete (without `\n` or `\r\n`),
/// passed on together so their replies can be written together.
struct LineBatchDecoder: ByteToMessageDecoder {
    typealias InboundOut = [ByteBuffer]

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var lines: [ByteBuffer] = []
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer.readSlice(length: newline - buffer.readerIndex)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.getInteger(at: line.writerIndex &- 1, as: UInt8.self) == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            lines.append(line)
        }
        if !lines.isEmpty { context.fireChannelRead(wrapInboundOut(lines)) }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A last line without its line break is not a request.
        _ = try decode(context: context, buffer: &buffer)
        return .needMoreData
    }
}
