/// gzip and DEFLATE decompression in pure Swift, so that MNIST's `.gz` files load without zlib.
///
/// Implements, as specified:
/// - RFC 1952, "GZIP file format specification version 4.3" (P. Deutsch, May 1996): the member
///   header (ID1 ID2 CM FLG MTIME XFL OS, then FEXTRA, FNAME, FCOMMENT, FHCRC as the flags say),
///   the compressed blocks, and the trailer (CRC-32 and ISIZE, little-endian). A file may hold
///   several members one after another (§2.2); their data is concatenated, as `gunzip` does.
/// - RFC 1951, "DEFLATE Compressed Data Format Specification version 1.3" (P. Deutsch, May 1996):
///   stored blocks (§3.2.4), blocks compressed with the fixed Huffman codes (§3.2.6) and with
///   dynamic Huffman codes (§3.2.7), canonical Huffman codes built from code lengths (§3.2.2),
///   and length/distance back-references (§3.2.5).
///
/// Everything is checked: header flags and checksum, Huffman code lengths (over-subscribed or,
/// except for the single-code case RFC 1951 allows, incomplete codes), symbols that are reserved
/// (length codes 286-287, distance codes 30-31), back-references before the start of the data,
/// stored-block lengths, the CRC-32 and the size of every member, and bytes after the last member.
/// The output is bounded: decoding stops with an error as soon as it would exceed `limit`, so a
/// "gzip bomb" (a few KiB that expand to many GiB) is an error, never an out-of-memory crash.
public enum Gzip {
    /// The default bound on the decompressed size: 1 GiB.
    public static let defaultLimit = 1 << 30

    /// Whether `bytes` start with gzip's magic number (`1f 8b`, RFC 1952 §2.3.1).
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed content of the gzip data `bytes` (every member, concatenated).
    ///
    /// Throws `GzipError` when the data is not gzip, is truncated or corrupt (a checksum, size or
    /// code that does not match), or would decompress to more than `limit` bytes.
    public static func decompress(_ bytes: [UInt8], limit: Int = defaultLimit) throws -> [UInt8] {
        try decode(bytes, limit: limit, prefixOnly: false)
    }

    /// The first `count` bytes of the decompressed content (fewer when there are fewer), decoding
    /// only as far as needed: a cheap look at a file's header before deciding whether to inflate
    /// the rest. Checksums are not verified (the trailer is not reached).
    public static func prefix(_ bytes: [UInt8], count: Int) throws -> [UInt8] {
        try decode(bytes, limit: max(0, count), prefixOnly: true)
    }

