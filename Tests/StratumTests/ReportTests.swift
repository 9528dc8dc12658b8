import Foundation
import StratumCore
import StratumRunner
import StratumStore
@testable import StratumImaging
import StratumMetrics
@testable import StratumReports
import Synchronization
import Testing

@Suite struct ReportTests {
    static let face = TestSupport.fixtures.appendingPathComponent("images/gradient-24x16.png")

    /// Ten samples; variant "a" is wrong on samples 0…6 with confidence 0.9, 0.85, …; "b" is right on 0…3.
    static func data(missingImagesAfter: Int? = nil, count: Int = 10) -> RunReportData {
        let samples = (0..<count).map { i in
            ReportSample(key: String(format: "s%05d", i),
                         image: missingImagesAfter.map { i < $0 ? face : URL(fileURLWithPath: "/nonexistent/\(i).png") } ?? face,
                         trueLabel: i % 2 == 0 ? "female" : "male", tags: i < 3 ? ["child", "short"] : ["adult"])
        }
        func flip(_ label: String) -> String { label == "female" ? "male" : "female" }
        var a = ReportPredictions(sampleCount: count), b = ReportPredictions(sampleCount: count)
        for (i, sample) in samples.enumerated() {
            let wrongA = i < 7, confidence = Float(0.9) - Float(i % 1000) * 0.00005
            let predictedA = wrongA ? flip(sample.trueLabel) : sample.trueLabel
            a[i] = ReportPrediction(predicted: predictedA, probabilities: predictedA == "female" ? [confidence, 1 - confidence] : [1 - confidence, confidence])
            let predictedB = i < 4 ? sample.trueLabel : flip(sample.trueLabel)
            b[i] = ReportPrediction(predicted: predictedB, probabilities: predictedB == "female" ? [0.7, 0.3] : [0.3, 0.7])
        }
        let overall = ReportSlice(name: "overall", definition: "true", members: Array(samples.indices))
        let children = ReportSlice(name: "children", definition: "age < 13", members: [2, 0, 1])
        return RunReportData(
            experiment: "exp <&>", runNumber: 3, status: "completed", startedAt: Date(timeIntervalSince1970: 0), split: "test",
            samples: samples, slices: [overall, children],
            variants: [
                ReportVariant(name: "a<script>", kind: "logistic", status: "completed", error: nil, labels: ["female", "male"], predictions: a,
                              scores: [SliceScore(slice: "overall", n: count, accuracy: 0.3, ciLow: 0.1, ciHigh: 0.6)]),
                ReportVariant(name: "b", kind: "logistic", status: "completed", error: nil, labels: ["female", "male"], predictions: b,
                              scores: [SliceScore(slice: "overall", n: count, accuracy: 0.4, ciLow: 0.2, ciHigh: 0.7)]),
            ])
    }

    static func captions(_ url: URL) throws -> [String] {
        let chunks = PNGTextChunks.read(Array(try Data(contentsOf: url)))
        return (chunks.first { $0.keyword == "Stratum:captions" }?.text ?? "").split(separator: "\n").map(String.init)
    }

    @Test func failureGalleryShowsTheMostConfidentErrorsFirst() throws {
        let data = Self.data()
        let gallery = Gallery.failures(of: data.variants[0], in: data, limit: 5, columns: 4, thumb: 64)
        #expect(gallery.thumbnailCount == 5)
        #expect(gallery.sections[0].total == 7)
        #expect(gallery.subtitle.hasPrefix("7 errors / 10 samples"))
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("failures.png")
        try gallery.render(to: url, gnuplot: try Gnuplot())
        let image = try ImageFile.read(url)
        // Layout: width max(640, 2·14 + 4·160) = 668; height 14 + 58 + 26 + 2 rows · (64 + 10 + 3·14 + 8) + 14.
        #expect(image.width == 668 && image.height == 14 + 58 + 26 + 2 * 124 + 14)
        let captions = try Self.captions(url)
        #expect(captions.count == 5)
        #expect(captions.first == "s00000 | s00000 | female → male 90% | child, short")
        #expect(captions.map { String($0.prefix(6)) } == ["s00000", "s00001", "s00002", "s00003", "s00004"])
        let chunks = PNGTextChunks.read(Array(try Data(contentsOf: url)))
        #expect(chunks.contains { $0.keyword == "Stratum:thumbnails" && $0.text == "5" })
    }

