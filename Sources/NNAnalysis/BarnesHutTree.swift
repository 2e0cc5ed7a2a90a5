/// A quadtree over 2-D points for the Barnes-Hut approximation of t-SNE's repulsive forces
/// (van der Maaten, "Accelerating t-SNE using tree-based algorithms", JMLR 15, 2014, §4.2; after
/// Barnes and Hut, Nature 1986).
///
/// Each cell stores its centre, half width, point count and centre of mass. For a query point y,
/// a cell of side w at squared distance d² from its centre of mass is summarised as one point of
/// mass N_cell when it is a leaf or when w² < θ² d² (scikit-learn's criterion); otherwise its
/// four children are visited. The summary adds N·q and N·q²·(y − y_cell), with q = 1 / (1 + d²),
/// which are the terms of Z = Σ_{j≠i} qᵢⱼ and of the repulsive force Σⱼ qᵢⱼ² (yᵢ − yⱼ). Coincident
/// points share a leaf (and a point never repels itself), and the depth is capped at 48.
struct BarnesHutTree {
    /// A cell while the tree is built.
    private struct Node {
        var centerX: Double, centerY: Double, half: Double
        var massX = 0.0, massY = 0.0
        var count: Int32 = 0
        /// First of four consecutive children, or -1 for a leaf.
        var child: Int32 = -1
        /// The point a leaf holds (its first point), or -1.
        var point: Int32 = -1
    }

    /// The leaf that holds each point.
    private var leafOf: [Int32]
    /// The cells packed for `repulsion`.
    private var cells: [Cell] = []
    /// Groups of nearby points for `repulsion`: the points of the largest cells holding at most
    /// `groupSize` points; group g is `groupPoints[groupStart[g] ..< groupStart[g + 1]]`.
    private var groupStart: [Int] = [0]
    private var groupPoints: [Int32] = []
    static let groupSize = 64

    var groupCount: Int { groupStart.count - 1 }

    /// Builds the tree of the points (y[2i], y[2i + 1]).
    init(_ y: UnsafePointer<Double>, count n: Int) {
        leafOf = [Int32](repeating: 0, count: n)
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in 0..<n {
            minX = min(minX, y[2 * i]); maxX = max(maxX, y[2 * i])
            minY = min(minY, y[2 * i + 1]); maxY = max(maxY, y[2 * i + 1])
        }
        let width = max(maxX - minX, maxY - minY, 1e-12) * (1 + 1e-9)
        var nodes: [Node] = []
        nodes.reserveCapacity(4 * n + 4)
        nodes.append(Node(centerX: (minX + maxX) / 2, centerY: (minY + maxY) / 2, half: width / 2))
        for i in 0..<n { Self.insert(Int32(i), y[2 * i], y[2 * i + 1], y, &nodes) }
        var groupOf = [Int32](repeating: -1, count: n), groupOfCell = [Int32](repeating: -1, count: nodes.count)
        var groupSizes: [Int] = []
        leafOf.withUnsafeMutableBufferPointer { leafOf in
            nodes.withUnsafeBufferPointer { nodes in
                for i in 0..<n {
                    var c = 0, group = -1
                    while true {
                        if group < 0 && nodes[c].count <= Int32(Self.groupSize) { group = c }
                        if nodes[c].child < 0 { break }
                        c = Int(nodes[c].child) + Self.quadrant(nodes[c], y[2 * i], y[2 * i + 1])
                    }
                    if group < 0 { group = c }   // a leaf of more coincident points than a group holds
                    leafOf[i] = Int32(c)
                    if groupOfCell[group] < 0 { groupOfCell[group] = Int32(groupSizes.count); groupSizes.append(0) }
                    groupOf[i] = groupOfCell[group]
                    groupSizes[Int(groupOf[i])] += 1
                }
            }
        }
        // Counting sort of the points by group; a group larger than groupSize (coincident points) is split.
        var starts = [0]
        for size in groupSizes { starts.append(starts.last! + size) }
        var fill = starts
        groupPoints = [Int32](repeating: 0, count: n)
        for i in 0..<n { groupPoints[fill[Int(groupOf[i])]] = Int32(i); fill[Int(groupOf[i])] += 1 }
        groupStart = [0]
        for g in 0..<groupSizes.count {
            var at = starts[g]
            while at < starts[g + 1] { at = min(at + Self.groupSize, starts[g + 1]); groupStart.append(at) }
        }
        cells = nodes.map { node in
            let m = node.count > 0 ? 1 / Double(node.count) : 0
            return Cell(massX: node.massX * m, massY: node.massY * m, side2: 4 * node.half * node.half,
                        count: Double(node.count), child: node.child)
        }
    }

