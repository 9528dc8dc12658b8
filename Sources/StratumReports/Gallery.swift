import Foundation
import StratumMetrics

/// A grid of captioned thumbnails in one or more side-by-side sections (data only; see `render`).
public struct Gallery: Sendable {
    public struct Item: Sendable, Equatable {
        public var image: URL
        public var sampleKey: String
        /// Caption lines under the thumbnail.
        public var caption: [String]
        /// Frame colour (red for an error, green for a correct prediction).
        public var wrong: Bool
        /// The image's fingerprint when the run read it: a file that no longer has it is not
        /// drawn (its pixels are not the ones the caption's prediction was made on).
        public var fingerprint: UInt64?

        public init(image: URL, sampleKey: String, caption: [String], wrong: Bool, fingerprint: UInt64? = nil) {
            self.image = image; self.sampleKey = sampleKey; self.caption = caption; self.wrong = wrong; self.fingerprint = fingerprint
        }
    }

    public struct Section: Sendable {
        public var title: String
        /// The items drawn (already limited).
        public var items: [Item]
        /// How many qualified before the limit.
        public var total: Int

        public init(title: String, items: [Item], total: Int) {
            self.title = title; self.items = items; self.total = total
        }
    }

    public init(title: String, subtitle: String, sections: [Section], columns: Int, thumb: Int) {
        self.title = title; self.subtitle = subtitle; self.sections = sections; self.columns = columns; self.thumb = thumb
        fitWithinFigureLimit()
    }

    /// Fewer columns, then fewer thumbnails (said in the subtitle), when the grid asked for
    /// would be wider or taller than a figure may be (`Gnuplot.maxSide`): `--thumb 512
    /// --columns 16` made gnuplot's text page, clamped to that size, miss the canvas.
    mutating func fitWithinFigureLimit() {
        var layout = Layout(self)
        let sectionCount = max(1, sections.count)
        let columnsFit = (Gnuplot.maxSide - 2 * layout.margin - (sectionCount - 1) * layout.sectionGap) / (sectionCount * layout.cellWidth)
        if layout.width > Gnuplot.maxSide {
            columns = max(1, min(columns, columnsFit))
            layout = Layout(self)
        }
        let rowsFit = max(1, (Gnuplot.maxSide - (layout.height - layout.rows * layout.cellHeight)) / layout.cellHeight)
        guard layout.rows > rowsFit else { return }
        let keep = rowsFit * max(1, columns)
        var dropped = 0
        for index in sections.indices where sections[index].items.count > keep {
            dropped += sections[index].items.count - keep
            sections[index].items.removeLast(sections[index].items.count - keep)
        }
        subtitle += "; \(dropped) more not drawn (a figure is at most \(Gnuplot.maxSide) pixels)"
    }

    public var title: String
    public var subtitle: String
    public var sections: [Section]
    public var columns: Int
    public var thumb: Int

    /// Misclassified samples of `variant` (in `slice` when given), most confident errors first,
    /// at most `limit` of them.
    public static func failures(of variant: ReportVariant, in data: RunReportData, slice: ReportSlice? = nil,
                                limit: Int = 48, columns: Int = 8, thumb: Int = 96) -> Gallery {
        let pool = data.positions(in: slice)
        let evaluated = pool.lazy.filter { variant.predictions[$0] != nil }.count
        let errors = pool.compactMap { position -> (position: Int, sample: ReportSample, prediction: ReportPrediction)? in
            let sample = data.samples[position]
            guard let prediction = variant.predictions[position], prediction.predicted != sample.trueLabel else { return nil }
            return (position, sample, prediction)
        }.sorted { a, b in
            a.prediction.confidence != b.prediction.confidence ? a.prediction.confidence > b.prediction.confidence : a.sample.key < b.sample.key
        }
        let items = errors.prefix(max(0, limit)).map { position, sample, prediction in
            Item(image: sample.image, sampleKey: sample.key, caption: caption(sample, prediction), wrong: true, fingerprint: data.imageFingerprint(at: position))
        }
        let sliceName = slice?.name ?? "overall"
        return Gallery(
            title: "\(data.experiment) run \(data.runNumber) — failures of \(variant.name) (\(variant.kind)) on \(sliceName)",
            subtitle: "\(errors.count) errors / \(evaluated) samples"
                + (errors.count > items.count ? (items.isEmpty ? "; none shown (limit 0)" : "; the \(items.count) most confident shown") : "") + "; most confident first",
            sections: [Section(title: "misclassified", items: items, total: errors.count)],
            columns: columns, thumb: thumb)
    }

    /// Samples `a` gets right and `b` gets wrong, and the reverse, side by side; in each section
    /// the wrong variant's most confident errors come first.
    public static func disagreement(between a: ReportVariant, and b: ReportVariant, in data: RunReportData, slice: ReportSlice? = nil,
                                    limit: Int = 24, columns: Int = 4, thumb: Int = 96) -> Gallery {
        func section(right: ReportVariant, wrong: ReportVariant) -> Section {
            let picked = data.positions(in: slice).compactMap { position -> (Int, ReportSample, ReportPrediction, ReportPrediction)? in
                let sample = data.samples[position]
                guard let good = right.predictions[position], let bad = wrong.predictions[position],
                      good.predicted == sample.trueLabel, bad.predicted != sample.trueLabel else { return nil }
                return (position, sample, good, bad)
            }.sorted { x, y in x.3.confidence != y.3.confidence ? x.3.confidence > y.3.confidence : x.1.key < y.1.key }
            let items = picked.prefix(max(0, limit)).map { position, sample, good, bad in
                Item(image: sample.image, sampleKey: sample.key, caption: [
                    sample.key,
                    "true \(sample.trueLabel)",
                    "\(wrong.name): \(bad.predicted) \(percent(bad.confidence))",
                    "\(right.name): \(good.predicted) \(percent(good.confidence))",
                ], wrong: true, fingerprint: data.imageFingerprint(at: position))
            }
            return Section(title: "\(right.name) right, \(wrong.name) wrong: \(picked.count)", items: items, total: picked.count)
        }
        let left = section(right: a, wrong: b), right = section(right: b, wrong: a)
        let both = data.positions(in: slice).lazy.filter { a.predictions[$0] != nil && b.predictions[$0] != nil }.count
        let flips = left.total + right.total
        return Gallery(
            title: "\(data.experiment) run \(data.runNumber) — where \(a.name) and \(b.name) disagree on \(slice?.name ?? "overall")",
            subtitle: "\(flips) of \(both) samples are right for exactly one of the two (flip rate \(both == 0 ? "—" : percent(Float(flips) / Float(both))))",
            sections: [left, right], columns: columns, thumb: thumb)
    }

    static func caption(_ sample: ReportSample, _ prediction: ReportPrediction) -> [String] {
        [sample.key, "\(sample.trueLabel) → \(prediction.predicted) \(percent(prediction.confidence))", sample.tags.joined(separator: ", ")]
    }

    static func percent(_ value: Float) -> String {
        String(format: "%.0f%%", Double(value) * 100)
    }
}
