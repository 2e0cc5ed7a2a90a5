/// Eigendecomposition of a real symmetric matrix, A = V diag(λ) Vᵀ: Householder reduction to
/// tridiagonal form, then the implicit QL algorithm with Wilkinson-style shifts (the EISPACK
/// routines tred2 and tql2: Bowdler, Martin, Reinsch and Wilkinson, Numer. Math. 11, 1968; Wilkinson
/// and Reinsch, "Handbook for Automatic Computation II", 1971; laid out as in the public-domain JAMA
/// library). About 9d³ flops in all, exact to rounding; PCA uses it on the d x d covariance (or
/// the small projected matrix of randomized PCA).
public struct SymmetricEigen: Sendable {
    /// Eigenvalues, largest first.
    public var values: [Double]
    /// Eigenvectors as rows (`vectors[i * d ..< (i + 1) * d]` belongs to `values[i]`), unit length.
    public var vectors: Matrix

    /// Decomposes the d x d symmetric matrix `a` (only symmetric input is meaningful).
    public init(_ a: Matrix) {
        precondition(a.rows == a.columns, "SymmetricEigen needs a square matrix")
        let n = a.rows
        var v = a.values, d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n)
        if n > 0 {
            v.withUnsafeMutableBufferPointer { v in
                d.withUnsafeMutableBufferPointer { d in
                    e.withUnsafeMutableBufferPointer { e in
                        Self.tridiagonalize(v.baseAddress!, d.baseAddress!, e.baseAddress!, n)
                        Self.diagonalize(v.baseAddress!, d.baseAddress!, e.baseAddress!, n)
                    }
                }
            }
        }
        // Columns of v are the eigenvectors; order them by decreasing eigenvalue.
        let order = (0..<n).sorted { d[$0] != d[$1] ? d[$0] > d[$1] : $0 < $1 }
        values = order.map { d[$0] }
        var rows = [Double](repeating: 0, count: n * n)
        for (r, col) in order.enumerated() { for k in 0..<n { rows[r * n + k] = v[k * n + col] } }
        vectors = Matrix(rows: n, columns: n, values: rows)
    }

    /// tred2: Householder reduction of v (n x n, row-major) to tridiagonal form; on return d is
    /// the diagonal, e the subdiagonal (e[0] = 0) and v the accumulated orthogonal transformation.
    private static func tridiagonalize(_ v: UnsafeMutablePointer<Double>, _ d: UnsafeMutablePointer<Double>, _ e: UnsafeMutablePointer<Double>, _ n: Int) {
        for j in 0..<n { d[j] = v[(n - 1) * n + j] }
        for i in stride(from: n - 1, to: 0, by: -1) {
            var scale = 0.0, h = 0.0
            for k in 0..<i { scale += abs(d[k]) }
            if scale == 0 {
                e[i] = d[i - 1]
                for j in 0..<i {
                    d[j] = v[(i - 1) * n + j]
                    v[i * n + j] = 0
                    v[j * n + i] = 0
                }
            } else {
                for k in 0..<i {
                    d[k] /= scale
                    h += d[k] * d[k]
                }
                var f = d[i - 1]
                var g = h.squareRoot()
                if f > 0 { g = -g }
                e[i] = scale * g
                h -= f * g
                d[i - 1] = f - g
                for j in 0..<i { e[j] = 0 }
                for j in 0..<i {
                    f = d[j]
                    v[j * n + i] = f
                    g = e[j] + v[j * n + j] * f
                    var k = j + 1
                    while k <= i - 1 {
                        g += v[k * n + j] * d[k]
                        e[k] += v[k * n + j] * f
                        k += 1
                    }
                    e[j] = g
                }
                f = 0
                for j in 0..<i {
                    e[j] /= h
                    f += e[j] * d[j]
                }
                let hh = f / (h + h)
                for j in 0..<i { e[j] -= hh * d[j] }
                for j in 0..<i {
                    f = d[j]
                    g = e[j]
                    for k in j..<i { v[k * n + j] -= f * e[k] + g * d[k] }
                    d[j] = v[(i - 1) * n + j]
                    v[i * n + j] = 0
                }
            }
            d[i] = h
        }
        // Accumulate the transformations.
        for i in 0..<(n - 1) {
            v[(n - 1) * n + i] = v[i * n + i]
            v[i * n + i] = 1
            let h = d[i + 1]
            if h != 0 {
                for k in 0...i { d[k] = v[k * n + i + 1] / h }
                for j in 0...i {
                    var g = 0.0
                    for k in 0...i { g += v[k * n + i + 1] * v[k * n + j] }
                    for k in 0...i { v[k * n + j] -= g * d[k] }
                }
            }
            for k in 0...i { v[k * n + i + 1] = 0 }
        }
        for j in 0..<n {
            d[j] = v[(n - 1) * n + j]
            v[(n - 1) * n + j] = 0
        }
        v[(n - 1) * n + n - 1] = 1
        e[0] = 0
    }

    /// tql2: the implicit QL algorithm on the tridiagonal (d, e), updating v's columns.
    private static func diagonalize(_ v: UnsafeMutablePointer<Double>, _ d: UnsafeMutablePointer<Double>, _ e: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 1..<max(n, 1) { e[i - 1] = e[i] }
        e[n - 1] = 0
        var f = 0.0, tst1 = 0.0
        let eps = Double.ulpOfOne
        for l in 0..<n {
            tst1 = max(tst1, abs(d[l]) + abs(e[l]))
            var m = l
            while m < n - 1 && abs(e[m]) > eps * tst1 { m += 1 }
            if m > l {
                var iterations = 0
                repeat {
                    iterations += 1
                    var g = d[l]
                    var p = (d[l + 1] - g) / (2 * e[l])
                    var r = (p * p + 1).squareRoot()
                    if p < 0 { r = -r }
                    d[l] = e[l] / (p + r)
                    d[l + 1] = e[l] * (p + r)
                    let dl1 = d[l + 1]
                    var h = g - d[l]
                    var i = l + 2
                    while i < n { d[i] -= h; i += 1 }
                    f += h
                    p = d[m]
                    var c = 1.0, c2 = 1.0, c3 = 1.0, s = 0.0, s2 = 0.0
                    let el1 = e[l + 1]
                    for i in stride(from: m - 1, through: l, by: -1) {
                        c3 = c2
                        c2 = c
                        s2 = s
                        g = c * e[i]
                        h = c * p
                        r = (p * p + e[i] * e[i]).squareRoot()
                        e[i + 1] = s * r
                        s = e[i] / r
                        c = p / r
                        p = c * d[i] - s * g
                        d[i + 1] = h + s * (c * g + s * d[i])
                        for k in 0..<n {
                            h = v[k * n + i + 1]
                            v[k * n + i + 1] = s * v[k * n + i] + c * h
                            v[k * n + i] = c * v[k * n + i] - s * h
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1
                    e[l] = s * p
                    d[l] = c * p
                } while abs(e[l]) > eps * tst1 && iterations < 100
            }
            d[l] += f
            e[l] = 0
        }
    }
}
