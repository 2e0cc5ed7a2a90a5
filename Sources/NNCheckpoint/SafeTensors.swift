import NNConfig
import NNTensor

/// A problem with a safetensors file: one line naming the file and, where there is one, the tensor.
public struct SafeTensorsError: Error, CustomStringConvertible {
    public var file: String
    public var tensor: String?
    public var reason: String
    public var description: String { "\(file): " + (tensor.map { "tensor \"\($0)\": " } ?? "") + reason }
}

/// The safetensors format (https://github.com/huggingface/safetensors), exactly as specified:
///
///     [8 bytes: N, little-endian u64] [N bytes: JSON header] [data buffer]
///
/// The header is a JSON object: `"__metadata__"` (optional) maps strings to strings; every other
/// key is a tensor name mapping to `{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}`,
/// offsets relative to the start of the data buffer. Tensor data is little-endian and row-major.
///
/// Writing: tensors in the given order, tiling the buffer from offset 0; the header is padded with
/// spaces to a multiple of 8 bytes (as the reference writer does), so the data stays aligned.
///
/// Reading validates as the reference (safetensors 0.4+) does, and more: N at most 100 MB and
/// within the file; the header valid UTF-8 and a JSON object with no duplicate keys; every tensor
/// entry has exactly the three fields, a known dtype, non-negative dimensions whose product times
/// the element size does not overflow and equals `end − begin`; the offsets, sorted, start at 0,
/// neither overlap nor leave gaps, and end exactly at the end of the file (no trailing bytes).
public struct SafeTensorsArchive {
    public struct Entry {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        /// Byte range in the file.
        public var bytes: Range<Int>
    }

