/// Element type of a tensor. Training runs in `float32`; `float64` exists so that every layer and
/// loss can be gradient-checked in double precision with the very same code (kernels dispatch on
/// the dtype once per call, never per element).
public enum DType: String, Sendable {
    case float32, float64

    public var byteCount: Int { self == .float32 ? 4 : 8 }
}

/// A dense, contiguous, row-major tensor, like a Caffe blob: a buffer that layers allocate once and
/// reuse batch after batch. It is a reference type on purpose: a layer owns its output and gradient
/// buffers, and reshaping within the allocated capacity (a smaller last batch) never allocates.
///
/// Layout conventions: the first axis is the batch; images are NHWC; dense kernels are `[in, out]`.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let dtype: DType
    public private(set) var shape: [Int]
    /// Number of elements in `shape`.
    public private(set) var count: Int
    private var capacity: Int
    private var raw: UnsafeMutableRawPointer
    /// The tensor whose buffer this one views (see `view`), or nil when it owns its buffer.
    private var viewed: Tensor?

    /// A zero-filled tensor.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = Swift.max(count, 1)
        self.raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * dtype.byteCount, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * dtype.byteCount)
    }

    /// A tensor holding `values` (row-major), stored as `dtype`.
    public convenience init(shape: [Int], values: [Float], dtype: DType = .float32) {
        self.init(zeros: shape, dtype: dtype)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        switch dtype {
        case .float32: values.withUnsafeBufferPointer { f32.update(from: $0.baseAddress!, count: count) }
        case .float64: for i in 0..<count { f64[i] = Double(values[i]) }
        }
    }

    /// A tensor holding `values` (row-major), stored as `dtype`.
    public convenience init(shape: [Int], doubles values: [Double], dtype: DType = .float64) {
        self.init(zeros: shape, dtype: dtype)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        for i in 0..<count { self[i] = values[i] }
    }

    deinit { if viewed == nil { raw.deallocate() } }

    // MARK: Raw access (kernels)

    /// The float32 storage. Only valid when `dtype == .float32`.
    public var f32: UnsafeMutablePointer<Float> {
        precondition(dtype == .float32, "float32 access to a \(dtype) tensor")
        return raw.assumingMemoryBound(to: Float.self)
    }

    /// The float64 storage. Only valid when `dtype == .float64`.
    public var f64: UnsafeMutablePointer<Double> {
        precondition(dtype == .float64, "float64 access to a \(dtype) tensor")
        return raw.assumingMemoryBound(to: Double.self)
    }

    /// Element `i` of the flat buffer, widened to Double (slow path: tests, metrics, printing).
    public subscript(i: Int) -> Double {
        get { dtype == .float32 ? Double(f32[i]) : f64[i] }
        set { if dtype == .float32 { f32[i] = Float(newValue) } else { f64[i] = newValue } }
    }

    public var floats: [Float] { (0..<count).map { Float(self[$0]) } }
    public var doubles: [Double] { (0..<count).map { self[$0] } }

    // MARK: Shape

    /// Batch size (the first axis).
    public var batch: Int { shape.first ?? 1 }
    /// Elements per batch item.
    public var itemCount: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    /// Changes the shape, keeping the buffer when it is large enough. Contents are unspecified
    /// afterwards unless the element count is unchanged (then it is a pure reshape).
    public func reshape(_ newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if n > capacity {
            if viewed == nil { raw.deallocate() }
            viewed = nil
            capacity = n
            raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * dtype.byteCount, alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * dtype.byteCount)
        }
        shape = newShape
        count = n
    }

    /// Makes this tensor a view of `other`'s elements in the shape `newShape` (the same element
    /// count, the same dtype): no copy, writes go to `other`'s buffer. Flatten and Reshape return
    /// their input this way. The view holds `other` alive, and stays valid until `other` is
    /// reshaped beyond its capacity, so a layer makes it again on every pass (as it would copy).
    /// An owned buffer is released; a later `reshape` beyond the view's size gives this tensor a
    /// buffer of its own again.
    public func view(_ other: Tensor, as newShape: [Int]) {
        precondition(other.dtype == dtype && newShape.reduce(1, *) == other.count, "view of \(other.shape) as \(newShape)")
        guard other !== self else { return reshape(newShape) }
        if viewed == nil { raw.deallocate() }
        viewed = other
        raw = other.raw
        capacity = other.count
        shape = newShape
        count = other.count
    }

    /// Sets every element to zero.
    public func zero() {
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.byteCount)
    }

    /// Copies `other` (same dtype and element count) into this tensor's buffer.
    public func copy(from other: Tensor) {
        precondition(other.dtype == dtype && other.count == count, "copy of \(other.shape) into \(shape)")
        raw.copyMemory(from: other.raw, byteCount: count * dtype.byteCount)
    }

    /// A new tensor with the same shape, dtype and contents.
    public func clone() -> Tensor {
        let t = Tensor(zeros: shape, dtype: dtype)
        t.copy(from: self)
        return t
    }

    public var description: String {
        let shown = (0..<Swift.min(count, 8)).map { "\(Float(self[$0]))" }
        return "Tensor(\(shape), \(dtype), [\(shown.joined(separator: ", "))\(count > 8 ? ", ..." : "")])"
    }
}
