import Foundation
import NNAnalysis
import NNData
import NNTensor

/// `Fixtures/analysis.json`, written by `Fixtures/generate.py` (scikit-learn 1.9.1).
struct AnalysisFixture: Decodable, Sendable {
    struct PCAFixture: Decodable, Sendable {
        var explained_variance_ratio: [Double]
        var explained_variance: [Double]
        var components: [[Double]]
        var n_components_95: Int
        var whitened_first_row: [Double]
    }
    struct KMeansFixture: Decodable, Sendable { var ari: Double; var inertia: Double; var nmi: Double }
    struct ScoreCase: Decodable, Sendable { var truth: [Int]; var predicted: [Int]; var ari: Double; var nmi: Double }
    struct TrustFixture: Decodable, Sendable { var input: [[Double]]; var embedding: [[Double]]; var k5: Double; var k10: Double }
    struct TSNEFixture: Decodable, Sendable {
        var input: [[Double]]
        var perplexity: Double
        var joint_p: [[Double]]
        var conditional_p: [[Double]]
        var embedding: [[Double]]
        var kl: Double
        var gradient: [Double]
    }
    var pca: PCAFixture
    var kmeans: KMeansFixture
    var cluster_scores: [ScoreCase]
    var trustworthiness: TrustFixture
    var tsne_exact: TSNEFixture

    static let shared: AnalysisFixture = {
        let url = Bundle.module.url(forResource: "analysis", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(AnalysisFixture.self, from: Data(contentsOf: url))
    }()
}

extension Matrix {
    init(_ rows: [[Double]]) {
        self.init(rows: rows.count, columns: rows.first?.count ?? 0, values: rows.flatMap { $0 })
    }
}

/// The embedded digits / 16 as a matrix, and their labels (the same rows as load_digits).
let digits: (x: Matrix, labels: [Int]) = {
    let d = Dataset.digits()
    return (Matrix(rows: d.count, columns: d.featureCount, floats: d.features.map { $0 / 16 }), d.labels)
}()

let gemm = GEMM(kind: .builtin)

/// The description of the error `body` throws, or nil when it returns.
func errorText<T>(_ body: () throws -> T) -> String? {
    do { _ = try body(); return nil } catch { return "\(error)" }
}
