/// Adds and reads the text chunks of PNG files (the simplified libpng API writes none).
///
/// A chunk is: 4-byte big-endian data length, 4-byte type, data, CRC-32 of type + data.
/// ASCII text goes in a `tEXt` chunk: a keyword (1–79 bytes), a zero byte, the text. Other
/// text goes in an `iTXt` chunk, PNG's UTF-8 text: keyword, zero, compression flag and method
/// (0, 0: uncompressed), an empty language tag and translated keyword (each ended by a zero),
/// the UTF-8 text. (`tEXt` is Latin-1: the captions' "→" and "—" written there as UTF-8 showed
/// as "â€”" in other readers.)
public enum PNGTextChunks {
    /// Returns `png` with one text chunk per entry inserted before `IEND`.
    public static func insert(_ entries: [(keyword: String, text: String)], into png: [UInt8]) throws -> [UInt8] {
        guard png.starts(with: PNGCodec.signature), png.count >= 20 else {
            throw ImageError(source: "PNG text chunk", reason: .corrupt(format: "PNG", message: "not a PNG"))
        }
        let iendStart = png.count - 12
        guard Array(png[(iendStart + 4)..<(iendStart + 8)]) == Array("IEND".utf8) else {
            throw ImageError(source: "PNG text chunk", reason: .corrupt(format: "PNG", message: "IEND is not the last chunk"))
        }
        var chunks: [UInt8] = []
        for (keyword, text) in entries {
            let key = Array(keyword.utf8)
            precondition((1...79).contains(key.count) && key.allSatisfy { $0 >= 32 && $0 < 127 }, "PNG keyword must be 1–79 printable ASCII bytes")
            let bytes = Array(text.utf8)
            chunks += bytes.allSatisfy({ $0 < 0x80 })
                ? chunk(type: "tEXt", data: key + [0] + bytes)
                : chunk(type: "iTXt", data: key + [0, 0, 0, 0, 0] + bytes)
        }
        return Array(png[..<iendStart]) + chunks + Array(png[iendStart...])
    }

    /// Every `tEXt` and uncompressed `iTXt` chunk of `png` as (keyword, text), in file order
    /// (`tEXt` read as UTF-8 when it is, as earlier galleries wrote it, else as Latin-1).
    public static func read(_ png: [UInt8]) -> [(keyword: String, text: String)] {
        var result: [(String, String)] = []
        var offset = 8
        while offset + 12 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let start = offset + 8, end = start + length
            guard end + 4 <= png.count else { break }
            if type == "tEXt", let zero = png[start..<end].firstIndex(of: 0) {
                let text = png[(zero + 1)..<end]
                result.append((String(decoding: png[start..<zero], as: UTF8.self),
                               String(validating: text, as: UTF8.self) ?? String(String.UnicodeScalarView(text.map { Unicode.Scalar($0) }))))
            } else if type == "iTXt", let zero = png[start..<end].firstIndex(of: 0), zero + 2 < end, png[zero + 1] == 0,
                      let language = png[(zero + 3)..<end].firstIndex(of: 0), let translated = png[(language + 1)..<end].firstIndex(of: 0) {
                result.append((String(decoding: png[start..<zero], as: UTF8.self), String(decoding: png[(translated + 1)..<end], as: UTF8.self)))
            }
            offset = end + 4
        }
        return result
    }

    static func chunk(type: String, data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        let length = UInt32(data.count)
        let crc = CRC32.checksum(typeBytes + data)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + typeBytes + data
            + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }
}

/// CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected), as PNG chunks use.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