    /// Element sizes of the dtypes the format defines (in bytes).
    public static let elementSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]
    public static let maxHeaderBytes = 100_000_000

    public let file: String
    public let contents: [UInt8]
    public let metadata: [(key: String, value: String)]
    /// Tensors in header order.
    public let entries: [Entry]

    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// A non-negative whole number written as JSON digits, else nil.
    static func count(_ node: ConfigNode) -> Int? {
        guard let i = ConfigScalar.int(node), i >= 0 else { return nil }
        return i
    }

    // MARK: Writing

    /// The bytes of a safetensors file holding `tensors` (F32 or F64, by their dtype) in this order.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [(String, String)] = []) -> [UInt8] {
        var header: [(String, ConfigNode)] = []
        if !metadata.isEmpty { header.append(("__metadata__", .map(metadata.map { ($0.0, .string($0.1)) }))) }
        var offset = 0
        for (name, t) in tensors {
            let size = t.count * t.dtype.byteCount
            header.append((name, .map([("dtype", .string(t.dtype == .float32 ? "F32" : "F64")), ("shape", .ints(t.shape)),
                                       ("data_offsets", .ints([offset, offset + size]))])))
            offset += size
        }
        var json = Array(compactJSON(.map(header)).utf8)
        json += Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        var out = [UInt8](repeating: 0, count: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.replaceSubrange(0..<8, with: $0) }
        out.replaceSubrange(8..<8 + json.count, with: json)
        var at = 8 + json.count
        out.withUnsafeMutableBytes { buffer in
            for (_, t) in tensors {
                let size = t.count * t.dtype.byteCount
                guard let base = buffer.baseAddress, size > 0 else { continue }
                // Tensors are stored in host order; every platform nnrun runs on is little-endian.
                switch t.dtype {
                case .float32: (base + at).copyMemory(from: t.f32, byteCount: size)
                case .float64: (base + at).copyMemory(from: t.f64, byteCount: size)
                }
                at += size
            }
        }
        return out
    }

    /// JSON on one line, as the reference writer emits it.
    public static func compactJSON(_ node: ConfigNode) -> String {
        switch node.kind {
        case .null: return "null"
        case .scalar(let t, let quoted): return quoted ? ConfigNode.jsonString(t) : t
        case .sequence(let items): return "[" + items.map(compactJSON).joined(separator: ",") + "]"
        case .mapping(let e): return "{" + e.map { ConfigNode.jsonString($0.key) + ":" + compactJSON($0.value) }.joined(separator: ",") + "}"
        }
    }

    // MARK: Reading

    /// Parses and validates `contents`, the whole file `file`.
    public init(contents: [UInt8], file: String) throws(SafeTensorsError) {
        func fail(_ reason: String, tensor: String? = nil) -> SafeTensorsError {
            SafeTensorsError(file: file, tensor: tensor, reason: reason)
        }
        guard contents.count >= 8 else { throw fail("too short to be a safetensors file (\(contents.count) bytes; the header length alone takes 8)") }
        let n = contents[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(Self.maxHeaderBytes) else { throw fail("header length \(n) is over the 100 MB limit: not a safetensors file, or a corrupt one") }
        guard 8 + Int(n) <= contents.count else {
            throw fail("header length \(n) runs past the end of the file (\(contents.count) bytes): truncated or not a safetensors file")
        }
        let dataStart = 8 + Int(n)
        guard n > 0, contents[8] == UInt8(ascii: "{") else { throw fail("the header is not a JSON object") }
        let header: ConfigNode
        do {
            header = try JSONReader.parse(contents, 8..<dataStart, file: file)
        } catch {
            throw fail("invalid JSON header at byte \(8 + error.offset): \(error.message)")
        }
        guard let fields = header.entries else { throw fail("the header is not a JSON object") }
        var metadata: [(key: String, value: String)] = []
        var entries: [Entry] = []
        for field in fields {
            let name = field.key, value = field.value
            if name == "__metadata__" {
                guard let m = value.entries else { throw fail("__metadata__ is not an object of strings") }
                for e in m {
                    guard case .scalar(let s, true) = e.value.kind else { throw fail("__metadata__ \"\(e.key)\" is not a string") }
                    metadata.append((e.key, s))
                }
                continue
            }
            guard let info = value.entries else { throw fail("not an object", tensor: name) }
            guard Set(info.map(\.key)) == ["dtype", "shape", "data_offsets"] else {
                throw fail("expected exactly the fields dtype, shape, data_offsets; found \(info.map(\.key).joined(separator: ", "))", tensor: name)
            }
            guard case .scalar(let dtype, true)? = value["dtype"]?.kind, let size = Self.elementSizes[dtype] else {
                throw fail("unknown dtype \(value["dtype"]?.brief ?? "") (expected one of \(Self.elementSizes.keys.sorted().joined(separator: ", ")))", tensor: name)
            }
            guard let dims = value["shape"]?.items, case let shape = dims.compactMap(Self.count), shape.count == dims.count else {
                throw fail("shape is not a list of non-negative whole numbers", tensor: name)
            }
            var byteCount = size
            for d in shape {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("shape \(shape) overflows the size of a tensor", tensor: name) }
                byteCount = product
            }
            guard let offsets = value["data_offsets"]?.items, offsets.count == 2,
                  let begin = Self.count(offsets[0]), let end = Self.count(offsets[1]), begin <= end else {
                throw fail("data_offsets is not [begin, end] with 0 <= begin <= end", tensor: name)
            }
            guard end - begin == byteCount else {
                throw fail("data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but \(dtype) \(shape) needs \(byteCount)", tensor: name)
            }
            guard end <= contents.count - dataStart else {
                throw fail("data_offsets [\(begin), \(end)] run past the end of the file: truncated", tensor: name)
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: dataStart + begin..<dataStart + end))
        }
        var expected = dataStart
        for e in entries.sorted(by: { ($0.bytes.lowerBound, $0.bytes.upperBound) < ($1.bytes.lowerBound, $1.bytes.upperBound) }) {
            guard e.bytes.lowerBound == expected else {
                throw fail(e.bytes.lowerBound < expected ? "its data overlaps another tensor's" : "a gap of \(e.bytes.lowerBound - expected) bytes before its data", tensor: e.name)
            }
            expected = e.bytes.upperBound
        }
        guard expected == contents.count else {
            throw fail("\(contents.count - expected) bytes after the last tensor's data: the tensors must cover the data exactly")
        }
        self.file = file
        self.contents = contents
        self.metadata = metadata
        self.entries = entries
    }

    /// Copies tensor `e` (F32 or F64) into `t`, whose element count must equal the entry's,
    /// converting between F32 and F64 when the dtypes differ.
    public func copy(_ e: Entry, into t: Tensor) {
        contents.withUnsafeBytes { raw in
            guard let file = raw.baseAddress, t.count > 0 else { return }
            let base = file + e.bytes.lowerBound
            switch (e.dtype, t.dtype) {
            case ("F32", .float32): UnsafeMutableRawPointer(t.f32).copyMemory(from: base, byteCount: 4 * t.count)
            case ("F64", .float64): UnsafeMutableRawPointer(t.f64).copyMemory(from: base, byteCount: 8 * t.count)
            case ("F64", .float32): for i in 0..<t.count { t.f32[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            default: for i in 0..<t.count { t.f64[i] = Double(base.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) }
            }
        }
    }
}
