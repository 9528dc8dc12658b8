// A Stratum plugin in Swift, written from docs/plugin-protocol.md alone (it uses no Stratum code).
//
// A deliberately simple "model": it looks at a 16×16 gray image and calls darker images with a
// darker lower half (beards, short dark hair framing the jaw) more likely male. Its point is
// the protocol, not accuracy.

import Foundation

let stdinHandle = FileHandle.standardInput
let stdoutHandle = FileHandle.standardOutput

func readExactly(_ count: Int) -> Data? {
    var data = Data()
    while data.count < count {
        let chunk = stdinHandle.readData(ofLength: count - data.count)
        if chunk.isEmpty { return nil }
        data.append(chunk)
    }
    return data
}

func littleEndianUInt32(_ data: Data, at offset: Int) -> Int {
    let bytes = [UInt8](data[(data.startIndex + offset)..<(data.startIndex + offset + 4)])
    return Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
}

func readFrame() -> (header: [String: Any], body: Data)? {
    guard let prefix = readExactly(4) else { return nil }
    guard let payload = readExactly(littleEndianUInt32(prefix, at: 0)) else { return nil }
    let headerLength = littleEndianUInt32(payload, at: 0)
    let json = payload[(payload.startIndex + 4)..<(payload.startIndex + 4 + headerLength)]
    guard let header = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { return nil }
    return (header, Data(payload[(payload.startIndex + 4 + headerLength)...]))
}

func uint32Bytes(_ value: Int) -> Data {
    var v = UInt32(value).littleEndian
    return Data(bytes: &v, count: 4)
}

func writeFrame(_ header: [String: Any], body: Data = Data()) {
    guard let json = try? JSONSerialization.data(withJSONObject: header) else { return }
    stdoutHandle.write(uint32Bytes(4 + json.count + body.count) + uint32Bytes(json.count) + json + body)
}

let side = 16
guard let hello = readFrame(), hello.header["type"] as? String == "hello" else { exit(1) }
guard hello.header["protocol"] as? Int == 1 else {
    writeFrame(["type": "error", "message": "this plugin speaks protocol 1"])
    exit(1)
}
writeFrame(["type": "hello", "protocol": 1, "name": "swift-brightness", "labels": ["female", "male"],
            "input": ["height": side, "width": side, "channels": 1, "normalization": "unit"]])

while let frame = readFrame() {
    let type = frame.header["type"] as? String
    if type == "shutdown" { exit(0) }
    guard type == "predict", let id = frame.header["id"] as? Int, let shape = frame.header["shape"] as? [Int], shape.count == 4 else {
        writeFrame(["type": "error", "message": "expected a predict frame"])
        continue
    }
    let count = shape[0], pixels = shape[1] * shape[2] * shape[3]
    var values = [Float](repeating: 0, count: frame.body.count / 4)
    _ = values.withUnsafeMutableBytes { frame.body.copyBytes(to: $0) }
    var output = Data()
    for image in 0..<count {
        let pixelsOfImage = values[(image * pixels)..<((image + 1) * pixels)]
        let lowerHalf = pixelsOfImage.suffix(pixels / 2)
        let brightness = pixelsOfImage.reduce(0, +) / Float(pixels)
        let lower = lowerHalf.reduce(0, +) / Float(lowerHalf.count)
        let score = 6 * (brightness - lower) + 2 * (0.5 - brightness)
        let male = 1 / (1 + Float(exp(Double(-score))))
        for probability in [1 - male, male] {
            var bits = probability.bitPattern.littleEndian
            output.append(Data(bytes: &bits, count: 4))
        }
    }
    writeFrame(["type": "result", "id": id, "shape": [count, 2], "dtype": "float32"], body: output)
}
