import Foundation
import StratumCore

/// The per-run `index.html`: summary table, every chart and gallery, links between them.
/// Self-contained (images are files beside it; no scripts, fonts or styles from elsewhere — the
/// metric table's sorting and filtering is a short inline script reading the table's own
/// cells); every value from the data is HTML-escaped.
public struct HTMLIndex: Sendable {
    public struct Figure: Sendable, Equatable {
        public var title: String
        /// File name relative to the index.
        public var file: String
        public var section: String

        public init(title: String, file: String, section: String) {
            self.title = title
            self.file = file
            self.section = section
        }
    }

    public var data: RunReportData
    public var figures: [Figure]
    /// Thumbnails the galleries did not draw (`Gallery.render`), listed with why.
    public var omitted: [Gallery.Omission]

    public init(data: RunReportData, figures: [Figure], omitted: [Gallery.Omission] = []) {
        self.data = data
        self.figures = figures
        self.omitted = omitted
    }

    public func html() -> String {
        let e = Self.escape
        let ids = AnchorIDs(reserved: ["summary", "all-metrics", "confusion-by-slice", "unreadable", "not-drawn", "metrics", "metric-filter"])
        let variants = data.variants
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(e("\(data.experiment) run \(data.runNumber)")) — Stratum</title>
        <style>
        body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #1a1a1a; }
        table { border-collapse: collapse; margin: 12px 0 24px; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        th { background: #eef2f7; }
        td.worst { background: #fde0dc; }
        .failed { color: #b00020; }
        nav a { margin-right: 14px; }
        figure { margin: 0 0 28px; }
        figure img { max-width: 100%; border: 1px solid #ddd; }
        figcaption { font-weight: bold; margin-bottom: 6px; }
        .small { color: #555; font-size: 90%; }
        #metrics th { cursor: pointer; }
        #metrics td:nth-child(3) { text-align: left; }
        #metrics td:nth-child(2) { text-align: left; }
        details { margin: 2px 0; }
        details table { margin: 4px 0 8px; }
        </style>
        </head>
        <body>
        <h1>\(e(data.experiment)) — run \(data.runNumber)</h1>
        <p class="small">status \(e(data.status)) · evaluated split \(e(data.split)) · \(data.samples.count) samples · started \(e(ISO8601DateFormatter().string(from: data.startedAt)))</p>

        """
        let sections = figures.map(\.section).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        out += "<nav><a href=\"#summary\">summary</a>" + (data.metrics.isEmpty ? "" : "<a href=\"#all-metrics\">every metric</a><a href=\"#confusion-by-slice\">confusion by slice</a>") + sections.map { "<a href=\"#\(ids.id(["section", $0], slug: $0))\">\(e($0))</a>" }.joined() + "</nav>\n"
        out += "<h2 id=\"summary\">Accuracy by slice</h2>\n<p class=\"small\">accuracy [95% Wilson interval] · the lowest accuracy of each variant is shaded</p>\n<table>\n<tr><th>slice</th><th>n</th>"
        out += variants.map { variant in
            let partial = variant.completed ? "" : " · \(variant.status)"
            return "<th>\(e(variant.name))<br><span class=\"small\">\(e(variant.kind + partial))</span></th>"
        }.joined() + "</tr>\n"
        // Each variant's lowest accuracy among the slices this table shows (an intersection it
        // leaves out could hold the minimum, and then nothing was shaded), every tie shaded.
        let shown = Set(data.chartedSlices.map(\.name))
        var lowest: [String: Double] = [:]
        for variant in variants {
            lowest[variant.name] = variant.scores.filter { shown.contains($0.slice) }.compactMap(\.accuracy).min()
        }
        for slice in data.chartedSlices {
            let n = variants.compactMap { $0.scores.first { $0.slice == slice.name }?.n }.first ?? slice.memberCount
            out += "<tr><td title=\"\(e(slice.definition))\">\(e(slice.name))</td><td>\(n)</td>"
            for variant in variants {
                if let score = variant.scores.first(where: { $0.slice == slice.name }), let accuracy = score.accuracy {
                    let interval = score.ciLow.map { low in String(format: " [%.2f, %.2f]", low, score.ciHigh ?? accuracy) } ?? ""
                    let shade = lowest[variant.name] == accuracy ? " class=\"worst\"" : ""
                    out += "<td\(shade)>\(String(format: "%.3f", accuracy))<span class=\"small\">\(interval)</span></td>"
                } else {
                    out += "<td>—</td>"
                }
            }
            out += "</tr>\n"
        }
        out += "</table>\n"
        for variant in variants where !variant.completed {
            let partial = variant.predictions.isEmpty ? "" : " — partial: \(variant.predictions.count) of \(data.samples.count) samples predicted; its figures below are of those alone"
            out += "<p class=\"failed\">\(e(variant.name)) \(e(variant.status))\(e(partial)): \(e(variant.error ?? ""))</p>\n"
        }
        if !data.unreadable.isEmpty {
            out += "<h2 id=\"unreadable\">Unreadable images</h2>\n<p class=\"failed\">\(data.unreadable.count) sample(s) of the evaluated split could not be decoded and are left out of every variant.</p>\n"
            out += "<table>\n<tr><th>id</th><th>path</th><th>problem</th></tr>\n"
            for sample in data.unreadable {
                out += "<tr><td>\(e(sample.key))</td><td>\(e(sample.path))</td><td style=\"text-align:left\">\(e(sample.reason))</td></tr>\n"
            }
            out += "</table>\n"
        }
        if !omitted.isEmpty {
            out += "<h2 id=\"not-drawn\">Images not drawn</h2>\n<p class=\"failed\">\(omitted.count) sample(s) shown in galleries have an image file that is not the one the run read: a crossed box stands in their place.</p>\n"
            out += "<table>\n<tr><th>id</th><th>path</th><th>why</th></tr>\n"
            for item in omitted {
                let why: String
                switch item.reason {
                case .changed: why = "the file changed since the run read it"
                case .unreadable(let cause): why = "cannot be read now: \(cause)"
                }
                out += "<tr><td>\(e(item.sampleKey))</td><td>\(e(item.path))</td><td style=\"text-align:left\">\(e(why))</td></tr>\n"
            }
            out += "</table>\n"
        }
        if !data.metrics.isEmpty { out += metricTable(ids) + confusionBySlice(ids) }
        for section in sections {
            out += "<h2 id=\"\(ids.id(["section", section], slug: section))\">\(e(section))</h2>\n"
            for figure in figures where figure.section == section {
                out += "<figure><figcaption>\(e(figure.title))</figcaption><a href=\"\(e(Self.urlEscape(figure.file)))\"><img src=\"\(e(Self.urlEscape(figure.file)))\" alt=\"\(e(figure.title))\"></a></figure>\n"
            }
        }
        out += "<p class=\"small\">Made by stratum from the run's stored predictions and metrics.</p>\n</body>\n</html>\n"
        return out
    }

    /// Every stored metric, one row per variant × slice × metric, with its gap to the variant's
    /// overall value; click a header to sort, type in the box to filter.
    func metricTable(_ ids: AnchorIDs) -> String {
        let e = Self.escape
        var overall: [String: Double] = [:]
        for m in data.metrics where m.slice == "overall" { if let v = m.value { overall[m.variant + "\u{0}" + m.name] = v } }
        var out = """
        <h2 id="all-metrics">Every metric</h2>
        <p class="small">Intervals: Wilson 95% for proportions, stratified bootstrap percentile 95% for the rest. Gap: value − the variant's overall value.
        Undefined values say why. Click a column to sort; the box filters rows containing every word typed.</p>
        <input id="metric-filter" type="search" placeholder="filter, e.g. small-cnn recall child" size="50">
        <table id="metrics">
        <tr><th>variant</th><th>slice</th><th>metric</th><th>n</th><th>denominator</th><th>value</th><th>95% interval</th><th>method</th><th>gap</th></tr>

        """
        for m in data.metrics {
            let value = m.value.map { String(format: "%.4f", $0) } ?? "undefined: \(m.note ?? "")"
            let interval = m.ciLow.map { String(format: "[%.4f, %.4f]", $0, m.ciHigh ?? $0) } ?? ""
            let gap = m.slice == "overall" ? "" : (m.value.flatMap { v in overall[m.variant + "\u{0}" + m.name].map { String(format: "%+.4f", v - $0) } } ?? "")
            let link = "<a href=\"#\(ids.id(["cm", m.variant, m.slice], slug: "cm-\(m.variant)-\(m.slice)"))\">\(e(m.slice))</a>"
            out += "<tr><td>\(e(m.variant))</td><td>\(link)</td><td>\(e(m.name))</td><td>\(m.n)</td><td>\(m.denominator.map(String.init) ?? "")</td>"
                + "<td>\(e(value))</td><td>\(interval)</td><td>\(e(m.intervalMethod ?? ""))</td><td>\(gap)</td></tr>\n"
        }
        out += """
        </table>
        <script>
        (function () {
          var table = document.getElementById("metrics"), filter = document.getElementById("metric-filter");
          var rows = Array.prototype.slice.call(table.rows, 1), direction = {};
          filter.addEventListener("input", function () {
            var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
            rows.forEach(function (row) {
              var text = row.textContent.toLowerCase();
              row.style.display = words.every(function (w) { return text.indexOf(w) >= 0; }) ? "" : "none";
            });
          });
          Array.prototype.forEach.call(table.rows[0].cells, function (header, column) {
            header.addEventListener("click", function () {
              var sign = direction[column] = -(direction[column] || -1);
              rows.sort(function (a, b) {
                var x = a.cells[column].textContent, y = b.cells[column].textContent;
                var u = parseFloat(x), v = parseFloat(y);
                if (!isNaN(u) && !isNaN(v)) return sign * (u - v);
                if (isNaN(u) !== isNaN(v)) return isNaN(u) ? 1 : -1;
                return sign * x.localeCompare(y);
              });
              rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
            });
          });
        })();
        </script>

        """
        return out
    }

    /// A confusion matrix per variant and slice (rows true, columns predicted), each folded.
    func confusionBySlice(_ ids: AnchorIDs) -> String {
        let e = Self.escape
        var out = "<h2 id=\"confusion-by-slice\">Confusion matrices by slice</h2>\n<p class=\"small\">rows: true label · columns: predicted label</p>\n"
        for variant in data.variants where !variant.predictions.isEmpty {
            out += "<h3>\(e(variant.name))</h3>\n"
            for (slice, matrix) in zip(data.slices, data.confusions(of: variant, slices: data.slices)) {
                out += "<details id=\"\(ids.id(["cm", variant.name, slice.name], slug: "cm-\(variant.name)-\(slice.name)"))\"><summary>\(e(slice.name)) (n=\(matrix.total))</summary>\n<table>\n<tr><th>true \\ predicted</th>"
                out += matrix.labels.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
                for (i, label) in matrix.labels.enumerated() {
                    out += "<tr><td>\(e(label))</td>" + matrix.counts[i].map { "<td>\($0)</td>" }.joined() + "</tr>\n"
                }
                out += "</table></details>\n"
            }
        }
        return out
    }

    /// Escapes `& < > " '` for text and attribute values. Text without them (nearly all: the
    /// index escapes a dozen strings for each of its thousands of rows) comes back as it is.
    /// Scalar by scalar: a quote followed by a combining mark is one `Character`, and the
    /// browser still ends the attribute at the quote (`String.mappingScalars`).
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        return text.mappingScalars { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            default: nil
            }
        }
    }

    /// `text` lowercased, every Unicode scalar but letters and digits made "-". ASCII text
    /// (slice and variant names, nearly always) byte by byte.
    static func anchor(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: text.utf8.map { byte -> UInt8 in
                switch byte {
                case 0x41...0x5A: byte + 0x20
                case 0x61...0x7A, 0x30...0x39: byte
                default: 0x2D
                }
            }, as: UTF8.self)
        }
        return text.lowercased().mappingScalars { scalar in
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber: nil
            default: "-"
            }
        }
    }

    /// Element ids, each a readable slug (`anchor`) of its text, made unique: two names with
    /// one slug (`a b` and `a-b`), or a variant named `summary`, get `-2`, `-3`… in the order
    /// first asked for, so a link never lands on another element. The same key always gets the
    /// same id, whether its link or its element comes first.
    final class AnchorIDs {
        private var byKey: [[String]: String] = [:]
        private var used: Set<String>

        init(reserved: [String]) { used = Set(reserved) }

        func id(_ key: [String], slug text: String) -> String {
            if let id = byKey[key] { return id }
            let slug = HTMLIndex.anchor(text)
            var id = slug, next = 2
            while used.contains(id) {
                id = "\(slug)-\(next)"
                next += 1
            }
            used.insert(id)
            byKey[key] = id
            return id
        }
    }

    static func urlEscape(_ file: String) -> String {
        file.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file
    }
}
