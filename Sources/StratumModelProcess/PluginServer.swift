import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StratumCore

/// Serves any `ImageClassifier` over the stdio plugin protocol: the plugin side of
/// docs/plugin-protocol.md, used by `stratum serve` (and to measure the protocol's overhead
/// against the same model in-process).
public enum PluginServer {
    /// Answers frames from `input` on `output` until `shutdown` or end of input.
    public static func serve(_ classifier: any ImageClassifier, input: FileHandle = .standardInput, output: FileHandle = .standardOutput) throws {
        // Raw read(2)/write(2): FileHandle's readData copies through small buffers and was
        // several times slower than the model itself for 200 KB batches.
        let inputFD = input.fileDescriptor, outputFD = output.fileDescriptor
        /// Exactly `count` bytes, or nil at end of input; memory grows as bytes arrive (1 MiB
        /// at a time), so a length prefix alone reserves nothing.
        func read(_ count: Int) -> [UInt8]? {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(min(count, 1 << 20))
            var piece = [UInt8](repeating: 0, count: min(count, 1 << 20))
            while bytes.count < count {
                let wanted = min(piece.count, count - bytes.count)
                let n = piece.withUnsafeMutableBytes { Glibc.read(inputFD, $0.baseAddress!, wanted) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return nil }
                bytes += piece[0..<n]
            }
            return bytes
        }
        /// The next frame: header decoded, body read straight into floats (predict bodies are float32).
        func next() throws -> (frame: PluginFrame, floats: [Float])? {
            guard let prefix = read(4) else { return nil }
            let length = PluginFrame.readUInt32(prefix[...])
            guard length >= 4, length <= PluginFrame.maximumLength, let jsonPrefix = read(4) else { return nil }
            let jsonLength = PluginFrame.readUInt32(jsonPrefix[...])
            guard jsonLength <= length - 4, let json = read(jsonLength) else { return nil }
            let frame = try PluginFrame.decode(jsonPrefix + json)
            let bodyLength = length - 4 - jsonLength
            // The body is read in pieces of at most 4 MiB, memory growing as bytes arrive: a
            // frame that declares 1 GiB and sends nothing reserves nothing.
            var floats: [Float] = []
            floats.reserveCapacity(min(bodyLength / 4, 1 << 20))
            var piece = [UInt8](repeating: 0, count: min(bodyLength, 4 << 20))
            var remaining = bodyLength
            while remaining > 0 {
                let wanted = min(remaining, piece.count)
                var filled = 0
                while filled < wanted {
                    let n = piece.withUnsafeMutableBytes { Glibc.read(inputFD, $0.baseAddress! + filled, wanted - filled) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return nil }
                    filled += n
                }
                piece.withUnsafeBytes { raw in
                    // Only whole floats count; a trailing partial float (a malformed body) is dropped.
                    let whole = (wanted / 4) * 4
                    for i in stride(from: 0, to: whole, by: 4) { floats.append(raw.loadUnaligned(fromByteOffset: i, as: Float.self)) }
                }
                remaining -= wanted
            }
            #if !_endian(little)
            floats = floats.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
            #endif
            return (frame, floats)
        }
        func send(_ frame: PluginFrame) throws {
            let bytes = try frame.encoded()
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(outputFD, $0.baseAddress! + offset, bytes.count - offset) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw PluginFrame.FrameError("cannot write to standard output: \(String(cString: strerror(errno)))") }
                offset += n
            }
        }

        guard let hello = try next()?.frame, hello.type == "hello" else { return }
        guard hello.header["protocol"]?.int == ProcessClassifier.protocolVersion else {
            try send(PluginFrame(header: ["type": .string("error"), "message": .string("this plugin speaks protocol \(ProcessClassifier.protocolVersion)")]))
            return
        }
        let d = classifier.descriptor
        try send(PluginFrame(header: [
            "type": .string("hello"), "protocol": .number(Double(ProcessClassifier.protocolVersion)), "name": .string(d.name),
            "labels": .array(d.labels.map { .string($0) }),
            "input": .object(["height": .number(Double(d.input.height)), "width": .number(Double(d.input.width)),
                              "channels": .number(Double(d.input.channels)), "normalization": .string(d.input.normalization.rawValue),
                              "center_crop": .bool(d.input.centerCrop)]),
        ]))
        while let (frame, values) = try next() {
            if frame.type == "shutdown" { return }
            let id = frame.header["id"] ?? .null
            // [N, H, W, C] with the model's H, W and C (bounded) and N ≥ 1 images in the body:
            // the product of the header's numbers overflowed, and a negative N reached the model
            // (review of hostile input).
            let image = d.input.height * d.input.width * d.input.channels
            guard frame.type == "predict", let shape = frame.header["shape"]?.array?.compactMap(\.int), shape.count == 4,
                  shape[0] >= 1, shape[1] == d.input.height, shape[2] == d.input.width, shape[3] == d.input.channels,
                  values.count % image == 0, values.count / image == shape[0] else {
                try send(PluginFrame(header: ["type": .string("error"), "id": id, "message": .string(
                    "expected a predict frame with a [N, \(d.input.height), \(d.input.width), \(d.input.channels)] float32 body of N ≥ 1 images")]))
                continue
            }
            do {
                let rows = try classifier.predict(ImageBatch(count: shape[0], height: shape[1], width: shape[2], channels: shape[3], values: values))
                let body = LittleEndianFloats.bytes(rows.flatMap { $0 })
                try send(PluginFrame(header: ["type": .string("result"), "id": id, "shape": .array([.number(Double(rows.count)), .number(Double(d.labels.count))]),
                                              "dtype": .string("float32")], body: body))
            } catch {
                try send(PluginFrame(header: ["type": .string("error"), "id": id, "message": .string("\(error)")]))
            }
        }
    }
}
