import NNAnalysis
import NNTensor
import Testing

@Suite struct ClusteringTests {
    @Test func scoresMatchScikitLearn() {
        for c in AnalysisFixture.shared.cluster_scores {
            #expect(abs(ClusterScores.adjustedRandIndex(c.truth, c.predicted) - c.ari) < 1e-12)
            #expect(abs(ClusterScores.normalizedMutualInformation(c.truth, c.predicted) - c.nmi) < 1e-12)
        }
        #expect(ClusterScores.purity([0, 0, 1, 1, 2], [5, 5, 5, 7, 7]) == 0.6)
    }

    @Test func kmeansOnDigitsMatchesScikitLearn() throws {
        let reference = AnalysisFixture.shared.kmeans
        var rng = RNG(seed: 0)
        let result = try KMeans.fit(digits.x, options: KMeans.Options(clusters: 10), rng: &rng, gemm: gemm)
        let ari = ClusterScores.adjustedRandIndex(digits.labels, result.labels)
        #expect(abs(ari - reference.ari) < 0.03, "ARI \(ari) vs scikit-learn \(reference.ari)")
        #expect(result.inertia < reference.inertia * 1.01, "inertia \(result.inertia) vs scikit-learn \(reference.inertia)")
        // Inertia is what it says: the squared distances to the assigned centres.
        var inertia = 0.0
        for i in 0..<digits.x.rows { for j in 0..<64 { let d = digits.x[i, j] - result.centers[result.labels[i], j]; inertia += d * d } }
        #expect(abs(inertia - result.inertia) < 1e-6 * inertia)
        // Same seed, same clusters.
        var again = RNG(seed: 0)
        #expect(try KMeans.fit(digits.x, options: KMeans.Options(clusters: 10), rng: &again, gemm: gemm).labels == result.labels)
    }

    @Test func separatedBlobsAreFoundExactly() throws {
        var rng = RNG(seed: 4)
        var values: [Double] = [], truth: [Int] = []
        for i in 0..<90 {
            let c = i % 3
            values += [Double(c) * 10 + rng.normal() * 0.3, Double(c * c) * 5 + rng.normal() * 0.3]
            truth.append(c)
        }
        var options = KMeans.Options(clusters: 3)
        options.nInit = 3
        let result = try KMeans.fit(Matrix(rows: 90, columns: 2, values: values), options: options, rng: &rng, gemm: gemm)
        #expect(ClusterScores.adjustedRandIndex(truth, result.labels) == 1)
        #expect(ClusterScores.normalizedMutualInformation(truth, result.labels) > 0.999999)
    }

    @Test func badInput() {
        var rng = RNG(seed: 0)
        let x = digits.x.rows(Array(0..<5))
        #expect(errorText { try KMeans.fit(x, options: KMeans.Options(clusters: 6), rng: &rng, gemm: gemm) }
                == "n_clusters: received 6, but the data has only 5 rows; n_clusters must be at most the number of rows")
        var bad = x
        bad[2, 0] = .infinity
        #expect(errorText { try KMeans.fit(bad, options: KMeans.Options(clusters: 2), rng: &rng, gemm: gemm) }
                == "the data has an infinite value (inf) at row 3, column 1; remove or impute it first")
    }
}
