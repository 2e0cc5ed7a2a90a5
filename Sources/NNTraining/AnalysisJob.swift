import Foundation
import NNAnalysis
import NNReport
import NNCheckpoint
import NNConfig
import NNData
import NNTensor

/// `nnrun fit` of an `AnalysisRecipe`: loads the data (all rows, or the training split when the
/// recipe has a `split:`), scales it as `data:` says, runs PCA, k-means or t-SNE, and writes the run
/// folder atomically (`RunFolder.write`):
/// - `embedding.csv` (PCA, t-SNE): one row per sample, the coordinates then `label`;
///   `clusters.csv` (k-means): `row,cluster,label`.
/// - `embedding.svg`: the first two coordinates coloured by class (k-means: the PCA projection to
///   2-D, coloured by cluster).
/// - `metrics.json`: PCA's explained variance ratios; k-means' inertia, iterations, and ARI, NMI
///   and purity against the labels; t-SNE's KL divergence, iterations and trustworthiness (k = 5);
///   rows, features and seconds for all.
/// - `model.json`: format and nnrun versions, the resolved recipe, label names.
///
/// The method's random draws come from `RNG(seed: seed, stream: "analysis")`.
public struct AnalysisJob {
    public var recipe: AnalysisRecipe
    public var gemm: GEMM
    public var overwrite = false
    public var log: (String) -> Void = { _ in }

    public init(recipe: AnalysisRecipe, gemm: GEMM) {
        self.recipe = recipe
        self.gemm = gemm
    }

    public struct Result {
        /// Rows of `embedding.csv` / `clusters.csv` as coordinates (k-means: the 2-D PCA projection).
        public var coordinates: Matrix
        public var metrics: [(String, ConfigNode)]
        public var files: [(name: String, contents: [UInt8])]
        public var seconds: Double
        public var output: String
        /// One line for the terminal.
        public var summary: String
    }

    /// The data the method sees: all rows (or the training split), scaled.
    public func loadRows() throws -> Dataset {
        let config = recipe.data
        var dataset = try loadDataset(config, baseDirectory: ConfigPaths.folder(of: recipe.file))
        if recipe.usesSplit {
            dataset = try makeSplits(dataset, config: config, seed: UInt64(recipe.seed)).train
        }
        let n = dataset.featureCount
        let scaling = config.standardize
            ? InputScaling.fit(features: dataset.features, featureCount: n, scale: config.scale)
            : InputScaling(scale: config.scale)
        scaling.apply(to: &dataset.features, featureCount: n)
        return dataset
    }

    public func run(write: Bool = true) throws -> Result {
        try run(on: try loadRows(), write: write)
    }

    /// Checks the method's options against `dataset` without running it (`nnrun check`).
    public func validate(_ dataset: Dataset) throws {
        do {
            switch recipe.method {
            case .pca(let o): _ = try PCA.validate(o, rows: dataset.count, columns: dataset.featureCount)
            case .kmeans(let o): try KMeans.validate(o, rows: dataset.count)
            case .tsne(let o): _ = try TSNE.validate(o, rows: dataset.count, columns: dataset.featureCount)
            }
        } catch let error as AnalysisError {
            throw reported(error)
        }
    }

    /// An option the data rejects as a config error at its key; a NaN in the data as `AnalysisDataError`.
    func reported(_ error: AnalysisError) -> Error {
        if let option = error.option, case .option(_, let message) = error {
            return ConfigErrors([recipe.error(for: option, message)])
        }
        return AnalysisDataError(file: recipe.file, message: error.description)
    }

