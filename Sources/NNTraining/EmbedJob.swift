import Foundation
import NNAnalysis
import NNReport
import NNCheckpoint
import NNConfig
import NNData
import NNLayers
import NNTensor

/// `nnrun embed RUN --layer NAME --method pca|tsne|none`: the feature space of a trained network.
///
/// Runs a split of the run's data (scaled with the saved statistics, the saved split) through the
/// model in inference mode, keeps the output of layer `NAME` for every sample, flattened (an NHWC
/// map of h x w x c becomes h·w·c values, channels fastest), and
/// - projects it to 2-D: `pca` (PCA with 2 components), `tsne` (t-SNE, `tsneOptions`), or `none`
///   (the raw values of a layer of exactly 2 values, such as an autoencoder's bottleneck);
/// - clusters it with k-means, k = the number of classes, and scores the clusters' purity against
///   the labels (the fraction of samples whose cluster's most common class is their own), with ARI
///   and NMI; for `pca` and `tsne`, the trustworthiness (k = 5) of the projection;
/// - writes the folder `output` (default `RUN-embed-LAYER-METHOD`, beside the run folder, never
///   inside it: checkpoints and `--resume` replace a run folder as a whole) atomically
///   (`RunFolder.write`): `activations.csv` (`a1,...,aD,label`), `embedding.csv`
///   (`pc1,pc2,label`, `tsne1,tsne2,label` or `a1,a2,label`), `embedding.svg` (the scatter coloured
///   by class), `metrics.json` and `model.json` (what was embedded: run, layer, method, split).
///
/// Randomness: k-means draws from `RNG(seed, "embed", 0)`, the projection from `RNG(seed, "embed", 1)`,
/// where seed is the run's, so the same run gives the same files.
public struct EmbedJob {
    public enum Method: String, CaseIterable, Sendable { case pca, tsne, none }
    public enum Split: String, CaseIterable, Sendable {
        case test, train, validation, all

        /// "the test split", ..., "all the data".
        var phrase: String { self == .all ? "all the data" : "the \(rawValue) split" }
    }

    public var run: TrainedRun
    public var layer: String
    public var method: Method
    public var split: Split = .test
    /// t-SNE's options (scikit-learn's defaults; `nnrun embed --perplexity` sets the perplexity).
    public var tsneOptions = TSNE.Options()
    /// The output folder; nil means `defaultOutput`.
    public var output: String?
    public var overwrite = false
    public var gemm: GEMM

    public init(run: TrainedRun, layer: String, method: Method, gemm: GEMM) {
        self.run = run
        self.layer = layer
        self.method = method
        self.gemm = gemm
    }

    /// `RUN-embed-LAYER-METHOD`, beside the run folder.
    public var outputFolder: String {
        if let output { return output }
        var folder = run.folder
        while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
        if folder == "." || folder == ".." || folder.hasSuffix("/.") || folder.hasSuffix("/..") || folder == "/" {
            folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        }
        return "\(folder)-embed-\(layer)-\(method.rawValue)"
    }

    public struct Result {
        /// One row per sample: the layer's flattened output.
        public var activations: Matrix
        /// One row per sample: the 2-D projection.
        public var coordinates: Matrix
        public var labels: [Int]
        public var purity: Double
        /// The projection's trustworthiness (k = 5), for pca and tsne.
        public var trustworthiness: Double?
        public var metrics: [(String, ConfigNode)]
        public var files: [(name: String, contents: [UInt8])]
        public var output: String
        /// One line for the terminal.
        public var summary: String
    }

    /// The model's layer names, in order.
    public var layerNames: [String] { run.model.nodes.map(\.layer.name) }