    private static func insert(_ p: Int32, _ x: Double, _ y: Double, _ points: UnsafePointer<Double>, _ nodes: inout [Node]) {
        var c = 0, depth = 0
        while true {
            nodes[c].count += 1
            nodes[c].massX += x
            nodes[c].massY += y
            if nodes[c].child < 0 {
                if nodes[c].point < 0 { nodes[c].point = p; return }
                let q = Int(nodes[c].point)
                let qx = points[2 * q], qy = points[2 * q + 1]
                if (qx == x && qy == y) || depth >= 48 { return }   // coincident: share the leaf
                // Split: the resident point(s) move down one level; then p continues from here.
                let first = Int32(nodes.count), h = nodes[c].half / 2
                let cx = nodes[c].centerX, cy = nodes[c].centerY
                for k in 0..<4 { nodes.append(Node(centerX: cx + (k & 1 == 0 ? -h : h), centerY: cy + (k & 2 == 0 ? -h : h), half: h)) }
                let residents = nodes[c].count - 1
                nodes[c].child = first
                nodes[c].point = -1
                let qc = Int(first) + quadrant(nodes[c], qx, qy)
                nodes[qc].count = residents
                nodes[qc].massX = qx * Double(residents)
                nodes[qc].massY = qy * Double(residents)
                nodes[qc].point = Int32(q)
            }
            c = Int(nodes[c].child) + quadrant(nodes[c], x, y)
            depth += 1
        }
    }

    @inline(__always) private static func quadrant(_ node: Node, _ x: Double, _ y: Double) -> Int {
        (x < node.centerX ? 0 : 1) + (y < node.centerY ? 0 : 2)
    }

    /// A cell as the force pass reads it, packed so one cache line holds it.
    struct Cell {
        var massX: Double, massY: Double
        /// The cell's side squared, (2 · half width)².
        var side2: Double
        var count: Double
        /// First of four consecutive children, or -1 for a leaf.
        var child: Int32
    }

    /// Repulsion on the points of the groups `range`: for each point i, sumQ[i] = Σ_{j≠i} qᵢⱼ and
    /// force[2i...2i+1] = Σ_{j≠i} qᵢⱼ² (yᵢ − yⱼ).
    ///
    /// Points are walked in groups (Barnes, "A modified tree code: don't laugh; it runs", J. Comput.
    /// Phys. 1990): the tree is traversed once per group, and a cell is summarised for the whole
    /// group when w² < θ² d²_min, d_min the distance from its centre of mass to the group's bounding
    /// box. That implies w² < θ² d² for every point of the group, so each point gets at least the
    /// accuracy of the per-point criterion, and the inner loop over the group's points is branch-free.
    func repulsion(groups range: Range<Int>, _ y: UnsafePointer<Double>, theta2: Double,
                   sumQ: UnsafeMutablePointer<Double>, force: UnsafeMutablePointer<Double>) {
        let g = Self.groupSize
        let stack = UnsafeMutablePointer<Int32>.allocate(capacity: 4 * 64)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 5 * g)
        let own = UnsafeMutablePointer<Int32>.allocate(capacity: g)
        defer { stack.deallocate(); scratch.deallocate(); own.deallocate() }
        let px = scratch, py = scratch + g, sq = scratch + 2 * g, fx = scratch + 3 * g, fy = scratch + 4 * g
        cells.withUnsafeBufferPointer { cellBuffer in
            leafOf.withUnsafeBufferPointer { leafOf in
                groupPoints.withUnsafeBufferPointer { members in
                    let cells = cellBuffer.baseAddress!
                    for group in range {
                        let first = groupStart[group], k = groupStart[group + 1] - first
                        var x0 = Double.infinity, x1 = -Double.infinity, y0 = Double.infinity, y1 = -Double.infinity
                        for t in 0..<k {
                            let i = Int(members[first + t])
                            px[t] = y[2 * i]; py[t] = y[2 * i + 1]; own[t] = leafOf[i]
                            sq[t] = 0; fx[t] = 0; fy[t] = 0
                            x0 = min(x0, px[t]); x1 = max(x1, px[t]); y0 = min(y0, py[t]); y1 = max(y1, py[t])
                        }
                        var top = 1
                        stack[0] = 0
                        while top > 0 {
                            top -= 1
                            let c = stack[top]
                            let cell = cells[Int(c)]
                            let ex = max(x0 - cell.massX, 0, cell.massX - x1), ey = max(y0 - cell.massY, 0, cell.massY - y1)
                            if cell.child >= 0 && cell.side2 >= theta2 * (ex * ex + ey * ey) {
                                let f = cell.child
                                stack[top] = f; stack[top + 1] = f + 1; stack[top + 2] = f + 2; stack[top + 3] = f + 3
                                top += 4
                                continue
                            }
                            if cell.count == 0 { continue }
                            let mx = cell.massX, my = cell.massY, n = cell.count
                            if cell.child < 0 {
                                for t in 0..<k {
                                    let dx = px[t] - mx, dy = py[t] - my
                                    let q = 1 / (1 + dx * dx + dy * dy), nq = (own[t] == c ? n - 1 : n) * q
                                    sq[t] += nq; fx[t] += nq * q * dx; fy[t] += nq * q * dy
                                }
                            } else {
                                var t = 0
                                while t < k {
                                    let dx = px[t] - mx, dy = py[t] - my
                                    let q = 1 / (1 + dx * dx + dy * dy), nq = n * q
                                    sq[t] += nq; fx[t] += nq * q * dx; fy[t] += nq * q * dy
                                    t += 1
                                }
                            }
                        }
                        for t in 0..<k {
                            let i = Int(members[first + t])
                            sumQ[i] = sq[t]; force[2 * i] = fx[t]; force[2 * i + 1] = fy[t]
                        }
                    }
                }
            }
        }
    }
}
