import Foundation
import StratumCore
import StratumImaging

extension Gallery {
    /// Pixel geometry of the gallery.
    struct Layout {
        let margin = 14, headerHeight = 58, sectionTitleHeight = 26, sectionGap = 28, lineHeight = 14
        let cellWidth: Int, cellHeight: Int, thumb: Int, columns: Int, captionLines: Int
        let rows: Int, sectionWidth: Int, width: Int, height: Int

        init(_ gallery: Gallery) {
            thumb = gallery.thumb
            columns = max(1, gallery.columns)
            captionLines = gallery.sections.flatMap(\.items).map(\.caption.count).max() ?? 3
            // Wide enough for the longest caption (≈6 px a character at 8 pt), within 150…260 px.
            let longest = gallery.sections.flatMap(\.items).flatMap(\.caption).map(\.count).max() ?? 0
            cellWidth = max(thumb, min(260, max(150, longest * 6 + 4))) + 10
            cellHeight = thumb + 10 + captionLines * lineHeight + 8
            let perRow = max(1, gallery.columns)
            rows = max(1, gallery.sections.map { ($0.items.count + perRow - 1) / perRow }.max() ?? 1)
            sectionWidth = columns * cellWidth
            let sections = max(1, gallery.sections.count)
            width = max(640, 2 * margin + sections * sectionWidth + (sections - 1) * sectionGap)
            height = margin + headerHeight + sectionTitleHeight + rows * cellHeight + margin
        }

        func sectionX(_ index: Int) -> Int { margin + index * (sectionWidth + sectionGap) }
        func cellOrigin(section: Int, index: Int) -> (x: Int, y: Int) {
            (sectionX(section) + (index % columns) * cellWidth, margin + headerHeight + sectionTitleHeight + (index / columns) * cellHeight)
        }
        /// Characters that fit a caption line (DejaVu Sans 8 pt averages ~6 px a character).
        var captionCharacters: Int { (cellWidth - 8) / 6 }

        /// The canvas rows that hold text, as sorted, disjoint bands: the header (with room for
        /// "nothing to show" under an empty section's title) and each row's caption band, from
        /// below the thumbnails' frames to the end of the cell. gnuplot draws only these rows,
        /// stacked: on a 1916×892 gallery that is 39% of the pixels it would otherwise encode
        /// as PNG, which was two thirds of its time.
        func textBands(anEmptySection: Bool) -> [Range<Int>] {
            let top = margin + headerHeight + sectionTitleHeight
            var bands = [0..<(top + (anEmptySection ? 28 : 0))]
            for row in 0..<rows {
                let cell = top + row * cellHeight
                let band = (cell + thumb + 8)..<(cell + cellHeight)
                if let last = bands.last, band.lowerBound <= last.upperBound {
                    bands[bands.count - 1] = last.lowerBound..<max(last.upperBound, band.upperBound)
                } else {
                    bands.append(band)
                }
            }
            return bands
        }
    }

    /// Where canvas rows land on gnuplot's page of stacked text bands.
    struct TextPage {
        let bands: [Range<Int>]
        var height: Int { bands.reduce(0) { $0 + $1.count } }

        /// The page row showing canvas row `y` (which lies in a band).
        func row(_ y: Int) -> Int {
            var start = 0
            for band in bands {
                if band.contains(y) { return start + y - band.lowerBound }
                start += band.count
            }
            preconditionFailure("canvas row \(y) lies in no text band \(bands)")
        }

        /// Copies the bands' rows of `canvas` into `page`, stacked (`toPage`), or back.
        func copy(_ canvas: inout RGBImage, _ page: inout RGBImage, toPage: Bool) {
            let stride = canvas.width * 3
            var start = 0
            for band in bands {
                let canvasRange = (band.lowerBound * stride)..<(band.upperBound * stride)
                let pageRange = (start * stride)..<((start + band.count) * stride)
                if toPage { page.pixels[pageRange] = canvas.pixels[canvasRange] } else { canvas.pixels[canvasRange] = page.pixels[pageRange] }
                start += band.count
            }
        }
    }

    /// A piece of text gnuplot draws: canvas pixel coordinates of its left end, point size.
    struct Label {
        let text: String, x: Int, y: Int, size: Int, bold: Bool, color: String
        init(_ text: String, _ x: Int, _ y: Int, _ size: Int, _ bold: Bool, _ color: String) {
            (self.text, self.x, self.y, self.size, self.bold, self.color) = (text, x, y, size, bold, color)
        }
    }