    public func run(write: Bool = true) throws -> Result {
        let names = layerNames
        guard let node = names.firstIndex(of: layer) else {
            throw ConfigErrors([ConfigError(location: nil, path: "--layer \(layer)",
                message: "no layer named \"\(layer)\" in \(run.folder); its layers: \(names.joined(separator: ", "))",
                suggestion: didYouMean(layer, among: names))])
        }
        let width = run.model.nodes[node].outputShape.reduce(1, *)
        if method == .none && width != 2 {
            throw ConfigErrors([ConfigError(location: nil, path: "--method none",
                message: "layer \(layer) has \(width) values per sample; none plots the raw values of a layer of exactly 2 (a bottleneck); use pca or tsne")])
        }
        if write { try RunFolder.checkWritable(outputFolder, overwrite: overwrite) }
        let data = try samples()
        let x = activations(of: node, data)
        let seed = UInt64(run.recipe.config.seed)
        var metrics: [(String, ConfigNode)] = [("layer", .string(layer)), ("method", .string(method.rawValue)),
                                                ("split", .string(split.rawValue)), ("rows", .int(x.rows)), ("features", .int(x.columns))]
        var coordinates = x, axes = ("value 1", "value 2"), prefix = "a", title = "", trust: Double?
        var clusterScores: (Double, Double, Double)
        do {
            try x.checkFinite()
            var kmeansRNG = RNG(seed: seed, stream: "embed", index: 0)
            let kmeans = try KMeans.fit(x, options: KMeans.Options(clusters: data.classCount), rng: &kmeansRNG, gemm: gemm)
            clusterScores = (ClusterScores.purity(data.labels, kmeans.labels),
                             ClusterScores.adjustedRandIndex(data.labels, kmeans.labels),
                             ClusterScores.normalizedMutualInformation(data.labels, kmeans.labels))
            var rng = RNG(seed: seed, stream: "embed", index: 1)
            switch method {
            case .pca:
                let pca = try PCA.fit(x, options: PCA.Options(components: .count(min(2, x.columns, x.rows))), rng: &rng, gemm: gemm)
                coordinates = try pca.transform(x, gemm: gemm)
                let ratios = pca.explainedVarianceRatio
                metrics.append(("explained_variance_ratio", .list(ratios.map { .double(round6($0)) })))
                axes = ("PC 1 (\(percent(ratios[0])) of variance)", ratios.count > 1 ? "PC 2 (\(percent(ratios[1])))" : "")
                prefix = "pc"
                title = "PCA"
            case .tsne:
                do {
                    _ = try TSNE.validate(tsneOptions, rows: x.rows, columns: x.columns)
                } catch let error as AnalysisError where error.option == "perplexity" {
                    throw ConfigErrors([ConfigError(location: nil, path: "--perplexity",
                        message: error.description.replacingOccurrences(of: "perplexity: ", with: "", options: .anchored)
                            .replacingOccurrences(of: "the data has", with: "the \(split.rawValue) split has"))])
                }
                let tsne = try TSNE.fit(x, options: tsneOptions, rng: &rng, gemm: gemm)
                coordinates = tsne.embedding
                metrics += [("perplexity", .double(tsneOptions.perplexity)), ("kl_divergence", .double(round6(tsne.klDivergence)))]
                axes = ("t-SNE 1", "t-SNE 2")
                prefix = "tsne"
                let p = tsneOptions.perplexity
                title = "t-SNE (perplexity \(p.rounded() == p && abs(p) < 1e9 ? String(Int(p)) : String(p)))"
            case .none:
                title = "Raw values"
            }
            if method != .none {
                let k = min(5, max(1, (x.rows - 1) / 2))
                trust = try Trustworthiness.score(input: x, embedding: coordinates, k: k, gemm: gemm)
            }
        } catch let error as AnalysisError {
            throw EmbedError(message: "\(run.folder): layer \(layer) on \(split.phrase): \(error.description)")
        }
        let (purity, ari, nmi) = clusterScores
        metrics += [("kmeans_clusters", .int(data.classCount)), ("purity", .double(round6(purity))),
                    ("adjusted_rand_index", .double(round6(ari))), ("normalized_mutual_info", .double(round6(nmi)))]
        if let trust { metrics += [("trustworthiness", .double(round6(trust))), ("trustworthiness_k", .int(min(5, max(1, (x.rows - 1) / 2))))] }
        title += " of layer \(layer) of \(run.recipe.config.name), \(split.rawValue) split; k-means purity \(String(format: "%.3f", purity))"
        let svg = ScatterSVG.render(x: (0..<coordinates.rows).map { coordinates[$0, 0] },
                                    y: (0..<coordinates.rows).map { coordinates.columns > 1 ? coordinates[$0, 1] : 0 },
                                    classes: data.labels, classNames: data.labelNames, title: title, xLabel: axes.0, yLabel: axes.1)
        let record = ConfigNode.map([("format_version", .int(runFormatVersion)), ("nnrun_version", .string(nnrunVersion)),
                                     ("kind", .string("embedding")), ("run", .string(run.folder)), ("layer", .string(layer)),
                                     ("layer_shape", .ints(run.model.nodes[node].outputShape)), ("method", .string(method.rawValue)),
                                     ("split", .string(split.rawValue)), ("seed", .int(run.recipe.config.seed)),
                                     ("labels", .strings(data.labelNames))])
        let files: [(name: String, contents: [UInt8])] = [
            ("model.json", record.jsonText() + "\n"),
            ("activations.csv", AnalysisJob.embeddingCSV(x, prefix: "a", data)),
            ("embedding.csv", AnalysisJob.embeddingCSV(coordinates, prefix: prefix, data)),
            ("embedding.svg", svg),
            ("metrics.json", ConfigNode.map(metrics).jsonText() + "\n"),
        ].map { ($0.0, Array($0.1.utf8)) }
        if write { try RunFolder.write(files, to: outputFolder, overwrite: overwrite) }
        var summary = "Layer \(layer) (\(x.columns) values) on \(split.phrase) (\(x.rows) samples): "
            + String(format: "k-means purity (k = %d) %.4f, ARI %.4f, NMI %.4f", data.classCount, purity, ari, nmi)
        if let trust { summary += String(format: "; %@ trustworthiness (k = 5) %.4f", method == .pca ? "PCA" : "t-SNE", trust) }
        return Result(activations: x, coordinates: coordinates, labels: data.labels, purity: purity, trustworthiness: trust,
                      metrics: metrics, files: files, output: outputFolder, summary: summary)
    }

