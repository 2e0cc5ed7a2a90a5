import NNAnalysis
import NNData
import NNTensor

extension BenchJobs {
    /// The unsupervised jobs on all 1797 digits / 16, as ../shared/bench/peers/unsupervised_sklearn.py
    /// runs them: PCA(2) fit + transform (median of 5 after a warm-up); k-means (k = 10, n_init = 10,
    /// seed 0) fit time and ARI; t-SNE (perplexity 30, Barnes-Hut θ = 0.5, PCA init, 1000 iterations,
    /// seed 0) time and trustworthiness (k = 5). Returns the JSON fields (names as the peer's).
    static func analysis(_ job: Bench.Job, gemm: GEMM) throws -> [(String, String)] {
        let digits = Dataset.digits()
        let x = Matrix(rows: digits.count, columns: digits.featureCount, floats: digits.features.map { $0 / 16 })
        var rng = RNG(seed: 0, stream: "bench")
        var fields: [(String, String)] = [("n", "\(x.rows)")]
        switch job {
        case .pca:
            var times: [Double] = []
            for rep in 0..<6 {
                let started = WallClock.now()
                _ = try PCA.fit(x, rng: &rng, gemm: gemm).transform(x, gemm: gemm)
                if rep > 0 { times.append(WallClock.now() - started) }
            }
            let ratio = try PCA.fit(x, rng: &rng, gemm: gemm).explainedVarianceRatio
            fields += [("pca_s", format(times.sorted()[times.count / 2], 6)),
                       ("explained_variance_ratio", "[\(format(ratio[0], 4)), \(format(ratio[1], 4))]")]
        case .kmeans:
            let started = WallClock.now()
            let result = try KMeans.fit(x, options: KMeans.Options(clusters: 10), rng: &rng, gemm: gemm)
            let seconds = WallClock.now() - started
            fields += [("kmeans_s", format(seconds, 4)),
                       ("kmeans_ari", format(ClusterScores.adjustedRandIndex(digits.labels, result.labels), 4)),
                       ("kmeans_nmi", format(ClusterScores.normalizedMutualInformation(digits.labels, result.labels), 4)),
                       ("kmeans_inertia", format(result.inertia, 2)), ("kmeans_n_iter", "\(result.iterations)")]
        case .tsne:
            var options = TSNE.Options()
            options.method = .barnesHut
            let started = WallClock.now()
            let result = try TSNE.fit(x, options: options, rng: &rng, gemm: gemm)
            let seconds = WallClock.now() - started
            let trust = try Trustworthiness.score(input: x, embedding: result.embedding, k: 5, gemm: gemm)
            fields += [("tsne_s", format(seconds, 4)), ("tsne_trustworthiness_k5", format(trust, 4)),
                       ("tsne_kl", format(result.klDivergence, 4)), ("tsne_n_iter", "\(result.iterations)")]
        default:
            break
        }
        return fields
    }

    private static func format(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
}