    static func decode(_ bytes: [UInt8], limit: Int, prefixOnly: Bool) throws -> [UInt8] {
        guard hasMagic(bytes) else {
            throw GzipError(.notGzip, "not gzip data (it does not start with the bytes 1f 8b)")
        }
        var inflater = Inflater(input: bytes, limit: limit, stopAtLimit: prefixOnly)
        // A capacity hint from the last member's ISIZE (exact for single-member files), never
        // trusted beyond the limit or deflate's largest possible ratio (about 1032:1).
        if !prefixOnly, bytes.count >= 18 {
            let isize = Int(readLE32(bytes, bytes.count - 4))
            inflater.output.reserveCapacity(min(isize, limit, bytes.count &* 1032))
        }
        var offset = 0
        repeat {
            let dataStart = try parseHeader(bytes, at: offset)
            let memberStart = inflater.output.count
            inflater.start(at: dataStart, memberStart: memberStart)
            do {
                try inflater.inflate()
            } catch is LimitReached {
                return inflater.output
            }
            let trailer = inflater.bytePosition
            guard trailer + 8 <= bytes.count else {
                throw GzipError(.truncated, "truncated gzip data: the trailer (CRC-32 and size) is missing at byte \(trailer)")
            }
            let storedCRC = readLE32(bytes, trailer)
            let storedSize = readLE32(bytes, trailer + 4)
            let crc = inflater.output.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[memberStart...])) }
            guard crc == storedCRC else {
                throw GzipError(.corrupt, "corrupt gzip data: CRC-32 mismatch (the trailer at byte \(trailer) says \(hex32(storedCRC)), the data gives \(hex32(crc)))")
            }
            let size = inflater.output.count - memberStart
            guard UInt32(truncatingIfNeeded: size) == storedSize else {
                throw GzipError(.corrupt, "corrupt gzip data: size mismatch (the trailer at byte \(trailer + 4) says \(storedSize) bytes, the data is \(size) bytes)")
            }
            offset = trailer + 8
        } while offset < bytes.count && bytes[offset] == 0x1F && offset + 1 < bytes.count && bytes[offset + 1] == 0x8B
        if offset < bytes.count {
            throw GzipError(.corrupt, "corrupt gzip data: unexpected bytes after the end of the gzip data, from byte \(offset)")
        }
        return inflater.output
    }

    /// Checks the member header starting at `offset` (RFC 1952 §2.3) and returns where the
    /// compressed blocks begin.
    static func parseHeader(_ b: [UInt8], at offset: Int) throws -> Int {
        func truncated() -> GzipError {
            GzipError(.truncated, "truncated gzip data: the header starting at byte \(offset) ends early")
        }
        guard b.count - offset >= 10 else { throw truncated() }
        guard b[offset] == 0x1F, b[offset + 1] == 0x8B else {
            throw GzipError(.notGzip, "not gzip data (it does not start with the bytes 1f 8b)")
        }
        guard b[offset + 2] == 8 else {
            throw GzipError(.corrupt, "unsupported gzip data: compression method \(b[offset + 2]) at byte \(offset + 2), expected 8 (deflate)")
        }
        let flags = b[offset + 3]
        guard flags & 0xE0 == 0 else {
            throw GzipError(.corrupt, "corrupt gzip data: reserved header flag bits are set (flags 0x\(String(flags, radix: 16)) at byte \(offset + 3))")
        }
        var p = offset + 10
        if flags & 0x04 != 0 {  // FEXTRA: XLEN, then XLEN bytes
            guard p + 2 <= b.count else { throw truncated() }
            let xlen = Int(b[p]) | Int(b[p + 1]) << 8
            p += 2 + xlen
            guard p <= b.count else { throw truncated() }
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            guard let end = b[p...].firstIndex(of: 0) else { throw truncated() }
            p = end + 1
        }
        if flags & 0x02 != 0 {  // FHCRC: the low 16 bits of the CRC-32 of the header so far
            guard p + 2 <= b.count else { throw truncated() }
            let stored = UInt16(b[p]) | UInt16(b[p + 1]) << 8
            let crc = b.withUnsafeBufferPointer { UInt16(truncatingIfNeeded: CRC32.checksum(UnsafeBufferPointer(rebasing: $0[offset..<p]))) }
            guard stored == crc else {
                throw GzipError(.corrupt, "corrupt gzip data: header checksum mismatch at byte \(p)")
            }
            p += 2
        }
        return p
    }

    static func readLE32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    static func hex32(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}

/// Why gzip data could not be decompressed. One line, e.g.
///
///     corrupt gzip data: CRC-32 mismatch (the trailer at byte 2051 says 0x8f3a0c11, the data gives 0x01d2c3b4)
public struct GzipError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The data does not start with gzip's magic number.
        case notGzip
        /// The data ends before the gzip format says it may.
        case truncated
        /// A header field, code, checksum or size is wrong.
        case corrupt
        /// The decompressed content would be larger than the caller's limit.
        case limitExceeded
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// CRC-32 as gzip uses it (RFC 1952 §8: the polynomial 0xEDB88320, reflected, pre- and
/// post-inverted), table-driven, slicing by 4.
enum CRC32 {
    static let tables: [[UInt32]] = {
        var t0 = [UInt32](repeating: 0, count: 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t0[n] = c
        }
        var tables = [t0]
        for k in 1..<4 {
            tables.append((0..<256).map { n in
                let prev = tables[k - 1][n]
                return t0[Int(prev & 0xFF)] ^ (prev >> 8)
            })
        }
        return tables
    }()

