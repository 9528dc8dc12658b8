import Foundation

/// The per-run `index.html`: summary table, every chart and gallery, links between them.
/// Self-contained (images are files beside it; no scripts, fonts or styles from elsewhere);
/// every value from the data is HTML-escaped.
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

    public init(data: RunReportData, figures: [Figure]) {
        self.data = data
        self.figures = figures
    }

    public func html() -> String {
        let e = Self.escape
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
        </style>
        </head>
        <body>
        <h1>\(e(data.experiment)) — run \(data.runNumber)</h1>
        <p class="small">status \(e(data.status)) · evaluated split \(e(data.split)) · \(data.samples.count) samples · started \(e(ISO8601DateFormatter().string(from: data.startedAt)))</p>

        """
        let sections = figures.map(\.section).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        out += "<nav><a href=\"#summary\">summary</a>" + sections.map { "<a href=\"#\(Self.anchor($0))\">\(e($0))</a>" }.joined() + "</nav>\n"
        out += "<h2 id=\"summary\">Accuracy by slice</h2>\n<p class=\"small\">accuracy [95% Wilson interval] · the lowest accuracy of each variant is shaded</p>\n<table>\n<tr><th>slice</th><th>n</th>"
        out += variants.map { "<th>\(e($0.name))<br><span class=\"small\">\(e($0.kind))</span></th>" }.joined() + "</tr>\n"
        var worst: [String: String] = [:]
        for variant in variants {
            worst[variant.name] = variant.scores.filter { $0.accuracy != nil }.min { ($0.accuracy ?? 0) < ($1.accuracy ?? 0) }?.slice
        }
        for slice in data.chartedSlices {
            let n = variants.compactMap { $0.scores.first { $0.slice == slice.name }?.n }.first ?? slice.members.count
            out += "<tr><td title=\"\(e(slice.definition))\">\(e(slice.name))</td><td>\(n)</td>"
            for variant in variants {
                if let score = variant.scores.first(where: { $0.slice == slice.name }), let accuracy = score.accuracy {
                    let interval = score.ciLow.map { low in String(format: " [%.2f, %.2f]", low, score.ciHigh ?? accuracy) } ?? ""
                    let shade = worst[variant.name] == slice.name ? " class=\"worst\"" : ""
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
        for section in sections {
            out += "<h2 id=\"\(Self.anchor(section))\">\(e(section))</h2>\n"
            for figure in figures where figure.section == section {
                out += "<figure><figcaption>\(e(figure.title))</figcaption><a href=\"\(e(Self.urlEscape(figure.file)))\"><img src=\"\(e(Self.urlEscape(figure.file)))\" alt=\"\(e(figure.title))\"></a></figure>\n"
            }
        }
        out += "<p class=\"small\">Made by stratum from the run's stored predictions and metrics.</p>\n</body>\n</html>\n"
        return out
    }

    /// Escapes `& < > " '` for text and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func anchor(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    static func urlEscape(_ file: String) -> String {
        file.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file
    }
}
