import ArgumentParser
import Foundation
import StratumReports
import StratumRunner

struct GalleryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery",
        abstract: "Draw one failure gallery (or, with --vs, a disagreement gallery) of a stored run.")

    @Argument(help: ArgumentHelp("The run: N, EXPERIMENT/N, EXPERIMENT (its latest run) or latest.", valueName: "run"))
    var selector: String = "latest"

    @OptionGroup var store: StoreOptions

    @Option(help: "The variant whose failures to show.")
    var variant: String

    @Option(help: "Only samples of this slice (default: all).")
    var slice: String?

    @Option(help: "Compare with this variant: samples one gets right and the other wrong.")
    var vs: String?

    @Option(name: .shortAndLong, help: "The PNG file to write.")
    var output: String

    @OptionGroup var layout: GalleryLayoutOptions

    func run() throws {
        do {
            let opened = try store.open()
            let (experiment, number) = try RunSelection.parse(selector, in: opened, command: "gallery")
            let data = try StoredRunReports.data(store: opened, experiment: experiment, number: number, dataRoot: layout.dataRootURL)
            func find(_ name: String) throws -> ReportVariant {
                guard let found = data.variants.first(where: { $0.name == name }) else {
                    throw ReportError(message: "run \(data.runNumber) has no variant '\(name)' (variants: \(data.variants.map(\.name).joined(separator: ", ")))")
                }
                return found
            }
            var chosenSlice: ReportSlice?
            if let slice {
                guard let found = data.slices.first(where: { $0.name == slice }) else {
                    throw ReportError(message: "run \(data.runNumber) has no slice '\(slice)' (slices: \(data.slices.map(\.name).joined(separator: ", ")))")
                }
                chosenSlice = found
            }
            let gallery = try vs.map { other in
                Gallery.disagreement(between: try find(variant), and: try find(other), in: data, slice: chosenSlice, limit: layout.limit, columns: layout.columns, thumb: layout.thumb)
            } ?? Gallery.failures(of: try find(variant), in: data, slice: chosenSlice, limit: layout.limit, columns: layout.columns, thumb: layout.thumb)
            let omitted = try gallery.render(to: URL(fileURLWithPath: output), gnuplot: try Gnuplot())
            print("\(output): \(gallery.thumbnailCount - omitted.count) thumbnails\(omitted.isEmpty ? "" : " (\(omitted.count) not drawn)"); \(gallery.subtitle)")
            GalleryLayoutOptions.warnAboutOmittedImages(omitted, run: data.runNumber, hint: layout.unreadableHint)
            try GalleryLayoutOptions.failIfImagesWereLeftOut(omitted)
        } catch let error as ValidationError {
            throw error
        } catch let error as ReportError {
            Terminal.error("error: \(error)")
            throw ExitCode(ExitCodes.dataError)
        } catch {
            throw report(error)
        }
    }
}