    /// The chosen split of the run's data (`all`: every row, in the data's order).
    func samples() throws -> Dataset {
        switch split {
        case .test: return try run.evaluationData(nil).data
        case .train: return try run.loadSplits().train
        case .validation: return try run.loadSplits().validation
        case .all:
            let s = try run.loadSplits()
            var joined = s.train
            joined.features += s.validation.features + s.test.features
            joined.labels += s.validation.labels + s.test.labels
            let rows = s.trainRows + s.validationRows + s.testRows
            return joined.subset(rows.indices.sorted { rows[$0] < rows[$1] })
        }
    }

    /// The output of node `node` for every sample of `data`, flattened, in inference mode and in
    /// slices of at most `Trainer.maxInferenceSlice` samples.
    func activations(of node: Int, _ data: Dataset) -> Matrix {
        let model = run.model
        let width = model.nodes[node].outputShape.reduce(1, *)
        let assembler = BatchAssembler(inputShape: model.inputShape, outputWidth: width, encoding: .indices, dtype: model.dtype)
        var values: [Double] = []
        values.reserveCapacity(data.count * width)
        for range in batchRanges(count: data.count, batchSize: Trainer.maxInferenceSlice) {
            assembler.load(data, rows: Array(range)[...])
            var context = LayerContext(mode: .inference, rng: RNG(seed: UInt64(run.recipe.config.seed)), gemm: gemm)
            _ = model.forward(assembler.x, &context)
            if let out = model.output(ofNode: node) { values += (0..<out.count).map { out[$0] } }
        }
        return Matrix(rows: data.count, columns: width, values: values)
    }
}

/// A failure of `nnrun embed` that is not a command-line mistake (activations that are not
/// finite, fewer samples than classes): one line, exit 1.
public struct EmbedError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