    /// Every text of the gallery: title, subtitle, section titles, captions.
    func textLabels(_ layout: Layout) -> [Label] {
        var labels: [Label] = [
            Label(title, layout.margin, layout.margin + 16, 13, true, "#1a1a1a"),
            Label(subtitle, layout.margin, layout.margin + 38, 10, false, "#333333"),
        ]
        for (s, section) in sections.enumerated() {
            labels.append(Label(section.title, layout.sectionX(s), layout.margin + layout.headerHeight + 12, 10, true, "#1a1a1a"))
            if section.items.isEmpty {
                labels.append(Label("nothing to show", layout.sectionX(s) + 6, layout.margin + layout.headerHeight + layout.sectionTitleHeight + 20, 9, false, "#666666"))
            }
            for (i, item) in section.items.enumerated() {
                let (x, y) = layout.cellOrigin(section: s, index: i)
                for (line, text) in item.caption.enumerated() {
                    labels.append(Label(GnuplotText.clipped(text, to: layout.captionCharacters), x + 3, y + thumb + 18 + line * layout.lineHeight, 8, line == 0, "#222222"))
                }
            }
        }
        return labels
    }

    /// Total thumbnails drawn.
    public var thumbnailCount: Int { sections.reduce(0) { $0 + $1.items.count } }

    /// Composes the thumbnails (libpng decode, bilinear resize) into a canvas, has gnuplot draw
    /// the text alone on a transparent page of the canvas's text bands (`Layout.textBands`,
    /// stacked), lays that text over the canvas, and writes the PNG with the captions in `tEXt`
    /// chunks (`Stratum:captions`, one line per thumbnail: `key | line | line…`). Reads exactly
    /// the images it shows, once each.
    ///
    /// gnuplot never sees the pixels: drawn by gnuplot as an image plot, a 1916×892 gallery took
    /// it 0.5–0.8 s and ~100 bytes per pixel; its text alone, on the text bands, takes a gnuplot
    /// process 0.07 s (0.1 s on a page of the whole canvas) and little memory, and every
    /// thumbnail pixel lands exactly as composed.
    ///
    /// gnuplot draws first; `composing` runs what holds the canvas (thumbnails, the text laid
    /// over, the encoded file: ~7 MB for 1916×892): `RunReport` passes one lock to all its
    /// galleries, so their gnuplot pages are drawn in parallel and one canvas is held at a time.
    ///
    /// Each image is read once, first, and checked against the fingerprint the run stored for
    /// it. A file changed since the run (regenerated, re-encoded, replaced under `--data-root`)
    /// is not the image the caption's prediction was made on, and one that cannot be read now
    /// (deleted, moved) cannot be shown: neither is drawn. Its cell shows a crossed grey box, its
    /// caption and the subtitle say why, and it is returned; the gallery is drawn all the same.
    @discardableResult
    public func render(to url: URL, gnuplot: some GnuplotRunner, composing: (() throws -> Void) throws -> Void = { try $0() }) throws -> [Omission] {
        var gallery = self
        var omitted: [Omission] = []
        var thumbnails: [[RGBImage?]] = []
        for s in sections.indices {
            thumbnails.append(sections[s].items.indices.map { i in
                let item = sections[s].items[i]
                do {
                    let bytes = try ImageFile.contents(of: item.image.path)
                    if let expected = item.fingerprint, ContentFingerprint.of(bytes) != expected {
                        omitted.append(Omission(sampleKey: item.sampleKey, path: item.image.path, reason: .changed))
                    } else {
                        return try ImageFile.decode(bytes, source: item.image.path).thumbnail(side: thumb)
                    }
                } catch {
                    let cause = (error as? ImageError).map { error -> String in
                        if case .unreadable(let message) = error.reason { return message }
                        return error.explanation
                    } ?? "\(error)"
                    omitted.append(Omission(sampleKey: item.sampleKey, path: item.image.path, reason: .unreadable(cause)))
                }
                // In place of an empty last line (a sample without tags), else below the caption.
                let why = omitted[omitted.count - 1].reason.caption
                if gallery.sections[s].items[i].caption.last?.isEmpty == true {
                    gallery.sections[s].items[i].caption[gallery.sections[s].items[i].caption.count - 1] = why
                } else {
                    gallery.sections[s].items[i].caption.append(why)
                }
                return nil
            })
        }
        let changed = omitted.filter { $0.reason == .changed }.count, unreadable = omitted.count - changed
        if !omitted.isEmpty {
            let parts = [changed > 0 ? "\(changed) changed since the run" : nil, unreadable > 0 ? "\(unreadable) unreadable now" : nil].compactMap { $0 }
            gallery.subtitle += "; \(omitted.count) image\(omitted.count == 1 ? "" : "s") not drawn (\(parts.joined(separator: ", ")))"
        }
        try gallery.draw(to: url, thumbnails: thumbnails, gnuplot: gnuplot, composing: composing)
        return omitted
    }

    /// A thumbnail a gallery did not draw, and why.
    public struct Omission: Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            /// The file's bytes are not those the run read (its fingerprint differs).
            case changed
            /// The file cannot be read or decoded now (the cause).
            case unreadable(String)