    /// The CRC-32 of `bytes`.
    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let t = tables
        let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3]
        var c: UInt32 = 0xFFFF_FFFF
        var i = 0
        let n = bytes.count
        while i + 4 <= n {
            c ^= UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            c = t3[Int(c & 0xFF)] ^ t2[Int((c >> 8) & 0xFF)] ^ t1[Int((c >> 16) & 0xFF)] ^ t0[Int(c >> 24)]
            i += 4
        }
        while i < n {
            c = t0[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
            i += 1
        }
        return c ^ 0xFFFF_FFFF
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { checksum($0) }
    }
}

/// Thrown inside the inflater when a prefix-only decode has produced enough bytes.
struct LimitReached: Error {}

/// A canonical Huffman code (RFC 1951 §3.2.2) as a lookup table indexed by the next `maxBits`
/// input bits (deflate packs codes starting with their most significant bit into the bytes'
/// least significant bits, so the table is indexed by the bit-reversed code, padded with every
/// combination of the bits that follow). An entry is `symbol << 4 | length`; 0 marks a bit
/// pattern that is no code.
struct Huffman {
    var table: [UInt32]
    var maxBits: Int
    var mask: UInt64

    enum Role: String {
        case codeLengths = "code length"
        case literalLength = "literal/length"
        case distance = "distance"
    }

    /// The problem with `lengths` (one per symbol, 0 = unused) as a code, or nil when they form a
    /// valid one: not over-subscribed, and complete except for the single one-bit code that
    /// RFC 1951 §3.2.7 allows for distances (zlib accepts it for literals too), or no code at all
    /// (allowed; decoding with it is an error).
    static func problem(_ lengths: ArraySlice<UInt8>, role: Role) -> String? {
        var counts = [Int](repeating: 0, count: 16)
        var maxBits = 0
        for l in lengths where l > 0 {
            counts[Int(l)] += 1
            maxBits = max(maxBits, Int(l))
        }
        var left = 1
        for bits in 1...15 {
            left <<= 1
            left -= counts[bits]
            if left < 0 { return "over-subscribed \(role.rawValue) Huffman code" }
        }
        if left > 0 && maxBits > 0 && (role == .codeLengths || maxBits != 1) {
            return "incomplete \(role.rawValue) Huffman code"
        }
        return nil
    }

    /// Builds the code for `lengths` (each 0...15), which `problem` accepted: codes are assigned
    /// in order of length, then of symbol (§3.2.2).
    init(_ lengths: ArraySlice<UInt8>) {
        var counts = [Int](repeating: 0, count: 16)
        var maxBits = 0
        for l in lengths where l > 0 {
            counts[Int(l)] += 1
            maxBits = max(maxBits, Int(l))
        }
        let tableBits = max(maxBits, 1)
        var table = [UInt32](repeating: 0, count: 1 << tableBits)
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for bits in 1...15 {
            code = (code + counts[bits - 1]) << 1
            next[bits] = code
        }
        for (i, l) in lengths.enumerated() where l > 0 {
            let len = Int(l)
            let c = next[len]
            next[len] += 1
            var reversed = 0
            for k in 0..<len where c & (1 << k) != 0 { reversed |= 1 << (len - 1 - k) }
            let entry = UInt32(i) << 4 | UInt32(len)
            var j = reversed
            while j < table.count {   // every continuation of the code's bits
                table[j] = entry
                j += 1 << len
            }
        }
        self.table = table
        self.maxBits = tableBits
        self.mask = (1 << UInt64(tableBits)) - 1
    }

    /// The fixed codes of RFC 1951 §3.2.6.
    static let fixedLiteralLength: Huffman = {
        var lengths = [UInt8](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return Huffman(lengths[...])
    }()

    /// Distance codes 30 and 31 take part in the fixed code but never occur in valid data
    /// (checked when decoding).
    static let fixedDistance = Huffman([UInt8](repeating: 5, count: 32)[...])
}

/// The DEFLATE decoder (RFC 1951 §3.2.3): a bit reader over the input, and the output so far.
struct Inflater {
    let input: [UInt8]
    /// Next input byte to load into `bits`.
    var pos = 0
    /// Up to 64 input bits not yet used, the next one in bit 0.
    var bits: UInt64 = 0
    var bitCount = 0
    var output: [UInt8] = []
    /// Where the current gzip member's data starts in `output` (back-references stop there).
    var memberStart = 0
    let limit: Int
    let stopAtLimit: Bool

