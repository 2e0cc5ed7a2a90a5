import NNAnalysis
import NNTensor
import Testing

@Suite struct PCATests {
    let reference = AnalysisFixture.shared.pca

    @Test func digitsExplainedVarianceMatchesScikitLearn() throws {
        var rng = RNG(seed: 0)
        let options = PCA.Options(components: .count(5), solver: .full)
        let pca = try PCA.fit(digits.x, options: options, rng: &rng, gemm: gemm)
        #expect(abs(pca.explainedVarianceRatio[0] - 0.1489) < 1e-3 && abs(pca.explainedVarianceRatio[1] - 0.1362) < 1e-3)
        for (a, b) in zip(pca.explainedVarianceRatio, reference.explained_variance_ratio) { #expect(abs(a - b) < 1e-9) }
        for (a, b) in zip(pca.explainedVariance, reference.explained_variance) { #expect(abs(a - b) < 1e-9) }
        // Components up to sign (our sign rule is scikit-learn's, so they should agree exactly).
        for c in 0..<2 {
            let ours = pca.components.row(c), theirs = reference.components[c]
            let sign = zip(ours, theirs).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1.0 : 1.0
            #expect(zip(ours, theirs).allSatisfy { abs(sign * $0 - $1) < 1e-7 })
            #expect(sign == 1)
        }
    }

    @Test func fractionOfVarianceAndWhitening() throws {
        var rng = RNG(seed: 0)
        var options = PCA.Options()
        options.components = .fraction(0.95)
        #expect(try PCA.fit(digits.x, options: options, rng: &rng, gemm: gemm).components.rows == reference.n_components_95)
        options.components = .count(3)
        options.whiten = true
        let y = try PCA.fit(digits.x, options: options, rng: &rng, gemm: gemm).transform(digits.x, gemm: gemm)
        for c in 0..<3 { #expect(abs(abs(y[0, c]) - abs(reference.whitened_first_row[c])) < 1e-7) }
        // Whitened columns have unit (n − 1) variance.
        var squares = 0.0
        for i in 0..<y.rows { squares += y[i, 1] * y[i, 1] }
        #expect(abs(squares / Double(y.rows - 1) - 1) < 1e-9)
    }

    @Test func randomizedSolverAgreesWithExact() throws {
        var rng = RNG(seed: 3)
        let options = PCA.Options(components: .count(2), solver: .randomized)
        let pca = try PCA.fit(digits.x, options: options, rng: &rng, gemm: gemm)
        for c in 0..<2 { #expect(abs(pca.explainedVarianceRatio[c] - reference.explained_variance_ratio[c]) < 1e-6) }
        for c in 0..<2 { #expect(zip(pca.components.row(c), reference.components[c]).allSatisfy { abs($0 - $1) < 1e-4 }) }
    }

    @Test func moreFeaturesThanRowsUsesTheGramMatrix() throws {
        // 20 rows of 64 features: the Gram path must give the same spectrum as the covariance one
        // computed on the transposed problem's eigenvalues: check A v = λ v on the covariance.
        let x = digits.x.rows(Array(0..<20))
        var rng = RNG(seed: 0)
        let options = PCA.Options(components: .count(4))
        let pca = try PCA.fit(x, options: options, rng: &rng, gemm: gemm)
        let xc = x.centered(x.columnMeans())
        for c in 0..<4 {
            let v = pca.components.row(c)
            // ‖Xc v‖² / (n − 1) is the variance along v; it must equal λ, and v must be a unit vector.
            var variance = 0.0
            for i in 0..<xc.rows { var s = 0.0; for j in 0..<64 { s += xc[i, j] * v[j] }; variance += s * s }
            #expect(abs(variance / 19 - pca.explainedVariance[c]) < 1e-9 * max(1, pca.explainedVariance[c]))
            #expect(abs(v.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9)
        }
    }

    @Test func symmetricEigenReconstructs() {
        var rng = RNG(seed: 9)
        let b = (0..<36).map { _ in rng.normal() }
        var a = Matrix(zeros: 6, 6)
        for i in 0..<6 { for j in 0..<6 { for k in 0..<6 { a[i, j] += b[i * 6 + k] * b[j * 6 + k] } } }
        let e = SymmetricEigen(a)
        #expect(e.values == e.values.sorted(by: >))
        for r in 0..<6 {
            for i in 0..<6 {
                var av = 0.0
                for j in 0..<6 { av += a[i, j] * e.vectors[r, j] }
                #expect(abs(av - e.values[r] * e.vectors[r, i]) < 1e-10)
            }
        }
    }

    @Test func badInput() {
        var rng = RNG(seed: 0)
        var options = PCA.Options()
        options.components = .count(65)
        #expect(throws: AnalysisError.self) { try PCA.fit(digits.x, options: options, rng: &rng, gemm: gemm) }
        var x = digits.x.rows(Array(0..<10))
        x[3, 7] = .nan
        options.components = .count(2)
        #expect(errorText { try PCA.fit(x, options: options, rng: &rng, gemm: gemm) } == "the data has NaN at row 4, column 8; remove or impute it first")
    }
}
