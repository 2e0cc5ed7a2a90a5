/// Keras' shape notation for a per-sample shape: `(None, 8, 8, 1)`.
public func shapeText(_ shape: [Int]) -> String {
    "(None, " + shape.map(String.init).joined(separator: ", ") + ")"
}

/// Checks that a layer gets exactly one input and returns its shape.
public func singleInput(_ shapes: [[Int]], _ type: String) throws(LayerError) -> [Int] {
    guard shapes.count == 1 else { throw LayerError("\(type) takes one input, got \(shapes.count)") }
    return shapes[0]
}

/// The most elements one tensor may hold (2^30, 4 GiB of float32): larger shapes are config errors,
/// not failed allocations or overflowing products.
public let maxTensorElements = 1 << 30

/// The number of elements of `shape` (times `extra`), or a LayerError when it overflows or exceeds
/// `maxTensorElements`.
public func elementCount(_ shape: [Int], times extra: Int = 1, what: String) throws(LayerError) -> Int {
    var n = extra
    for d in shape {
        let (product, overflow) = n.multipliedReportingOverflow(by: d)
        guard !overflow, product <= maxTensorElements else {
            throw LayerError("\(what) would hold more than \(maxTensorElements) values (shape \(shape)\(extra == 1 ? "" : " x \(extra)")); use smaller sizes")
        }
        n = product
    }
    return n
}