    init(input: [UInt8], limit: Int, stopAtLimit: Bool) {
        self.input = input
        self.limit = limit
        self.stopAtLimit = stopAtLimit
    }

    /// Starts reading a deflate stream at byte `offset` of the input.
    mutating func start(at offset: Int, memberStart: Int) {
        pos = offset
        bits = 0
        bitCount = 0
        self.memberStart = memberStart
    }

    /// The input byte that holds the next unread bit; once `inflate()` returned, the first byte
    /// after the deflate stream (the rest of its last byte is padding).
    var bytePosition: Int { pos - (bitCount + 7) / 8 }

    // MARK: Bits

    @inline(__always)
    mutating func refill() {
        while bitCount <= 56 && pos < input.count {
            bits |= UInt64(input[pos]) << UInt64(bitCount)
            pos += 1
            bitCount += 8
        }
    }

    func truncated() -> GzipError {
        GzipError(.truncated, "truncated gzip data: the compressed data ends early at byte \(input.count)")
    }

    func corrupt(_ what: String) -> GzipError {
        GzipError(.corrupt, "corrupt gzip data at byte \(bytePosition): \(what)")
    }

    /// The next `n` bits (0...32) as a number, first bit least significant.
    @inline(__always)
    mutating func take(_ n: Int) throws -> Int {
        if bitCount < n {
            refill()
            guard bitCount >= n else { throw truncated() }
        }
        let v = Int(bits & ((1 << UInt64(n)) - 1))
        bits >>= UInt64(n)
        bitCount -= n
        return v
    }

    @inline(__always)
    mutating func decode(_ code: Huffman, _ role: Huffman.Role) throws -> Int {
        if bitCount < code.maxBits { refill() }
        let entry = code.table[Int(bits & code.mask)]
        let len = Int(entry & 0xF)
        guard len > 0 else {
            if bitCount < code.maxBits { throw truncated() }
            throw corrupt("invalid \(role.rawValue) code")
        }
        guard len <= bitCount else { throw truncated() }
        bits >>= UInt64(len)
        bitCount -= len
        return Int(entry >> 4)
    }

    // MARK: Output

    /// Makes sure `n` more bytes fit under the limit; in prefix mode, says how many do (and
    /// `LimitReached` ends decoding once none does).
    @inline(__always)
    func room(_ n: Int) throws -> Int {
        if output.count + n <= limit { return n }
        if stopAtLimit {
            let fit = limit - output.count
            if fit <= 0 { throw LimitReached() }
            return fit
        }
        throw GzipError(.limitExceeded, "gzip data decompresses to more than the limit of \(limit) bytes")
    }

    // MARK: Blocks

    /// Decodes blocks up to and including the one marked final (RFC 1951 §3.2.3).
    mutating func inflate() throws {
        var final = false
        while !final {
            final = try take(1) == 1
            switch try take(2) {
            case 0: try storedBlock()
            case 1: try codes(Huffman.fixedLiteralLength, Huffman.fixedDistance)
            case 2: try dynamicBlock()
            default: throw corrupt("invalid block type 3")
            }
        }
        // The stream ends mid-byte: the rest of that byte is padding.
        let drop = bitCount % 8
        bits >>= UInt64(drop)
        bitCount -= drop
    }

    /// A stored block (§3.2.4): skip to a byte boundary, LEN and its one's complement NLEN, then
    /// LEN bytes as they are.
    mutating func storedBlock() throws {
        let start = pos - bitCount / 8   // the padding bits of the current byte are skipped
        pos = start
        bits = 0
        bitCount = 0
        guard pos + 4 <= input.count else { throw truncated() }
        let len = Int(input[pos]) | Int(input[pos + 1]) << 8
        let nlen = Int(input[pos + 2]) | Int(input[pos + 3]) << 8
        guard len == ~nlen & 0xFFFF else {
            throw corrupt("stored block length \(len) does not match its complement (NLEN \(nlen))")
        }
        pos += 4
        guard pos + len <= input.count else { throw truncated() }
        let n = try room(len)
        output.append(contentsOf: input[pos..<pos + n])
        if n < len { throw LimitReached() }
        pos += len
    }

