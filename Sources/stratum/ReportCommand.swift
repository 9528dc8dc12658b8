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

    @OptionGroup var layout: GalleryLayoutOptions

    func run() throws {
        do {
            let opened = try store.open()
            let (experiment, number) = try RunSelection.parse(selector, in: opened, command: "report", takesVariant: false)
            let rendered = try StoredRunReports.render(store: opened, experiment: experiment, number: number,
                                                       reportsRoot: URL(fileURLWithPath: reports), dataRoot: layout.dataRootURL, limit: layout.limit, columns: layout.columns, thumb: layout.thumb)
            for file in rendered.files { print(file.path) }
            GalleryLayoutOptions.warnAboutOmittedImages(rendered.omitted, run: rendered.runNumber, hint: layout.unreadableHint)
            try GalleryLayoutOptions.failIfImagesWereLeftOut(rendered.omitted)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw report(error)
        }
    }
}
