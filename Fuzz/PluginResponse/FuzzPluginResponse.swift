// Plugin frames, plugin → host: what ProcessClassifier does with a plugin's answers — the
// length check of `receive`, PluginFrame.decode, error frames, the `hello` handshake
// (`describe`) and `result` frames (`probabilities`) — plus re-encoding each decoded frame.
//
// Input: the plugin's standard output: frames (u32 LE length, u32 LE header length, header
// JSON, body). The first is the hello; result k answers request id k for 1 + k % 3 images.
// `receive` itself reads from a child process, so its six lines of framing are restated here.
import StratumCore
@testable import StratumModelProcess

struct EndOfInput: Error {}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    var offset = 0
    func read(_ count: Int) throws -> [UInt8] {
        guard count <= bytes.count - offset else { throw EndOfInput() }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
    // ProcessClassifier.receive, reading from the input instead of a process.
    func receive() throws -> PluginFrame {
        let length = PluginFrame.readUInt32(try read(4)[...])
        guard length >= 4, length <= PluginFrame.maximumLength else {
            throw PluginFrame.FrameError("malformed frame: length \(length)")
        }
        let frame = try PluginFrame.decode(try read(length))
        // Every decoded frame encodes again (the host's own sending path).
        if let encoded = try? frame.encoded() { _ = try? PluginFrame.decode(Array(encoded.dropFirst(4))) }
        if frame.type == "error" {
            throw PluginFrame.FrameError("the plugin reported an error: \(frame.header["message"]?.string ?? "(no message)")")
        }
        return frame
    }
    do {
        let descriptor = try ProcessClassifier.describe(try receive(), name: "fuzz", contentHash: "")
        var id = 1
        while true {
            let reply = try receive()
            do {
                _ = try ProcessClassifier.probabilities(reply, id: id, count: 1 + id % 3, labels: descriptor.labels.count)
            } catch let error as PluginFrame.FrameError {
                _ = error.description
            }
            id += 1
        }
    } catch {
        _ = "\(error)"
    }
    return 0
}
