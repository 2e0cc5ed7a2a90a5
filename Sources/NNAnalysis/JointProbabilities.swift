import NNTensor

/// t-SNE's joint probabilities pᵢⱼ = (p(j|i) + p(i|j)) / Σ, symmetric and summing to 1, stored as
/// compressed rows (row i's neighbours j with pᵢⱼ > 0, in ascending j).
///
/// `exact`: every pair, from all squared distances, each pᵢⱼ clipped below at 2.2e-16 as
/// scikit-learn's exact method does. `nearestNeighbors`: only the k = min(n − 1, ⌊3 · perplexity⌋ + 1)
/// nearest neighbours of each row (van der Maaten 2014, §4.1), symmetrised, so a row may hold more
/// than k entries.
public struct JointProbabilities: Sendable {
    public var rowStart: [Int]
    public var columns: [Int]
    public var values: [Double]

    public var rows: Int { rowStart.count - 1 }

    public static func exact(_ x: Matrix, perplexity: Double, gemm: GEMM) -> JointProbabilities {
        let n = x.rows
        var squared = [Double](repeating: 0, count: n * n)
        squared.withUnsafeMutableBufferPointer { out in
            let out = out
            NearestNeighbors.forEachBlock(x, gemm: gemm) { rows, block in
                (out.baseAddress! + rows.lowerBound * n).update(from: block.baseAddress!, count: rows.count * n)
            }
        }
        let conditional = Perplexity.conditional(squared: squared, rows: n, candidates: n, perplexity: perplexity, skipDiagonal: true)
        var total = 0.0
        for i in 0..<n { for j in 0..<n where j != i { total += conditional[i * n + j] + conditional[j * n + i] } }
        total = max(total, .ulpOfOne)
        var rowStart = [0], columns: [Int] = [], values: [Double] = []
        columns.reserveCapacity(n * (n - 1))
        values.reserveCapacity(n * (n - 1))
        for i in 0..<n {
            for j in 0..<n where j != i {
                columns.append(j)
                values.append(max((conditional[i * n + j] + conditional[j * n + i]) / total, .ulpOfOne))
            }
            rowStart.append(columns.count)
        }
        return JointProbabilities(rowStart: rowStart, columns: columns, values: values)
    }

    public static func nearestNeighbors(_ x: Matrix, perplexity: Double, gemm: GEMM) -> JointProbabilities {
        let n = x.rows
        let k = min(n - 1, Int(3 * perplexity + 1))
        let (indices, squared) = NearestNeighbors.search(x, k: k, gemm: gemm)
        let conditional = Perplexity.conditional(squared: squared, rows: n, candidates: k, perplexity: perplexity, skipDiagonal: false)
        // P + Pᵀ: every entry (i, j, v) also as (j, i, v); merge duplicates row by row.
        var counts = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { for t in 0..<k { counts[i + 1] += 1; counts[indices[i * k + t] + 1] += 1 } }
        for i in 0..<n { counts[i + 1] += counts[i] }
        var fill = counts
        var cols = [Int](repeating: 0, count: 2 * n * k), vals = [Double](repeating: 0, count: 2 * n * k)
        for i in 0..<n {
            for t in 0..<k {
                let j = indices[i * k + t], v = conditional[i * k + t]
                cols[fill[i]] = j; vals[fill[i]] = v; fill[i] += 1
                cols[fill[j]] = i; vals[fill[j]] = v; fill[j] += 1
            }
        }
        var rowStart = [0], columns: [Int] = [], values: [Double] = []
        var total = 0.0
        for i in 0..<n {
            let entries = (counts[i]..<counts[i + 1]).sorted { cols[$0] < cols[$1] }
            for e in entries {
                if let last = columns.last, columns.count > rowStart[i], last == cols[e] {
                    values[values.count - 1] += vals[e]
                } else {
                    columns.append(cols[e])
                    values.append(vals[e])
                }
                total += vals[e]
            }
            rowStart.append(columns.count)
        }
        total = max(total, .ulpOfOne)
        return JointProbabilities(rowStart: rowStart, columns: columns, values: values.map { $0 / total })
    }
}