            /// The caption line under the crossed box.
            var caption: String {
                switch self {
                case .changed: return "file changed since the run"
                case .unreadable: return "image unreadable now"
                }
            }
        }
        public var sampleKey: String
        /// The file tried.
        public var path: String
        public var reason: Reason
        public init(sampleKey: String, path: String, reason: Reason) {
            self.sampleKey = sampleKey
            self.path = path
            self.reason = reason
        }
    }

    private func draw(to url: URL, thumbnails: [[RGBImage?]], gnuplot: some GnuplotRunner, composing: (() throws -> Void) throws -> Void) throws {
        let layout = Layout(self)
        let page = TextPage(bands: layout.textBands(anEmptySection: sections.contains { $0.items.isEmpty }))
        let labels = textLabels(layout)
        // Working files live beside the output (removed when done; a killed run's leftovers are
        // removed by the next render of the folder, `RunReport.removeLeftovers`).
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let drawn = Gnuplot.workingFile(for: url)
        try Gnuplot.checkOutputPath(drawn)
        var script = """
        \(Gnuplot.pngTerminal(width: layout.width, height: page.height, font: "DejaVu Sans,9", transparent: true))
        set output \(drawn.path.gnuplotQuoted)
        set lmargin at screen 0; set rmargin at screen 1; set tmargin at screen 1; set bmargin at screen 0
        unset border; unset tics; unset key
        set xrange [-0.5:\(layout.width) - 0.5]
        set yrange [\(page.height) - 0.5:-0.5]

        """
        for (index, label) in labels.enumerated() {
            let font = label.bold ? "DejaVu Sans Bold,\(label.size)" : "DejaVu Sans,\(label.size)"
            script += "set label \(index + 1) \(label.text.gnuplotQuoted) at \(label.x),\(page.row(label.y)) left front font \(font.gnuplotQuoted) textcolor rgb \(label.color.gnuplotQuoted)\n"
        }
        script += "plot NaN notitle\n"
        try gnuplot.run(script)
        defer { try? FileManager.default.removeItem(at: drawn) }
        // gnuplot exits 0 even when pngcairo could not write (e.g. a full disk): check what it left.
        try Gnuplot.checkWholePNG(drawn)
        // One line per thumbnail: a line break in an id or label is shown escaped, as in a terminal.
        let captions = sections.flatMap(\.items).map { ([$0.sampleKey] + $0.caption).map(\.terminalSafe).joined(separator: " | ") }.joined(separator: "\n")
        try composing { try compose(layout, text: page, drawn: drawn, captions: captions, thumbnails: thumbnails, to: url) }
    }

    /// A grey square with both diagonals, where a thumbnail is not drawn.
    static func drawCrossedBox(on canvas: inout RGBImage, x: Int, y: Int, side: Int) {
        canvas.fill(x: x, y: y, width: side, height: side, color: (200, 200, 200))
        for d in 0..<side {
            canvas.fill(x: x + d, y: y + d, width: 1, height: 1, color: (110, 110, 110))
            canvas.fill(x: x + side - 1 - d, y: y + d, width: 1, height: 1, color: (110, 110, 110))
        }
    }

    /// The canvas: the thumbnails in their frames, gnuplot's text page (`drawn`) laid over the
    /// text bands, written to `url`.
    private func compose(_ layout: Layout, text: TextPage, drawn: URL, captions: String, thumbnails: [[RGBImage?]], to url: URL) throws {
        var canvas = RGBImage(width: layout.width, height: layout.height, fill: (255, 255, 255))
        canvas.fill(x: 0, y: 0, width: layout.width, height: layout.margin + layout.headerHeight - 8, color: (238, 242, 247))
        for (s, section) in sections.enumerated() {
            for (i, item) in section.items.enumerated() {
                let (x, y) = layout.cellOrigin(section: s, index: i)
                let frame: (UInt8, UInt8, UInt8) = item.wrong ? (200, 40, 40) : (40, 150, 60)
                canvas.fill(x: x + 2, y: y + 2, width: thumb + 6, height: thumb + 6, color: frame)
                if let image = thumbnails[s][i] {
                    canvas.draw(image, x: x + 5 + (thumb - image.width) / 2, y: y + 5 + (thumb - image.height) / 2)
                } else {
                    Self.drawCrossedBox(on: &canvas, x: x + 5, y: y + 5, side: thumb)
                }
            }
        }
        do {
            var bands = RGBImage(width: layout.width, height: text.height)
            text.copy(&canvas, &bands, toPage: true)
            try PNGCodec.composite(Array(try Data(contentsOf: drawn)), over: &bands, source: drawn.path)
            text.copy(&canvas, &bands, toPage: false)
        } catch let error as ImageError {
            throw ReportError(message: "gnuplot's text page for \(url.lastPathComponent): \(error)")
        }
        let png = try PNGTextChunks.insert([
            ("Title", title),
            ("Description", subtitle),
            ("Stratum:thumbnails", String(thumbnailCount)),
            ("Stratum:captions", captions),
            ("Software", "stratum"),
        ], into: try PNGCodec.encode(canvas, compression: .fast))
        try RunReport.writeWhole(Data(png), to: url)
    }
}