    /// Runs the method on `dataset` (already scaled). Options the data rejects are config errors
    /// at their key; a NaN or infinity in the data is an error naming its row and column.
    public func run(on dataset: Dataset, write: Bool = true) throws -> Result {
        if write { try RunFolder.checkWritable(recipe.outputFolder, overwrite: overwrite) }
        let x = Matrix(rows: dataset.count, columns: dataset.featureCount, floats: dataset.features)
        var rng = RNG(seed: UInt64(recipe.seed), stream: "analysis")
        log("Running \(recipe.method.name) on \(x.rows) rows of \(x.columns) features\n")
        let started = WallClock.now()
        var metrics: [(String, ConfigNode)] = [("method", .string(recipe.method.name)), ("rows", .int(x.rows)), ("features", .int(x.columns))]
        var coordinates: Matrix, csvName: String, csv: String, classes: [Int], classNames: [String], title: String, summary: String
        var legendTitle = "class"
        var axes = ("component 1", "component 2")
        do {
            switch recipe.method {
            case .pca(let options):
                let pca = try PCA.fit(x, options: options, rng: &rng, gemm: gemm)
                coordinates = try pca.transform(x, gemm: gemm)
                let ratios = pca.explainedVarianceRatio
                metrics += [("n_components", .int(pca.components.rows)), ("solver", .string(pca.solver.rawValue)),
                            ("explained_variance_ratio", .list(ratios.map { .double(round6($0)) })),
                            ("explained_variance_ratio_sum", .double(round6(ratios.reduce(0, +))))]
                csvName = "embedding.csv"
                csv = Self.embeddingCSV(coordinates, prefix: "pc", dataset)
                (classes, classNames) = (dataset.labels, dataset.labelNames)
                title = "PCA of \(recipe.name)"
                axes = ("PC 1 (\(percent(ratios[0])) of variance)", ratios.count > 1 ? "PC 2 (\(percent(ratios[1])))" : "")
                summary = "Explained variance ratio: " + ratios.prefix(10).map { String(format: "%.4f", $0) }.joined(separator: ", ")
                    + (ratios.count > 10 ? ", ..." : "") + String(format: " (sum %.4f over %d components)", ratios.reduce(0, +), ratios.count)
            case .kmeans(let options):
                let result = try KMeans.fit(x, options: options, rng: &rng, gemm: gemm)
                let ari = ClusterScores.adjustedRandIndex(dataset.labels, result.labels)
                let nmi = ClusterScores.normalizedMutualInformation(dataset.labels, result.labels)
                let purity = ClusterScores.purity(dataset.labels, result.labels)
                metrics += [("n_clusters", .int(options.clusters)), ("inertia", .double(round6(result.inertia))),
                            ("n_iter", .int(result.iterations)), ("adjusted_rand_index", .double(round6(ari))),
                            ("normalized_mutual_info", .double(round6(nmi))), ("purity", .double(round6(purity)))]
                csvName = "clusters.csv"
                csv = "row,cluster,label\n" + (0..<x.rows).map { "\($0),\(result.labels[$0]),\(csvField(dataset.labelNames[dataset.labels[$0]]))\n" }.joined()
                let projection = PCA.Options(components: .count(min(2, x.columns, x.rows)))
                coordinates = try PCA.fit(x, options: projection, rng: &rng, gemm: gemm).transform(x, gemm: gemm)
                (classes, classNames) = (result.labels, (0..<options.clusters).map { "cluster \($0)" })
                legendTitle = "cluster"
                title = "k-means (k = \(options.clusters)) of \(recipe.name), PCA projection"
                summary = String(format: "Inertia %.4f after %d iterations; against the labels: ARI %.4f, NMI %.4f, purity %.4f",
                                 result.inertia, result.iterations, ari, nmi, purity)
            case .tsne(let options):
                let result = try TSNE.fit(x, options: options, rng: &rng, gemm: gemm)
                coordinates = result.embedding
                let k = min(5, max(1, (x.rows - 1) / 2))
                let trust = try Trustworthiness.score(input: x, embedding: coordinates, k: k, gemm: gemm)
                metrics += [("method_used", .string(result.method.rawValue)), ("learning_rate", .double(round6(result.learningRate))),
                            ("n_iter", .int(result.iterations)), ("kl_divergence", .double(round6(result.klDivergence))),
                            ("trustworthiness", .double(round6(trust))), ("trustworthiness_k", .int(k))]
                csvName = "embedding.csv"
                csv = Self.embeddingCSV(coordinates, prefix: "tsne", dataset)
                (classes, classNames) = (dataset.labels, dataset.labelNames)
                title = "t-SNE of \(recipe.name) (perplexity \(options.perplexity.rounded() == options.perplexity ? String(Int(options.perplexity)) : String(options.perplexity)))"
                axes = ("t-SNE 1", "t-SNE 2")
                summary = String(format: "KL divergence %.4f after %d iterations (", result.klDivergence, result.iterations)
                    + result.method.rawValue + String(format: "); trustworthiness (k = %d) %.4f", k, trust)
            }
        } catch let error as AnalysisError {
            throw reported(error)
        }
        let seconds = WallClock.now() - started
        metrics.append(("seconds", .double((seconds * 1000).rounded() / 1000)))
        let ys = coordinates.columns > 1 ? (0..<coordinates.rows).map { coordinates[$0, 1] } : [Double](repeating: 0, count: coordinates.rows)
        let svg = ScatterSVG.render(x: (0..<coordinates.rows).map { coordinates[$0, 0] }, y: ys, classes: classes,
                                    classNames: classNames, title: title, xLabel: axes.0, yLabel: axes.1, legendTitle: legendTitle)
        let model = ConfigNode.map([("format_version", .int(runFormatVersion)), ("nnrun_version", .string(nnrunVersion)),
                                    ("name", .string(recipe.name)), ("seed", .int(recipe.seed)), ("config", recipe.resolved),
                                    ("labels", .strings(dataset.labelNames)), ("gemm_backend", .string(gemm.kind.rawValue))])
        let files: [(name: String, contents: [UInt8])] = [
            ("model.json", model.jsonText() + "\n"), (csvName, csv), ("embedding.svg", svg),
            ("metrics.json", ConfigNode.map(metrics).jsonText() + "\n"),
        ].map { ($0.0, Array($0.1.utf8)) }
        if write { try RunFolder.write(files, to: recipe.outputFolder, overwrite: overwrite) }
        return Result(coordinates: coordinates, metrics: metrics, files: files, seconds: seconds, output: recipe.outputFolder, summary: summary)
    }

    /// `prefix1,prefix2,...,label` then one line per row (shortest round-trip decimals).
    static func embeddingCSV(_ m: Matrix, prefix: String, _ dataset: Dataset) -> String {
        var out = (1...max(m.columns, 1)).map { "\(prefix)\($0)" }.joined(separator: ",") + ",label\n"
        for i in 0..<m.rows {
            out += (0..<m.columns).map { "\(m[i, $0])" }.joined(separator: ",") + "," + csvField(dataset.labelNames[dataset.labels[i]]) + "\n"
        }
        return out
    }
}

/// A problem in the data itself (a NaN), found by an unsupervised method: one line, exit 1.
public struct AnalysisDataError: Error, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}

func round6(_ v: Double) -> Double { v.isFinite ? (v * 1e6).rounded() / 1e6 : 0 }

func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }

/// A CSV field, quoted when it holds a comma, a quote or a line break.
func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
