/// A dense row-major matrix of doubles: `rows` samples of `columns` features, sample `i` at
/// `values[i * columns ..< (i + 1) * columns]`. The unsupervised methods work in double precision
/// (as scikit-learn does on the digits), so their results can be compared with its numbers to 1e-6.
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns, "\(values.count) values for \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: [Double](repeating: 0, count: rows * columns))
    }

    /// Widens float32 features (a `Dataset`'s) to a matrix.
    public init(rows: Int, columns: Int, floats: [Float]) {
        self.init(rows: rows, columns: columns, values: floats.map(Double.init))
    }

    public subscript(i: Int, j: Int) -> Double {
        get { values[i * columns + j] }
        set { values[i * columns + j] = newValue }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] { Array(values[i * columns ..< (i + 1) * columns]) }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> Matrix {
        var out: [Double] = []
        out.reserveCapacity(indices.count * columns)
        for i in indices { out.append(contentsOf: values[i * columns ..< (i + 1) * columns]) }
        return Matrix(rows: indices.count, columns: columns, values: out)
    }

    /// The mean of each column.
    public func columnMeans() -> [Double] {
        var mean = [Double](repeating: 0, count: columns)
        for i in 0..<rows { for j in 0..<columns { mean[j] += values[i * columns + j] } }
        return mean.map { rows > 0 ? $0 / Double(rows) : 0 }
    }

    /// The matrix with `mean` subtracted from every row.
    public func centered(_ mean: [Double]) -> Matrix {
        var out = self
        for i in 0..<rows { for j in 0..<columns { out.values[i * columns + j] -= mean[j] } }
        return out
    }

    /// Squared Euclidean norm of each row.
    public func rowSquaredNorms() -> [Double] {
        (0..<rows).map { i in
            var s = 0.0
            for j in 0..<columns { let v = values[i * columns + j]; s += v * v }
            return s
        }
    }

    /// Throws `AnalysisError.nonFinite` at the first NaN or infinity (row and column, 0-based).
    public func checkFinite() throws {
        for (k, v) in values.enumerated() where !v.isFinite {
            throw AnalysisError.nonFinite(row: k / max(columns, 1), column: k % max(columns, 1), value: v)
        }
    }

    /// The transpose.
    public var transposed: Matrix {
        var out = Matrix(zeros: columns, rows)
        for i in 0..<rows { for j in 0..<columns { out.values[j * rows + i] = values[i * columns + j] } }
        return out
    }
}
