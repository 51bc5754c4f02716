import ArgumentParser
import BatchManifest
import Foundation

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the models known to this version: what each makes, its route, its price and when it was checked.",
        discussion: """
        The catalogue is data shipped with the tool, checked against public clients of the live service on the date shown. A model outside it is a warning in validate, never an error: it is sent as written, priced at its kind's price unless pricing.models names it. Prices shown as "kind" are not stated by any public source; the song or instrumental price of the price table applies. The default song model is tempolor-latest; the default instrumental model is TemPolor i3.5. Only tempolor-latest covers.
        """
    )

    @Flag(help: "Print the catalogue as a JSON array.")
    var json = false

    func run() throws {
        let entries = ModelCatalogue.entries
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        let rows = [["model", "makes", "vendor", "price", "checked", "route", "note"]] + entries.map { entry in
            let price = entry.price?.plainText ?? "kind"
            let defaults = [entry.name == ModelCatalogue.defaultSongModel || entry.name == ModelCatalogue.defaultInstrumentalModel ? "default" : nil,
                            entry.cover ? "covers" : nil, entry.note].compactMap { $0 }
            return [entry.name, entry.use.rawValue, entry.vendor, price, entry.checked, entry.route, defaults.joined(separator: "; ")]
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
        let table = PriceTable.default
        print("\nOther creates: cover \(table.cover.plainText) (+\(table.lyrics.plainText) when the platform writes the lyrics), midi \(table.midi.plainText) (no public price; override under pricing:), stems \(table.stems.plainText), lyrics \(table.lyrics.plainText), extend \(table.extend.plainText).")
    }
}
