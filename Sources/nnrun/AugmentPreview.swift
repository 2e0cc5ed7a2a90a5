import ArgumentParser
import NNCheckpoint
import Foundation
import NNConfig
import NNData
import NNReport
import NNTensor
import NNTraining

struct AugmentPreview: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment-preview",
        abstract: "Draw training samples and augmented copies of them (data.augmentation) as an SVG image grid.",
        discussion: "Each row is one training sample: the original first, then augmented versions drawn as training would draw them (seeded by --seed or the recipe's seed).")

    @OptionGroup var recipe: RecipeOptions

    @Option(help: "The SVG file to write.")
    var output = "augment-preview.svg"

    @Option(help: "Training samples to show (rows).")
    var samples = 8

    @Option(help: "Augmented copies per sample (columns after the original).")
    var variants = 7

    func validate() throws {
        guard (1...100).contains(samples) else { throw ValidationError("--samples \(samples): expected 1 to 100") }
        guard (1...30).contains(variants) else { throw ValidationError("--variants \(variants): expected 1 to 30") }
    }

    func run() throws {
        try reportingErrors {
            let loaded = try recipe.load()
            let data = loaded.config.data
            guard !data.augmentation.isIdentity else {
                throw ConfigErrors([ConfigError(location: data.origin.data, path: "data.augmentation",
                                                message: "the recipe has no augmentation to preview; add e.g. augmentation: {shift: 2, rotation: 10, zoom: 0.1}")])
            }
            let seed = UInt64(loaded.config.seed)
            let (splits, _) = try loadData(data, seed: seed, baseDirectory: ConfigPaths.folder(of: loaded.file))
            let train = splits.train, shape = train.featureShape
            let augmenter: Augmenter
            do {
                augmenter = try Augmenter(data.augmentation, sampleShape: shape)
            } catch {
                throw ConfigErrors([ConfigError(location: data.origin.data, path: "data.augmentation", message: "\(error)")])
            }
            let n = min(samples, train.count), size = train.featureCount
            let originals = Tensor(shape: [n] + shape, values: Array(train.features[0..<(n * size)]))
            var rng = RNG(seed: seed, stream: "augment-preview")
            var copies: [Tensor] = []
            for _ in 0..<variants {
                let x = originals.clone()
                augmenter.apply(to: x, rng: &rng)
                copies.append(x)
            }
            var tiles: [ImageTile] = []
            for i in 0..<n {
                let label = train.labelNames[train.labels[i]]
                tiles.append(ImageTile(pixels: (0..<size).map { originals[i * size + $0] }, shape: shape, caption: "\(label) original"))
                for (v, x) in copies.enumerated() {
                    tiles.append(ImageTile(pixels: (0..<size).map { x[i * size + $0] }, shape: shape, caption: "\(label) #\(v + 1)"))
                }
            }
            let title = "\(loaded.config.name): augmentation " + data.augmentation.encode().jsonText()
            try RunFolder.writeFileAtomically(output, Array(ImageGrid.svg(tiles, columns: variants + 1, title: title).utf8))
            writeOut("wrote \(output): \(n) training samples x \(variants) augmented copies\n")
        }
    }
}