    /// A thumbnail whose file no longer has the fingerprint the run stored, or cannot be read
    /// now, is not drawn: a crossed grey box in its place, a caption line and the subtitle say
    /// so, and it is returned; one whose file is unchanged is drawn as always, and the gallery
    /// is written all the same.
    @Test func anImageChangedOrUnreadableSinceTheRunIsNotDrawn() throws {
        let actual = ContentFingerprint.of(Array(try Data(contentsOf: Self.face)))
        var data = Self.data(missingImagesAfter: 2)  // samples 2… name a file that is not there
        data.imageFingerprints = [actual &+ 1, actual]  // sample 0: the run read other bytes
        let gallery = Gallery.failures(of: data.variants[0], in: data, limit: 3, columns: 3, thumb: 64)
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("changed.png")
        let omitted = try gallery.render(to: url, gnuplot: try Gnuplot())
        #expect(omitted.map(\.sampleKey) == ["s00000", "s00002"] && omitted[0].reason == .changed, "\(omitted)")
        guard case .unreadable(let cause)? = omitted.last?.reason else { Issue.record("\(omitted)"); return }
        #expect(cause.contains("No such file"), "\(cause)")
        let captions = try Self.captions(url)
        #expect(captions == ["s00000 | s00000 | female → male 90% | child, short | file changed since the run",
                             "s00001 | s00001 | male → female 90% | child, short",
                             "s00002 | s00002 | female → male 90% | child, short | image unreadable now"], "\(captions)")
        let chunks = PNGTextChunks.read(Array(try Data(contentsOf: url)))
        let subtitle = chunks.first { $0.keyword == "Description" }?.text ?? ""
        #expect(subtitle.hasSuffix("; 2 images not drawn (1 changed since the run, 1 unreadable now)"), "\(subtitle)")
        // Cells 0 and 2 hold the grey box (its centre on a diagonal, dark; off it, grey); cell 1 the thumbnail.
        let image = try ImageFile.read(url)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { let i = (y * image.width + x) * 3; return Array(image.pixels[i..<(i + 3)]) }
        var drawn = gallery
        drawn.sections[0].items[0].caption.append("file changed since the run")  // the layout drawn: wider captions
        let (top, cellWidth) = (14 + 58 + 26 + 5, Gallery.Layout(drawn).cellWidth)
        for cell in [0, 2] {
            #expect(pixel(14 + cell * cellWidth + 5 + 10, top + 20) == [200, 200, 200] && pixel(14 + cell * cellWidth + 5 + 20, top + 20) == [110, 110, 110])
        }
        let thumbnail = try ImageFile.read(Self.face).thumbnail(side: 64)
        let cellX = 14 + cellWidth + 5 + (64 - thumbnail.width) / 2, cellY = top + (64 - thumbnail.height) / 2
        #expect(pixel(cellX, cellY) == Array(thumbnail.pixels[0..<3]))
    }

    /// `Stratum:captions` holds one line per thumbnail: a line break (or any control
    /// character) in an id is written escaped.
    @Test func captionsStayOneLinePerThumbnail() throws {
        var data = Self.data()
        data.samples[0] = ReportSample(key: "two\nlines\u{1B}[31m", image: Self.face, trueLabel: "female", tags: [])
        let gallery = Gallery.failures(of: data.variants[0], in: data, limit: 2, columns: 2, thumb: 32)
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("lines.png")
        try gallery.render(to: url, gnuplot: try Gnuplot())
        let captions = try Self.captions(url)
        #expect(captions.count == 2 && captions[0].hasPrefix("two\\u{A}lines\\u{1B}[31m | two\\u{A}lines"), "\(captions)")
    }

    @Test func galleryOfASliceOnlyShowsItsMembers() throws {
        let data = Self.data()
        let gallery = Gallery.failures(of: data.variants[0], in: data, slice: data.slices[1], limit: 50)
        #expect(gallery.sections[0].items.map(\.sampleKey) == ["s00000", "s00001", "s00002"])
    }

    /// The thumbnails are the composed pixels exactly (gnuplot draws only the text, over a
    /// transparent page), and the text is there: dark pixels in the header and under each thumbnail.
    @Test func galleryThumbnailsAreExactAndTextIsDrawnOverTheCanvas() throws {
        let data = Self.data()
        let gallery = Gallery.failures(of: data.variants[0], in: data, limit: 5, columns: 4, thumb: 64)
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("g.png")
        try gallery.render(to: url, gnuplot: try Gnuplot())
        let image = try ImageFile.read(url)
        let thumbnail = try ImageFile.read(Self.face).thumbnail(side: 64)
        // Cell 5 (second row, first column): margin 14, header 58 + section title 26, cell 124 px high.
        let (cellX, cellY) = (14, 14 + 58 + 26 + 124)
        let (x0, y0) = (cellX + 5 + (64 - thumbnail.width) / 2, cellY + 5 + (64 - thumbnail.height) / 2)
        var mismatched = 0
        for row in 0..<thumbnail.height {
            for byte in 0..<(thumbnail.width * 3) where image.pixels[((y0 + row) * image.width + x0) * 3 + byte] != thumbnail.pixels[row * thumbnail.width * 3 + byte] {
                mismatched += 1
            }
        }
        #expect(mismatched == 0)
        // The wrong-answer frame (200, 40, 40) around it, untouched by text.
        let frame = ((cellY + 2) * image.width + cellX + 2) * 3
        #expect(Array(image.pixels[frame..<(frame + 3)]) == [200, 40, 40])
        func darkPixels(x: Int, y: Int, width: Int, height: Int) -> Int {
            var count = 0
            for row in y..<(y + height) {
                for column in x..<(x + width) {
                    let i = (row * image.width + column) * 3
                    if Int(image.pixels[i]) + Int(image.pixels[i + 1]) + Int(image.pixels[i + 2]) < 300 { count += 1 }
                }
            }
            return count
        }
        // The title over the header's fill, and the caption lines under the thumbnail.
        #expect(darkPixels(x: 14, y: 14, width: 300, height: 20) > 50)
        #expect(darkPixels(x: cellX, y: cellY + 64 + 9, width: 150, height: 3 * 14) > 50)
        // Between them, the header's fill stays as composed.
        let header = (4 * image.width + image.width - 4) * 3
        #expect(Array(image.pixels[header..<(header + 3)]) == [238, 242, 247])
    }

    /// gnuplot draws only the canvas rows that hold text, stacked: the bands are sorted and
    /// disjoint, and every text (7 px either side of where it is anchored) lies within one band,
    /// whatever the thumbnail size, the number of rows and an empty section under the header.
    @Test(arguments: [(thumb: 16, columns: 2, limit: 7), (thumb: 32, columns: 3, limit: 10), (thumb: 96, columns: 8, limit: 40), (thumb: 512, columns: 1, limit: 3)])
    func galleryTextLiesInTheBandsGnuplotDraws(thumb: Int, columns: Int, limit: Int) {
        let data = Self.data(count: 60)
        let galleries = [
            Gallery.failures(of: data.variants[0], in: data, limit: limit, columns: columns, thumb: thumb),
            Gallery.disagreement(between: data.variants[0], and: data.variants[1], in: data, limit: limit, columns: columns, thumb: thumb),
            Gallery.disagreement(between: data.variants[0], and: data.variants[0], in: data, limit: limit, columns: columns, thumb: thumb),
        ]
        #expect(galleries[2].sections.allSatisfy { $0.items.isEmpty })
        for gallery in galleries {
            let layout = Gallery.Layout(gallery)
            let bands = layout.textBands(anEmptySection: gallery.sections.contains { $0.items.isEmpty })
            #expect(zip(bands, bands.dropFirst()).allSatisfy { $0.upperBound < $1.lowerBound }, "\(bands)")
            #expect(bands.allSatisfy { !$0.isEmpty && $0.lowerBound >= 0 && $0.upperBound <= layout.height })
            for label in gallery.textLabels(layout) {
                #expect(bands.contains { $0.contains(label.y - 7) && $0.contains(label.y + 7) }, "\(label.text) at y \(label.y), bands \(bands)")
            }
            let page = Gallery.TextPage(bands: bands)
            #expect(page.height < layout.height)
            #expect(page.row(bands[0].lowerBound) == 0 && page.row(bands.last!.upperBound - 1) == page.height - 1)
        }
    }

    /// Straight-alpha "over": transparent keeps, opaque replaces, partial blends with rounding.
    @Test(arguments: [
        (layer: [UInt8]([9, 9, 9, 0]), expected: [UInt8]([100, 150, 200])),
        (layer: [10, 20, 30, 255], expected: [10, 20, 30]),
        (layer: [0, 0, 0, 128], expected: [50, 75, 100]),
        (layer: [255, 255, 255, 51], expected: [131, 171, 211]),
    ])
    func compositingIsStraightAlphaOver(layer: [UInt8], expected: [UInt8]) {
        var image = RGBImage(width: 1, height: 1, fill: (100, 150, 200))
        image.composite(RGBAPixels(width: 1, height: 1, pixels: layer))
        #expect(image.pixels == expected)
    }

    @Test func galleryRenderingIsByteStable() throws {
        let data = Self.data()
        let gallery = Gallery.failures(of: data.variants[0], in: data, limit: 3, columns: 3, thumb: 32)
        let directory = try TestSupport.temporaryDirectory()
        try gallery.render(to: directory.appendingPathComponent("1.png"), gnuplot: try Gnuplot())
        try gallery.render(to: directory.appendingPathComponent("2.png"), gnuplot: try Gnuplot())
        #expect(try Data(contentsOf: directory.appendingPathComponent("1.png")) == Data(contentsOf: directory.appendingPathComponent("2.png")))
    }

    /// 10,000 errors, of which only the 12 most confident have readable images: a gallery capped
    /// at 12 must never touch the others (it would leave out the first missing file it read).
    @Test func aCappedGalleryLoadsOnlyTheImagesItDraws() throws {
        var data = Self.data(missingImagesAfter: 12, count: 10_000)
        var predictions = ReportPredictions(sampleCount: data.samples.count)
        for (i, sample) in data.samples.enumerated() {
            let confidence = Float(0.99) - Float(i) * 0.00004
            let wrong = sample.trueLabel == "female" ? "male" : "female"
            predictions[i] = ReportPrediction(predicted: wrong, probabilities: wrong == "female" ? [confidence, 1 - confidence] : [1 - confidence, confidence])
        }
        data.variants[0].predictions = predictions
        let gallery = Gallery.failures(of: data.variants[0], in: data, limit: 12, columns: 6, thumb: 32)
        #expect(gallery.sections[0].total == 10_000)
        #expect(try gallery.render(to: try TestSupport.temporaryDirectory().appendingPathComponent("capped.png"), gnuplot: try Gnuplot()).isEmpty)
    }

    @Test func disagreementGalleryHasBothDirections() throws {
        let data = Self.data()
        let gallery = Gallery.disagreement(between: data.variants[0], and: data.variants[1], in: data, limit: 10, columns: 2, thumb: 32)
        // b right & a wrong: samples 0…3; a right & b wrong: samples 7…9.
        #expect(gallery.sections[0].items.map(\.sampleKey) == ["s00007", "s00008", "s00009"])
        #expect(gallery.sections[1].items.map(\.sampleKey) == ["s00000", "s00001", "s00002", "s00003"])
        #expect(gallery.subtitle.contains("7 of 10"))
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("vs.png")
        try gallery.render(to: url, gnuplot: try Gnuplot())
        #expect(try Self.captions(url).count == 7)
    }

    @Test func aVariantOfAnInterruptedRunIsMarkedPartialWherePeopleLook() throws {
        var data = Self.data()
        data.status = "interrupted"
        data.variants[1].status = "running"
        for position in 4..<10 { data.variants[1].predictions[position] = nil }
        data.unreadable = [ReportUnreadable(key: "x<1>", path: "x.png", reason: "not a PNG or JPEG file")]
        let html = HTMLIndex(data: data, figures: []).html()
        #expect(html.contains("partial: 4 of 10 samples predicted"), "\(html)")
        #expect(html.contains("<th>b<br><span class=\"small\">logistic · running</span></th>"), "the summary column says so too")
        #expect(html.contains("Unreadable images") && html.contains("x&lt;1&gt;"))
        let directory = try TestSupport.temporaryDirectory()
        _ = try RunReport(data: data, galleryLimit: 4, galleryColumns: 2, thumb: 24).render(to: directory, gnuplot: try Gnuplot()).files
        let index = try String(contentsOf: directory.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("b: confusion matrix — PARTIAL (running: 4 of 10 samples)"))
        // Every figure of it says so, its failure gallery too (as the reliability diagram).
        let failures = try #require(PNGTextChunks.read(Array(try Data(contentsOf: directory.appendingPathComponent("failures-b.png")))).first { $0.keyword == "Title" })
        #expect(failures.text.hasSuffix("— PARTIAL (running: 4 of 10 samples)"), "\(failures.text)")
    }

    /// A run interrupted before its slices were stored (they are stored when it finishes):
    /// its report shows the samples of its split and what each variant predicted, marked
    /// interrupted. It showed 0 samples, no figures, and variants "running".
    @Test func anInterruptedRunsReportShowsWhatWasPredicted() throws {
        let store = try Store()
        var gone = RunLease.current
        gone.pid = Int32.max - 7
        let spec = "name: e\ndataset: {manifest: m.csv, label: sex, split: test}\nvariants: [{name: v, kind: logistic, path: p}]\n"
        let run = try store.beginRun(experiment: "e", spec: spec, specHash: "h", gitCommit: nil, lease: gone)
        let samples = (0..<6).map { i in
            Sample(id: "s\(i)", url: Self.face, relativePath: "s\(i).png", label: i % 2 == 0 ? "female" : "male", split: i < 4 ? "test" : "train", attributes: [:], line: i + 2)
        }
        let (_, ids) = try store.storeDataset(manifestPath: "/d/m.csv", manifestHash: "h", labelColumn: "sex", labels: ["female", "male"], samples: samples, runID: run.id)
        let variant = try store.insertVariant(runID: run.id, name: "v", kind: "logistic", path: "/m.json", fileHash: "f", labels: ["female", "male"])
        try store.insertPredictions(["s0", "s1"].map { StoredPrediction(runID: run.id, variantID: variant, sampleID: ids[$0] ?? 0, predicted: "female", probabilities: [0.8, 0.2]) },
                                    heldBy: gone)
        #expect(try store.reconcileInterruptedRuns().count == 1)
        let data = try StoredRunReports.data(store: store, experiment: "e", number: nil)
        #expect(data.samples.map(\.key) == ["s0", "s1", "s2", "s3"] && data.split == "test")
        #expect(data.variants.map(\.status) == ["interrupted"] && data.variants[0].predictions.count == 2)
        let html = HTMLIndex(data: data, figures: []).html()
        #expect(html.contains("partial: 2 of 4 samples predicted"), "\(html)")
    }

    @Test func runReportWritesEveryFileAndAnEscapedIndex() throws {
        let directory = try TestSupport.temporaryDirectory()
        let files = try RunReport(data: Self.data(), galleryLimit: 6, galleryColumns: 3, thumb: 32).render(to: directory, gnuplot: try Gnuplot()).files
        let names = Set(files.map(\.lastPathComponent))
        #expect(names == ["slice-accuracy.png", "disagreement-b-vs-a_script_-340c7e7651977de7.png", "confusion-a_script_-dd0cee1e82a81c43.png", "failures-a_script_-dd0cee1e82a81c43.png", "reliability-a_script_-dd0cee1e82a81c43.png",
                          "confusion-b.png", "failures-b.png", "reliability-b.png", "index.html"])
        for file in files where file.pathExtension == "png" { _ = try ImageFile.read(file) }
        let html = try String(contentsOf: directory.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(!html.contains("<script>") && html.contains("a&lt;script&gt;") && html.contains("exp &lt;&amp;&gt;"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        try BrowserCheck.expectImagesRender(directory.appendingPathComponent("index.html"))
    }

    /// Images the galleries left out are listed once each in the run's output and in
    /// index.html (escaped), though several galleries show them.
    @Test func runReportListsTheImagesItDidNotDraw() throws {
        let directory = try TestSupport.temporaryDirectory()
        var data = Self.data(missingImagesAfter: 9)  // s00009: no file
        data.imageFingerprints = [ContentFingerprint.of(Array(try Data(contentsOf: Self.face))) &+ 1]  // s00000: other bytes
        let output = try RunReport(data: data, galleryLimit: 10, galleryColumns: 5, thumb: 32).render(to: directory, gnuplot: try Gnuplot())
        #expect(output.omitted.map(\.sampleKey) == ["s00000", "s00009"] && output.omitted[0].reason == .changed, "\(output.omitted)")
        let html = try String(contentsOf: directory.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(html.contains("<h2 id=\"not-drawn\">Images not drawn</h2>") && html.contains("<td>s00000</td>")
                && html.contains("the file changed since the run read it") && html.contains("cannot be read now: No such file"), "\(html.prefix(3000))")
    }

    /// A gallery that finds the canvas taken does other work (`whileTaken`) until none is
    /// left, then waits; two bodies never overlap, and a free section runs at once.
    @Test func aTakenSectionLetsTheWaiterWorkMeanwhile() {
        let section = ExclusiveSection()
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let inside = Mutex(0), overlapped = Mutex(false), log = Mutex<[String]>([])
        @Sendable func enter() { inside.withLock { $0 += 1; if $0 > 1 { overlapped.withLock { $0 = true } } } }
        @Sendable func leave() { inside.withLock { $0 -= 1 } }
        let holder = Thread {
            section.run {
                enter(); holding.signal()
                _ = release.wait(timeout: .now() + 5)  // (a section that never calls whileTaken fails, not hangs)
                log.withLock { $0.append("holder") }
                leave()
            }
        }
        holder.start()
        holding.wait()
        var extra = 0
        section.run({ enter(); log.withLock { $0.append("waiter") }; leave() }, whileTaken: {
            extra += 1
            log.withLock { $0.append("chart \(extra)") }
            if extra == 3 { release.signal() }  // the holder may finish now
            return extra < 3
        })
        #expect(log.withLock { $0 } == ["chart 1", "chart 2", "chart 3", "holder", "waiter"])
        #expect(!overlapped.withLock { $0 })
        var calls = 0
        section.run({ log.withLock { $0.append("free") } }, whileTaken: { calls += 1; return true })
        #expect(calls == 0)
    }

    @Test func calibrationMatchesAHandComputedECE() {
        // Bin 0.9–1.0: confidences 0.95, 0.95 → one right (acc 0.5, conf 0.95); bin 0.6–0.7: 0.65 right (acc 1, conf 0.65).
        let calibration = Calibration(confidences: [0.95, 0.95, 0.65], correct: [true, false, true])
        let ece = calibration.expectedCalibrationError.number ?? .nan
        #expect(abs(ece - (2.0 / 3 * 0.45 + 1.0 / 3 * 0.35)) < 1e-12)
        #expect(calibration.bins[9].count == 2 && calibration.bins[6].accuracy == 1)
        #expect(Calibration(confidences: [1.0], correct: [true]).bins[9].count == 1)
        #expect(Calibration(confidences: [], correct: []).expectedCalibrationError.number == nil)
    }

    /// Quotes, `<` and `&` followed by a combining mark (one `Character` each, but the quote's
    /// byte for a browser) are escaped like bare ones; the fast paths (text with nothing to
    /// escape, ASCII anchors) give what the scalar-by-scalar definitions give.
    @Test(arguments: ["overall", "age_group=child & hair_length=short", "A/B test 2", "a\r\nb", "x\u{0}y", "Ünïcødé ½", "e\u{301}", "",
                      "<&>", "tab\there", "'quote'", "v\"\u{301} onload=alert(1) x=\u{301}", "'\u{301}", "<\u{301}script>", "&\u{301}amp;"])
    func htmlEscapesEverySpecialCharacter(_ text: String) {
        #expect(HTMLIndex.escape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        let escaped = text.unicodeScalars.map { c -> String in
            switch c { case "&": "&amp;"; case "<": "&lt;"; case ">": "&gt;"; case "\"": "&quot;"; case "'": "&#39;"; default: String(c) }
        }.joined()
        #expect(HTMLIndex.escape(text) == escaped)
        #expect(!HTMLIndex.escape(text).unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) })
        let slug = text.lowercased().unicodeScalars.map { c -> String in
            [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber, .letterNumber, .otherNumber]
                .contains(c.properties.generalCategory) ? String(c) : "-"
        }.joined()
        #expect(HTMLIndex.anchor(text) == slug)
    }

    /// Element ids stay unique when names share a slug or take a fixed id, and a link and its
    /// target agree whichever comes first.
    @Test func indexIDsAreUniqueAndLinksFindTheirTargets() {
        let ids = HTMLIndex.AnchorIDs(reserved: ["summary"])
        let a = ids.id(["section", "a b"], slug: "a b"), b = ids.id(["section", "a-b"], slug: "a-b")
        let summary = ids.id(["section", "summary"], slug: "summary")
        let cm1 = ids.id(["cm", "a", "b-c"], slug: "cm-a-b-c"), cm2 = ids.id(["cm", "a-b", "c"], slug: "cm-a-b-c")
        #expect(Set([a, b, summary, cm1, cm2, "summary"]).count == 6)
        #expect(ids.id(["section", "a-b"], slug: "a-b") == b && ids.id(["cm", "a-b", "c"], slug: "cm-a-b-c") == cm2)
    }

    /// Figures whose size follows the data stay drawable: 300 slices of 10 variants (an
    /// attribute unique per sample made a 39,000-pixel chart cairo refused), a 5,000-character
    /// slice name in a forest plot, 120 classes in a confusion matrix.
    @Test func figuresSizedByTheDataStayWithinCairosLimits() throws {
        let directory = try TestSupport.temporaryDirectory()
        let gnuplot = try Gnuplot()
        let long = String(repeating: "x", count: 5_000)
        let slices = (0..<300).map { (name: "id=\($0)" + ($0 == 7 ? long : ""), n: 1) }
        let variants = (0..<10).map { v in (name: "variant-\(v)" + (v == 3 ? long : ""), scores: Dictionary(uniqueKeysWithValues: slices.map {
            ($0.name, SliceScore(slice: $0.name, n: 1, accuracy: 0.5, ciLow: 0.1, ciHigh: 0.9)) })) }
        let forest = ForestPlot(title: "t", xLabel: "d", rows: [.init(label: long, difference: -0.1, low: -0.2, high: 0, verdict: "worse")])
        let labels = (0..<120).map { "class-\($0)" + ($0 == 5 ? long : "") }
        let matrix = ConfusionMatrixChart(title: "t", matrix: ConfusionMatrix(labels: labels, counts: labels.indices.map { i in labels.indices.map { $0 == i ? 3 : 0 } }))
        for (name, draw) in [("slices", { try SliceAccuracyChart(title: "t", slices: slices, variants: variants).render(to: $0, gnuplot: gnuplot) }),
                             ("forest", { try forest.render(to: $0, gnuplot: gnuplot) }),
                             ("confusion", { try matrix.render(to: $0, gnuplot: gnuplot) })] as [(String, (URL) throws -> Void)] {
            let url = directory.appendingPathComponent("\(name).png")
            try draw(url)
            let image = try ImageFile.read(url)
            #expect(image.width <= Gnuplot.maxSide && image.height <= Gnuplot.maxSide && image.width <= (name == "forest" ? 1_400 : Gnuplot.maxSide), "\(name): \(image.width)×\(image.height)")
        }
    }

    /// Galleries wider or taller than a figure may be get fewer columns, then fewer
    /// thumbnails (said in the subtitle), instead of failing: `--vs --thumb 512` with 16
    /// columns, and 2,000 thumbnails of 256 pixels.
    @Test func galleriesFitWithinTheFigureLimit() throws {
        let data = Self.data()
        let wide = Gallery.disagreement(between: data.variants[0], and: data.variants[1], in: data, limit: 3, columns: 16, thumb: 512)
        let layout = Gallery.Layout(wide)
        #expect(layout.width <= Gnuplot.maxSide && wide.columns < 16 && !wide.subtitle.contains("not drawn"))
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("wide.png")
        try wide.render(to: url, gnuplot: try Gnuplot())
        #expect(try ImageFile.read(url).width == layout.width)

        let items = (0..<2_000).map { Gallery.Item(image: Self.face, sampleKey: "s\($0)", caption: ["s\($0)", "a → b 90%", ""], wrong: true) }
        let tall = Gallery(title: "t", subtitle: "s", sections: [.init(title: "x", items: items, total: 2_000)], columns: 8, thumb: 256)
        let fitted = Gallery.Layout(tall)
        #expect(fitted.width <= Gnuplot.maxSide && fitted.height <= Gnuplot.maxSide, "\(fitted.width)×\(fitted.height)")
        let drawn = tall.sections[0].items.count
        #expect(drawn < 2_000 && tall.subtitle.hasSuffix("; \(2_000 - drawn) more not drawn (a figure is at most \(Gnuplot.maxSide) pixels)"), "\(tall.subtitle)")
    }

    /// The summary table shades each variant's lowest accuracy among the rows it shows, every
    /// tie: an intersection left out of the table held the minimum, and nothing was shaded.
    @Test func theLowestShownAccuracyIsShadedWithItsTies() {
        var data = Self.data()
        data.slices += [ReportSlice(name: "adults", definition: "age >= 18", members: [3, 4, 5]),
                        ReportSlice(name: "g=a & h=b", definition: "x", members: [6], parts: [.attribute("g", value: "a"), .attribute("h", value: "b")])]
        data.variants[0].scores = [SliceScore(slice: "overall", n: 10, accuracy: 0.3, ciLow: 0.1, ciHigh: 0.6),
                                   SliceScore(slice: "children", n: 3, accuracy: 0.25, ciLow: 0, ciHigh: 0.7),
                                   SliceScore(slice: "adults", n: 3, accuracy: 0.25, ciLow: 0, ciHigh: 0.7),
                                   SliceScore(slice: "g=a & h=b", n: 1, accuracy: 0, ciLow: 0, ciHigh: 0.8)]
        let html = HTMLIndex(data: data, figures: []).html()
        #expect(html.components(separatedBy: "<td class=\"worst\">0.250").count - 1 == 2, "\(html)")
        #expect(!html.contains("g=a &amp; h=b</td>") && html.components(separatedBy: "class=\"worst\"").count - 1 == 3)
    }

    @Test func pngTextChunksRoundTripAndKeepThePNGValid() throws {
        let png = try PNGCodec.encode(RGBImage(width: 3, height: 2, fill: (1, 2, 3)))
        let tagged = try PNGTextChunks.insert([("Title", "ünïcode → ok"), ("Stratum:captions", "a | b\nc | d")], into: png)
        #expect(PNGTextChunks.read(tagged).map(\.text) == ["ünïcode → ok", "a | b\nc | d"])
        // UTF-8 text in iTXt (tEXt is Latin-1), ASCII in tEXt; a Latin-1 tEXt written elsewhere reads as such.
        let types = PNGTextChunkTypes.of(tagged)
        #expect(types.filter { $0 == "iTXt" || $0 == "tEXt" } == ["iTXt", "tEXt"], "\(types)")
        var latin = Array(tagged[..<(tagged.count - 12)])
        latin += PNGTextChunks.chunk(type: "tEXt", data: Array("Author".utf8) + [0, 0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72])
        latin += Array(tagged[(tagged.count - 12)...])
        #expect(PNGTextChunks.read(latin).last?.text == "Müller")
        #expect(try PNGCodec.decode(tagged, source: "tagged") == RGBImage(width: 3, height: 2, fill: (1, 2, 3)))
    }

    @Test func historyAndSliceChartsRender() throws {
        let directory = try TestSupport.temporaryDirectory()
        let history = HistoryChart(title: "h", points: [
            .init(run: 1, variant: "a", accuracy: 0.7, ciLow: 0.6, ciHigh: 0.8, n: 100),
            .init(run: 2, variant: "a", accuracy: 0.75, ciLow: 0.65, ciHigh: 0.83, n: 100),
        ])
        try history.render(to: directory.appendingPathComponent("h.png"), gnuplot: try Gnuplot())
        let image = try ImageFile.read(directory.appendingPathComponent("h.png"))
        #expect(image.width == 900 && image.height == 520)
        #expect(!history.script(output: "/x.png").contains("not comparable"))
        // A run `history` flags (its slice defined otherwise) is ringed, not silently joined.
        var flagged = history
        flagged.points[0].flagged = true
        try flagged.render(to: directory.appendingPathComponent("f.png"), gnuplot: try Gnuplot())
        let script = flagged.script(output: "/x.png")
        #expect(script.contains("$flagged << EOD\n1 0.7\nEOD") && script.contains("not comparable with the latest run"), "\(script)")
        #expect(try ImageFile.read(directory.appendingPathComponent("f.png")) != image)
        let chart = SliceAccuracyChart(Self.data())
        #expect(chart.slices.map(\.name) == ["overall", "children"])
        #expect(chart.script(output: "/x.png").contains("0.3 0.1 0.6"))
    }
}

/// Opens a page in headless Chromium and checks that every image on it loaded.
enum BrowserCheck {
    static func expectImagesRender(_ page: URL) throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("chromium is not installed (scripts/test.sh installs it)")
            return
        }
        let html = try String(contentsOf: page, encoding: .utf8)
        let probe = page.deletingLastPathComponent().appendingPathComponent(".browser-check.html")
        let script = "<script>window.addEventListener('load',()=>{const i=[...document.images];document.body.setAttribute('data-images',i.filter(x=>x.complete&&x.naturalWidth>0).length+'/'+i.length);});</script></body>"
        try html.replacingOccurrences(of: "</body>", with: script).write(to: probe, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: probe) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", probe.absoluteString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let images = html.components(separatedBy: "<img ").count - 1
        #expect(images > 0)
        #expect(dom.contains("data-images=\"\(images)/\(images)\""), "Chromium did not load every image of \(page.path)")
    }
}

/// The chunk types of a PNG file, in order.
enum PNGTextChunkTypes {
    static func of(_ png: [UInt8]) -> [String] {
        var types: [String] = []
        var offset = 8
        while offset + 12 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            types.append(String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self))
            offset += 12 + length
        }
        return types
    }
}