    /// A block with dynamic Huffman codes (§3.2.7): HLIT, HDIST, HCLEN, the code-length code, the
    /// literal/length and distance code lengths (run-length coded), then the data.
    mutating func dynamicBlock() throws {
        let nlen = try take(5) + 257
        let ndist = try take(5) + 1
        let ncode = try take(4) + 4
        guard nlen <= 286 else { throw corrupt("\(nlen) literal/length codes (HLIT), more than 286") }
        guard ndist <= 30 else { throw corrupt("\(ndist) distance codes (HDIST), more than 30") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [UInt8](repeating: 0, count: 19)
        for i in 0..<ncode { codeLengths[order[i]] = UInt8(try take(3)) }
        if let problem = Huffman.problem(codeLengths[...], role: .codeLengths) { throw corrupt(problem) }
        let lengthCode = Huffman(codeLengths[...])

        var lengths = [UInt8](repeating: 0, count: nlen + ndist)
        var i = 0
        while i < lengths.count {
            let symbol = try decode(lengthCode, .codeLengths)
            if symbol < 16 {
                lengths[i] = UInt8(symbol)
                i += 1
                continue
            }
            var value: UInt8 = 0
            let repeatCount: Int
            switch symbol {
            case 16:
                guard i > 0 else { throw corrupt("code length repeat (16) with no previous length") }
                value = lengths[i - 1]
                repeatCount = 3 + (try take(2))
            case 17: repeatCount = 3 + (try take(3))
            default: repeatCount = 11 + (try take(7))
            }
            guard i + repeatCount <= lengths.count else {
                throw corrupt("code lengths repeat past the \(nlen + ndist) codes of the block")
            }
            for k in i..<i + repeatCount { lengths[k] = value }
            i += repeatCount
        }
        guard lengths[256] > 0 else { throw corrupt("the literal/length code has no end-of-block code") }
        if let problem = Huffman.problem(lengths[0..<nlen], role: .literalLength) { throw corrupt(problem) }
        if let problem = Huffman.problem(lengths[nlen...], role: .distance) { throw corrupt(problem) }
        let literals = Huffman(lengths[0..<nlen])
        let distances = Huffman(lengths[nlen...])
        try codes(literals, distances)
    }

    /// Length base values and extra bits for codes 257...285, distance ones for codes 0...29 (§3.2.5).
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                     3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                      257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                      8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                       7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// The compressed data of a block: literals, and length/distance pairs copying earlier output,
    /// up to the end-of-block code 256.
    mutating func codes(_ literals: Huffman, _ distances: Huffman) throws {
        let lengthBase = Self.lengthBase, lengthExtra = Self.lengthExtra
        let distanceBase = Self.distanceBase, distanceExtra = Self.distanceExtra
        while true {
            let symbol = try decode(literals, .literalLength)
            if symbol < 256 {
                _ = try room(1)
                output.append(UInt8(truncatingIfNeeded: symbol))
                continue
            }
            if symbol == 256 { return }
            let li = symbol - 257
            guard li < 29 else { throw corrupt("invalid length code \(symbol)") }
            let length = lengthBase[li] + (try take(lengthExtra[li]))
            let di = try decode(distances, .distance)
            guard di < 30 else { throw corrupt("invalid distance code \(di)") }
            let distance = distanceBase[di] + (try take(distanceExtra[di]))
            let available = output.count - memberStart
            guard distance <= available else {
                throw corrupt("a back-reference of distance \(distance) reaches before the start of the data (\(available) byte\(available == 1 ? "" : "s") so far)")
            }
            let n = try room(length)
            var from = output.count - distance
            for _ in 0..<n {   // byte by byte: source and destination may overlap (§3.2.3)
                output.append(output[from])
                from += 1
            }
            if n < length { throw LimitReached() }
        }
    }
}
