import ArgumentParser
import Foundation
import StratumRunner

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Re-render every report of a stored run from the database (images re-read from the dataset).")

    @Argument(help: ArgumentHelp("The run: N, EXPERIMENT/N, EXPERIMENT (its latest run) or latest.", valueName: "run"))
    var selector: String = "latest"

    @OptionGroup var store: StoreOptions

    @Option(help: "The reports folder.")
    var reports: String = "Reports"

    @Option(help: "Most thumbnails per failure gallery.")
    var limit: Int = 40

    @Option(help: "Thumbnails per gallery row.")
    var columns: Int = 8

    @Option(help: "Thumbnail side in pixels.")
    var thumb: Int = 96

    func validate() throws {
        guard limit >= 0, columns >= 1, (16...512).contains(thumb) else { throw ValidationError("--limit ≥ 0, --columns ≥ 1 and --thumb in 16…512") }
    }

    func run() throws {
        do {
            let (experiment, number) = StoredRunReports.parseSelector(selector)
            let rendered = try StoredRunReports.render(store: try store.open(), experiment: experiment, number: number,
                                                       reportsRoot: URL(fileURLWithPath: reports), limit: limit, columns: columns, thumb: thumb)
            for file in rendered.files { print(file.path) }
        } catch {
            throw report(error)
        }
    }
}
