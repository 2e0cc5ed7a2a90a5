/// Eigendecomposition of a real symmetric matrix, A = V diag(λ) Vᵀ, by the cyclic Jacobi method
/// (Golub and Van Loan, "Matrix Computations", 4th ed., §8.5; rotations as in Rutishauser's
/// formulation). Each sweep zeroes every off-diagonal entry once with a plane rotation; sweeps
/// repeat until the off-diagonal mass is below 1e-15 of the total (about 6-10 sweeps). O(d³) per
/// sweep, exact to rounding, and fine for the d ≤ a few hundred that PCA's covariance (or the small
/// projected matrix of randomized PCA) needs.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues, largest first.
    public var values: [Double]
    /// Eigenvectors as rows (`vectors[i * d ..< (i + 1) * d]` belongs to `values[i]`), unit length.
    public var vectors: Matrix

    /// Decomposes the d x d symmetric matrix `a` (only symmetric input is meaningful).
    public init(_ a: Matrix) {
        precondition(a.rows == a.columns, "SymmetricEigen needs a square matrix")
        let d = a.rows
        var m = a.values
        var v = [Double](repeating: 0, count: d * d)   // columns of v are eigenvectors
        for i in 0..<d { v[i * d + i] = 1 }
        let total = m.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<d { for q in (p + 1)..<max(p + 1, d) { off += 2 * m[p * d + q] * m[p * d + q] } }
            if off <= 1e-30 * max(total, .leastNormalMagnitude) || off == 0 { break }
            for p in 0..<d {
                for q in (p + 1)..<max(p + 1, d) {
                    let apq = m[p * d + q]
                    if apq == 0 { continue }
                    let app = m[p * d + p], aqq = m[q * d + q]
                    let theta = (aqq - app) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    // A <- Jᵀ A J, touching rows and columns p and q.
                    for k in 0..<d {
                        let akp = m[k * d + p], akq = m[k * d + q]
                        m[k * d + p] = c * akp - s * akq
                        m[k * d + q] = s * akp + c * akq
                    }
                    for k in 0..<d {
                        let apk = m[p * d + k], aqk = m[q * d + k]
                        m[p * d + k] = c * apk - s * aqk
                        m[q * d + k] = s * apk + c * aqk
                    }
                    for k in 0..<d {
                        let vkp = v[k * d + p], vkq = v[k * d + q]
                        v[k * d + p] = c * vkp - s * vkq
                        v[k * d + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<d).sorted { m[$0 * d + $0] != m[$1 * d + $1] ? m[$0 * d + $0] > m[$1 * d + $1] : $0 < $1 }
        values = order.map { m[$0 * d + $0] }
        var rows = [Double](repeating: 0, count: d * d)
        for (r, col) in order.enumerated() { for k in 0..<d { rows[r * d + k] = v[k * d + col] } }
        vectors = Matrix(rows: d, columns: d, values: rows)
    }
}
