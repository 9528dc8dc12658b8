import Foundation

/// What Stratum reads from a JPEG's marker segments before decoding: the EXIF orientation
/// (APP1 `Exif`).
///
/// Only the segments before the first scan (SOS) are read; every length is checked against
/// the bytes present, and at most 64 IFD entries are read, so hostile files cost nothing.
struct JPEGMarkers: Equatable {
    /// The EXIF orientation tag (1–8), when present and valid.
    var orientation: Int?

    init(_ bytes: [UInt8]) {
        var offset = 2
        while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { offset += 2; continue }
            if marker == 0xFF { offset += 1; continue }
            if marker == 0xDA || marker == 0xD9 { break }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let start = offset + 4, end = offset + 2 + length
            guard length >= 2, end <= bytes.count else { break }
            let segment = bytes[start..<end]
            if marker == 0xE1, segment.starts(with: Array("Exif\0\0".utf8)), orientation == nil {
                orientation = Self.exifOrientation(Array(segment.dropFirst(6)))
            }
            offset = end
        }
    }

    /// The number of scans (SOS segments) libjpeg would read from `bytes`, counted up to
    /// `limit + 1` (the walk stops there). Walked as libjpeg walks the file: segments by their
    /// lengths; between them, entropy-coded data and stray bytes alike skipped up to the next
    /// marker (stuffed zeros, restart markers and fill bytes are no marker; libjpeg skips
    /// stray bytes with a warning Stratum lets through, so they must not end the count);
    /// nothing after EOI. A progressive file needs about ten scans; libjpeg goes over every
    /// block of a component for each (see `ImageLimits.maxJPEGScans`).
    static func scanCount(_ bytes: [UInt8], limit: Int) -> Int {
        bytes.withUnsafeBufferPointer { data in
            let count = data.count
            var scans = 0, offset = 2
            while offset + 1 < count, scans <= limit {
                guard data[offset] == 0xFF else {                           // scan data or stray bytes
                    guard let next = memchr(data.baseAddress! + offset, 0xFF, count - offset) else { break }
                    offset = UnsafePointer<UInt8>(next.assumingMemoryBound(to: UInt8.self)) - data.baseAddress!
                    continue
                }
                let marker = data[offset + 1]
                if marker == 0xD9 { break }                                 // EOI
                if marker == 0xFF { offset += 1; continue }                 // fill byte
                // A stuffed zero, TEM, a restart marker, SOI: no length.
                if marker == 0x00 || marker == 0x01 || (0xD0...0xD8).contains(marker) { offset += 2; continue }
                guard offset + 3 < count else { break }
                let length = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
                if marker == 0xDA { scans += 1 }
                // A length below 2 skips nothing past itself: libjpeg reads an APPn, COM or DNL
                // segment so and goes on (found by review: stopping there let 4 bytes after SOI
                // hide every scan); on any other segment it fails anyway.
                offset += 2 + max(2, length)
            }
            return scans
        }
    }

    /// The orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block.
    static func exifOrientation(_ tiff: [UInt8]) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let high = u16(little ? at + 2 : at), let low = u16(little ? at : at + 2) else { return nil }
            return high << 16 | low
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<min(count, 64) {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112 {
                guard u16(at + 2) == 3, let value = u16(at + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }
}

extension RGBImage {
    /// The image as it is meant to be displayed given an EXIF orientation (1–8): 1 is as
    /// stored; 3 rotates 180°; 6 rotates 90° clockwise; 8 rotates 90° anticlockwise; 2, 4, 5
    /// and 7 are the mirrored forms (TIFF 6.0 / EXIF 2.3 definitions).
    public func oriented(_ orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation) else { return self }
        let transposed = orientation >= 5
        let outWidth = transposed ? height : width, outHeight = transposed ? width : height
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                // The stored pixel shown at display position (x, y).
                let (sx, sy): (Int, Int)
                switch orientation {
                case 2: (sx, sy) = (width - 1 - x, y)
                case 3: (sx, sy) = (width - 1 - x, height - 1 - y)
                case 4: (sx, sy) = (x, height - 1 - y)
                case 5: (sx, sy) = (y, x)
                case 6: (sx, sy) = (y, height - 1 - x)
                case 7: (sx, sy) = (width - 1 - y, height - 1 - x)
                default: (sx, sy) = (width - 1 - y, x)
                }
                let from = (sy * width + sx) * 3, to = (y * outWidth + x) * 3
                out[to] = pixels[from]; out[to + 1] = pixels[from + 1]; out[to + 2] = pixels[from + 2]
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }
}
