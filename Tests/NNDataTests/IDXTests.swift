import Foundation
import NNConfig
import Testing
@testable import NNData

// MARK: - Fixtures made by Python's gzip and zlib modules (dynamic Huffman blocks)

/// Compressed by Python 3 (zlib 1.2.13) with this script; the uncompressed data is rebuilt in
/// Swift by `pythonImages`, `pythonLabels` and `pythonText`, which follow it step by step:
///
/// ```python
/// import base64, gzip, struct, zlib
///
/// def lcg(seed, n):
///     out, x = [], seed
///     for _ in range(n):
///         x = (x * 1103515245 + 12345) % 2**31
///         out.append(x >> 16)
///     return out
///
/// # A: an IDX image file of 12 images of 7 x 6, and its label file.
/// n, rows, cols = 12, 7, 6
/// pix = bytes((0 if v % 5 < 2 else (v * 37) % 256) for v in lcg(7, n * rows * cols))
/// images = struct.pack(">IIII", 0x803, n, rows, cols) + pix
/// labels = struct.pack(">II", 0x801, n) + bytes([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8])
/// print(base64.b64encode(gzip.compress(images, compresslevel=9, mtime=0)).decode())   # gzImagesA
/// print(base64.b64encode(gzip.compress(labels, compresslevel=9, mtime=0)).decode())   # gzLabelsA
/// print(hex(zlib.crc32(images)))                                                      # 0x5786697f
///
/// # B: 2515 bytes of text in many small blocks (memLevel 1), with a sync flush (an empty stored
/// # block) in the middle.
/// words = [b"deflate", b"huffman", b"gzip", b"mnist", b"idx", b"the", b"of", b"a", b"block", b"code"]
/// text = b" ".join(words[v % len(words)] for v in lcg(11, 500))[:3000]
/// c = zlib.compressobj(9, zlib.DEFLATED, 31, 1)
/// gz = c.compress(text[:1500]) + c.flush(zlib.Z_SYNC_FLUSH) + c.compress(text[1500:]) + c.flush()
/// print(base64.b64encode(gz).decode())                                                # gzTextB
/// print(len(text), len(gz), hex(zlib.crc32(text)))                                    # 2515 549 0x57d3e0bb
/// ```
private let gzImagesA = bytes(base64: """
H4sIAAAAAAACAxWPXUiTcRTGf1LW0j5wTUvJ1ujDi6RQSxEzK4hykxD7BAmyAhkK4oVDhtPUSb0LmaVguhe0WFaaBEV5sXJFIprVRW2YgbsJF4gJ\
RpofDTsv/M//POc5zzmcB3RrgI0S6yXWqQwlwTScvO+n87iLQSjfsrWB7q/RRSjE4K1AN+LlwlOR85b5Kl/lzZcLgg9Ehdl+vQpOuP9Zcc4IZVCM\
/ATdKG2RHn6R3+pItskQjSQnFqs8SaUvAL007eCIx+qx0c43mSvLlm9n//NxPST2lVEgZbU7ixf2HEYhBYbIqy2Y57I0Jn9rh3uZu/JRQFhi4At1\
PF4UNOXir/2eCTJk0dizXKG0EROqJUTxO63Y+z2Yte2MZqYHY80fOMXaHPOs2lHoQxX2th3axpbdmoIFnJ8gYXPpwCZCyiEeQHszptgf8GFmxSGK\
fqiYgofaJbYlYwmWlovmCQKp+UXHSneF77J7NVM5S5BcTyVv4owZ8a84GAfDNnDo0yKruEg6LK/kfHdjy/5CWWlNx1lv8NfXNC9pN7wOQkTyncVa\
yIwiftDUteGzsm/5VuA9Vw1mffU16U5PPppjnLo9HRNku8TJURAPKU78WM5B6w1C+E5rCy/Rmfcff2mGVwgCAAA=
""")

private let gzLabelsA = bytes(base64: "H4sIAAAAAAACA2Ng4GBkYGDgYWZkYWTlZGJjZWblAAAw09z0FAAAAA==")

private let gzTextB = bytes(base64: """
H4sIAAAAAAACA2yRaw4DIQiEr8LV6Kpd03006TZpevoKiI7d/SOGwY8B53dKK2+Uw4fmer8t+/Sg+zc/7WAKMS18RDrmSHuidcuvo5WjaIqdhinl\
XujRZOk47SEWvAZt5SyPUqSCloAxEUYbjWdpJzQXYg+tQn+5siYdNpjh8yj2xtJ2L2Ijet4BfT4pQSM8MP43WpjjGPIUlgDjdv36c/BjcGO+CYmK\
8wR4qMuD8bW7wfgCam/wc9HkuV5x0qJPVXv+6CiDJABhEAa+lf9/QgVJFqyXzlg1hLBtu2m5UtjNUXd+IdHaRnYbh5TPhewZszeBWRJk5K+Ggs0H\
5gIH52ORr1DIvpDqoxeqPluGzK4wYfABJ3vMRUExYIWFXHUn1Lrt38/13bcpjT8O90hsYXBnM5vAH+DMVoPlHVlp3sJtnoKpUZyOLKb/gcn1qkT4\
xhjBRIPTY1YK7VzmZllPNJ8vAAAA//91VkkOgCAMfGv//wkNtLMBBxMlWOpsVQ7MxTOZPDUNIkVx+GzOut9xgxnfJIiOGVSHL0smg8+iFCxUB1hZ\
FhCq7TTbKw7dKHfKUO0mp3RSgspnGKq701O4wdEuEUy3/78dCEIrXVhDWmlzk686Dmbdmc3xXTDEMfHxjXMlPMqM6yZ3BoFvnMvXIhgywTyeJ1M3\
07DWICVdo6wWXBiGwC7/SkfKsRLK5pHUpGA1qEqMqjXq1Xzffrvg01fTCQAA
""")

private func bytes(base64: String) -> [UInt8] {
    [UInt8](Data(base64Encoded: base64.filter { !$0.isWhitespace }) ?? Data())
}

/// Python's `lcg` above.
private func lcg(_ seed: UInt64, _ n: Int) -> [Int] {
    var x = seed
    return (0..<n).map { _ in
        x = (x &* 1_103_515_245 &+ 12345) % (1 << 31)
        return Int(x >> 16)
    }
}

private let pythonPixels: [UInt8] = lcg(7, 12 * 7 * 6).map { $0 % 5 < 2 ? 0 : UInt8(($0 * 37) % 256) }
private let pythonImages: [UInt8] = idxHeader(0x803, [12, 7, 6]) + pythonPixels
private let pythonLabelValues: [UInt8] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]
private let pythonLabels: [UInt8] = idxHeader(0x801, [12]) + pythonLabelValues
private let pythonText: [UInt8] = {
    let words = ["deflate", "huffman", "gzip", "mnist", "idx", "the", "of", "a", "block", "code"]
    return Array(lcg(11, 500).map { words[$0 % words.count] }.joined(separator: " ").utf8.prefix(3000))
}()

// MARK: - Writing IDX and gzip data in the tests

/// An IDX header: the magic number, then one big-endian u32 per size.
private func idxHeader(_ magic: UInt32, _ sizes: [UInt32]) -> [UInt8] {
    ([magic] + sizes).flatMap { v in [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}

private func idxImages(_ count: Int, _ rows: Int, _ columns: Int, _ pixels: [UInt8]) -> [UInt8] {
    idxHeader(0x803, [UInt32(count), UInt32(rows), UInt32(columns)]) + pixels
}

private func idxLabels(_ labels: [UInt8]) -> [UInt8] { idxHeader(0x801, [UInt32(labels.count)]) + labels }

/// Writes bits first-bit-least-significant, as DEFLATE packs them (RFC 1951 §3.1.1).
private struct BitWriter {
    var bytes: [UInt8] = []
    var accumulator: UInt64 = 0
    var count = 0

    /// `value`'s low `n` bits, least significant first (header fields, extra bits).
    mutating func write(_ value: Int, _ n: Int) {
        accumulator |= UInt64(value) << UInt64(count)
        count += n
        while count >= 8 {
            bytes.append(UInt8(accumulator & 0xFF))
            accumulator >>= 8
            count -= 8
        }
    }

    /// A Huffman code of `n` bits, most significant bit first.
    mutating func writeCode(_ code: Int, _ n: Int) {
        var reversed = 0
        for k in 0..<n where code & (1 << k) != 0 { reversed |= 1 << (n - 1 - k) }
        write(reversed, n)
    }

    mutating func align() { if count > 0 { write(0, 8 - count) } }

    mutating func finish() -> [UInt8] {
        align()
        return bytes
    }
}

/// A small DEFLATE encoder for the tests: stored blocks, and fixed Huffman codes over a greedy
/// LZ77 parse (so the decoder sees back-references, overlapping ones included).
private enum TestDeflate {
    static func stored(_ data: [UInt8], chunk: Int = 65535) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        repeat {
            let end = min(data.count, start + chunk)
            let len = end - start
            out.append(end == data.count ? 1 : 0)   // BFINAL, BTYPE 00, then padding to the byte
            out += [UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8((~len >> 8) & 0xFF)]
            out += data[start..<end]
            start = end
        } while start < data.count
        return out
    }

    static func literal(_ w: inout BitWriter, _ symbol: Int) {
        switch symbol {
        case 0..<144: w.writeCode(0x30 + symbol, 8)
        case 144..<256: w.writeCode(0x190 + symbol - 144, 9)
        case 256..<280: w.writeCode(symbol - 256, 7)
        default: w.writeCode(0xC0 + symbol - 280, 8)
        }
    }

    static func pair(_ w: inout BitWriter, length: Int, distance: Int) {
        let l = Inflater.lengthBase.lastIndex { $0 <= length }!
        literal(&w, 257 + l)
        w.write(length - Inflater.lengthBase[l], Inflater.lengthExtra[l])
        let d = Inflater.distanceBase.lastIndex { $0 <= distance }!
        w.writeCode(d, 5)
        w.write(distance - Inflater.distanceBase[d], Inflater.distanceExtra[d])
    }

    static func fixed(_ data: [UInt8]) -> [UInt8] {
        var w = BitWriter()
        w.write(1, 1)   // BFINAL
        w.write(1, 2)   // BTYPE 01: fixed codes
        var last: [Int: Int] = [:]
        var i = 0
        while i < data.count {
            var length = 0, distance = 0
            if i + 3 <= data.count {
                let key = Int(data[i]) << 16 | Int(data[i + 1]) << 8 | Int(data[i + 2])
                if let p = last[key], i - p <= 32768 {
                    while length < 258, i + length < data.count, data[p + length] == data[i + length] { length += 1 }
                    distance = i - p
                }
                last[key] = i
            }
            if length >= 3 {
                pair(&w, length: length, distance: distance)
                i += length
            } else {
                literal(&w, Int(data[i]))
                i += 1
            }
        }
        literal(&w, 256)
        return w.finish()
    }

    /// A gzip member (RFC 1952) around `deflate`, the compressed form of `data`.
    static func gzip(_ deflate: [UInt8], of data: [UInt8], header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]) -> [UInt8] {
        let crc = CRC32.checksum(data)
        let size = UInt32(truncatingIfNeeded: data.count)
        return header + deflate + [crc, size].flatMap { v in (0..<4).map { UInt8((v >> UInt32(8 * $0)) & 0xFF) } }
    }
}

/// `count` pseudo-random bytes that compress somewhat (small alphabet, repeats).
private func sampleBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = seed
    var out: [UInt8] = []
    while out.count < count {
        rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let r = Int(rng >> 33)
        if r % 4 == 0, out.count > 10 {
            let back = 1 + (r >> 3) % min(out.count, 300)
            for _ in 0..<(3 + (r >> 12) % 40) where out.count < count { out.append(out[out.count - back]) }
        } else {
            out.append(UInt8((r >> 8) % 23) &* 11)
        }
    }
    return out
}

/// The description of what `body` throws, or a note that it did not throw.
private func message(_ body: () throws -> Any) -> String {
    do {
        _ = try body()
        return "(no error)"
    } catch {
        return "\(error)"
    }
}

// MARK: - gzip and DEFLATE

@Suite struct IDXInflateTests {
    @Test func crc32KnownValues() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(pythonImages) == 0x5786_697F)
        #expect(CRC32.checksum(pythonText) == 0x57D3_E0BB)
    }

    @Test func pythonGzipWithDynamicHuffmanBlocks() throws {
        // The fixtures really use dynamic Huffman codes: BTYPE of the first block is 2.
        #expect((gzImagesA[10] >> 1) & 3 == 2)
        #expect((gzTextB[10] >> 1) & 3 == 2)
        #expect(pythonText.count == 2515 && gzTextB.count == 549)
        #expect(try Gzip.decompress(gzImagesA) == pythonImages)
        #expect(try Gzip.decompress(gzLabelsA) == pythonLabels)   // fixed Huffman codes (BTYPE 1)
        #expect((gzLabelsA[10] >> 1) & 3 == 1)
        #expect(try Gzip.decompress(gzTextB) == pythonText)
        #expect(try Gzip.prefix(gzTextB, count: 10) == Array(pythonText.prefix(10)))
        #expect(try Gzip.prefix(gzTextB, count: 100_000) == pythonText)
    }

    @Test func storedAndFixedBlocksRoundTrip() throws {
        for (n, seed) in [(0, 1), (1, 2), (300, 3), (70_000, 4)] as [(Int, UInt64)] {
            let data = sampleBytes(n, seed: seed)
            let stored = TestDeflate.gzip(TestDeflate.stored(data, chunk: 1000), of: data)
            #expect(try Gzip.decompress(stored) == data, "stored, \(n) bytes")
            let fixed = TestDeflate.gzip(TestDeflate.fixed(data), of: data)
            #expect(try Gzip.decompress(fixed) == data, "fixed, \(n) bytes")
            if n > 1000 { #expect(fixed.count < n / 2, "the test encoder found back-references") }
        }
        // Overlapping copies: "ab" then distance 2, length 258, over and over.
        let runs = [UInt8](repeating: 7, count: 5000) + Array("abababababababab".utf8) + [UInt8](repeating: 0, count: 3000)
        #expect(try Gzip.decompress(TestDeflate.gzip(TestDeflate.fixed(runs), of: runs)) == runs)
    }

    @Test func optionalHeaderFieldsAndSeveralMembers() throws {
        let data = Array("header fields: FEXTRA, FNAME, FCOMMENT, FHCRC".utf8)
        var header: [UInt8] = [0x1F, 0x8B, 8, 0x04 | 0x08 | 0x10 | 0x02, 1, 2, 3, 4, 2, 3]
        header += [3, 0, 0xAA, 0xBB, 0xCC]                 // FEXTRA: XLEN 3
        header += Array("train-images-idx3-ubyte".utf8) + [0]   // FNAME
        header += Array("a comment".utf8) + [0]             // FCOMMENT
        let crc16 = UInt16(truncatingIfNeeded: CRC32.checksum(header))
        header += [UInt8(crc16 & 0xFF), UInt8(crc16 >> 8)]  // FHCRC
        let member = TestDeflate.gzip(TestDeflate.fixed(data), of: data, header: header)
        #expect(try Gzip.decompress(member) == data)
        // Members concatenate (RFC 1952 §2.2), and a back-reference cannot reach into the previous one.
        let two = member + TestDeflate.gzip(TestDeflate.stored(data), of: data)
        #expect(try Gzip.decompress(two) == data + data)
        var badHeaderCRC = member
        badHeaderCRC[header.count - 1] ^= 0xFF
        #expect(message { try Gzip.decompress(badHeaderCRC) } == "corrupt gzip data: header checksum mismatch at byte \(header.count - 2)")
    }

    @Test func corruptAndTruncatedDataGolden() throws {
        let b = gzTextB   // 549 bytes: 10 of header, the deflate data, the trailer at 541
        #expect(message { try Gzip.decompress(Array(b.dropLast(4))) }
            == "truncated gzip data: the trailer (CRC-32 and size) is missing at byte 541")
        #expect(message { try Gzip.decompress(Array(b.prefix(200))) }
            == "truncated gzip data: the compressed data ends early at byte 200")
        #expect(message { try Gzip.decompress(Array(b.prefix(7))) }
            == "truncated gzip data: the header starting at byte 0 ends early")
        var crc = b
        crc[541] ^= 0x01
        #expect(message { try Gzip.decompress(crc) }
            == "corrupt gzip data: CRC-32 mismatch (the trailer at byte 541 says 0x57d3e0ba, the data gives 0x57d3e0bb)")
        var size = b
        size[545] = 0xC4   // 2515 = 0x09d3 -> 0x09c4 = 2500
        #expect(message { try Gzip.decompress(size) }
            == "corrupt gzip data: size mismatch (the trailer at byte 545 says 2500 bytes, the data is 2515 bytes)")
        #expect(message { try Gzip.decompress(b + [0, 1]) }
            == "corrupt gzip data: unexpected bytes after the end of the gzip data, from byte 549")
        var method = b
        method[2] = 7
        #expect(message { try Gzip.decompress(method) }
            == "unsupported gzip data: compression method 7 at byte 2, expected 8 (deflate)")
        var flags = b
        flags[3] = 0x20
        #expect(message { try Gzip.decompress(flags) }
            == "corrupt gzip data: reserved header flag bits are set (flags 0x20 at byte 3)")
        #expect(message { try Gzip.decompress(Array("not gzip".utf8)) }
            == "not gzip data (it does not start with the bytes 1f 8b)")
        // A flipped bit inside the compressed data is caught one way or another.
        for position in stride(from: 12, to: 540, by: 37) {
            var flipped = b
            flipped[position] ^= 0x10
            #expect(throws: GzipError.self) { try Gzip.decompress(flipped) }
        }
    }

    @Test func invalidDeflateStreamsGolden() throws {
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        #expect(message { try Gzip.decompress(header + [0x07, 0, 0, 0, 0, 0, 0, 0, 0]) }
            == "corrupt gzip data at byte 10: invalid block type 3")
        #expect(message { try Gzip.decompress(header + [0x01, 5, 0, 0, 0, 1, 2, 3, 4, 5]) }
            == "corrupt gzip data at byte 11: stored block length 5 does not match its complement (NLEN 0)")
        // A back-reference before the start: literal "a", then length 3 at distance 2.
        var w = BitWriter()
        w.write(1, 1); w.write(1, 2)
        TestDeflate.literal(&w, 0x61)
        TestDeflate.pair(&w, length: 3, distance: 2)
        TestDeflate.literal(&w, 256)
        #expect(message { try Gzip.decompress(header + w.finish() + [UInt8](repeating: 0, count: 8)) }
            == "corrupt gzip data at byte 12: a back-reference of distance 2 reaches before the start of the data (1 byte so far)")
        // Reserved length code 286 in a fixed block.
        w = BitWriter()
        w.write(1, 1); w.write(1, 2)
        TestDeflate.literal(&w, 286)
        #expect(message { try Gzip.decompress(header + w.finish() + [UInt8](repeating: 0, count: 8)) }
            == "corrupt gzip data at byte 11: invalid length code 286")
        // A dynamic block whose code-length code has four 1-bit codes: over-subscribed.
        w = BitWriter()
        w.write(1, 1); w.write(2, 2)
        w.write(0, 5); w.write(0, 5); w.write(0, 4)   // HLIT 257, HDIST 1, HCLEN 4
        for _ in 0..<4 { w.write(1, 3) }
        #expect(message { try Gzip.decompress(header + w.finish() + [UInt8](repeating: 0, count: 8)) }
            == "corrupt gzip data at byte 13: over-subscribed code length Huffman code")
        // HLIT of 30 (287 codes) is more than RFC 1951 allows.
        w = BitWriter()
        w.write(1, 1); w.write(2, 2)
        w.write(30, 5); w.write(0, 5); w.write(0, 4)
        #expect(message { try Gzip.decompress(header + w.finish() + [UInt8](repeating: 0, count: 8)) }
            == "corrupt gzip data at byte 12: 287 literal/length codes (HLIT), more than 286")
    }

    @Test func outputIsBounded() throws {
        // A small "bomb": one literal, then length-258 copies at distance 1 (13 bits per 258 bytes).
        var w = BitWriter()
        w.write(1, 1); w.write(1, 2)
        TestDeflate.literal(&w, 0)
        for _ in 0..<40_000 { TestDeflate.pair(&w, length: 258, distance: 1) }
        TestDeflate.literal(&w, 256)
        // (1 + 40,000 x 258 bytes; the trailer is never reached, so its values do not matter.)
        let bomb = TestDeflate.gzip(w.finish(), of: [])
        #expect(bomb.count < 70_000)
        #expect(message { try Gzip.decompress(bomb, limit: 1 << 20) }
            == "gzip data decompresses to more than the limit of 1048576 bytes")
        #expect(try Gzip.prefix(bomb, count: 1000) == [UInt8](repeating: 0, count: 1000))
        // Stored blocks obey the limit too.
        let data = sampleBytes(5000, seed: 9)
        let stored = TestDeflate.gzip(TestDeflate.stored(data), of: data)
        #expect(throws: GzipError.self) { try Gzip.decompress(stored, limit: 4999) }
        #expect(try Gzip.decompress(stored, limit: 5000) == data)
        #expect(try Gzip.prefix(stored, count: 17) == Array(data.prefix(17)))
    }
}

// MARK: - IDX files

@Suite struct IDXTests {
    @Test func rawImagesAndLabels() throws {
        let pixels: [UInt8] = (0..<(3 * 2 * 4)).map { UInt8($0 * 10) }
        let images = try IDXReader.images(idxImages(3, 2, 4, pixels), file: "i.idx")
        #expect(images == IDXReader.Images(count: 3, rows: 2, columns: 4, pixels: pixels))
        let labels = try IDXReader.labels(idxLabels([7, 10, 7]), file: "l.idx")
        #expect(labels == [7, 10, 7])
        let d = try IDXReader.dataset(images: images, imagesFile: "i.idx", labels: labels, labelsFile: "l.idx")
        #expect(d.featureShape == [2, 4, 1])
        #expect(d.count == 3)
        #expect(d.labelNames == ["7", "10"])   // numeric order, not string order
        #expect(d.labels == [0, 1, 0])
        #expect(Array(d.row(1)) == (8..<16).map { Float($0 * 10) })
        #expect(d.features.max() == 230)
    }

    @Test func pythonGzippedFilesThroughTheConfig() throws {
        let dir = try makeTempDirectory()
        try Data(gzImagesA).write(to: URL(fileURLWithPath: dir + "/mnist/train-images-idx3-ubyte.gz").creatingFolder())
        try Data(gzLabelsA).write(to: URL(fileURLWithPath: dir + "/mnist/train-labels-idx1-ubyte.gz"))
        let node = Node.map([
            ("source", Node.map([("idx", Node.map([
                ("images", Node.s("mnist/train-images-idx3-ubyte.gz", 3, 13)),
                ("labels", Node.s("mnist/train-labels-idx1-ubyte.gz", 4, 13)),
            ], 3, 5))], 2, 3)),
            ("scale", Node.s("0.00392156862745098", 5, 10)),
        ], 1, 1)
        let (decoded, errors) = decodeData(node)
        #expect(errors.isEmpty, "\(errors)")
        let config = try #require(decoded)
        #expect(config.source == .idx(images: "mnist/train-images-idx3-ubyte.gz", labels: "mnist/train-labels-idx1-ubyte.gz"))
        let d = try loadDataset(config, baseDirectory: dir)
        #expect(d.count == 12)
        #expect(d.featureShape == [7, 6, 1])
        #expect(d.labelNames == ["1", "2", "3", "4", "5", "6", "8", "9"])
        #expect(d.labels.map { d.labelNames[$0] } == pythonLabelValues.map { String($0) })
        #expect(d.features == pythonPixels.map(Float.init))
        // The recipe's scale 1/255 maps the pixels into [0, 1].
        #expect(config.scale == 0.00392156862745098)
        var scaled = d.features
        InputScaling(scale: config.scale).apply(to: &scaled, featureCount: d.featureCount)
        #expect(scaled.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(scaled.max() == Float(pythonPixels.max()!) / 255)
        // The resolved configuration records the source, and decodes back to the same.
        let encoded = config.resolved(for: d).encode()
        #expect(encoded["source"]?["idx"]?["images"]?.scalarText == "mnist/train-images-idx3-ubyte.gz")
        #expect(encoded["source"]?["idx"]?["labels"]?.scalarText == "mnist/train-labels-idx1-ubyte.gz")
        let (back, backErrors) = decodeData(encoded)
        #expect(backErrors.isEmpty && back == config.resolved(for: d))
    }

    @Test func gzipAndRawGiveTheSameDataset() throws {
        let dir = try makeTempDirectory()
        let pixels = sampleBytes(50 * 5 * 5, seed: 3)
        let labels: [UInt8] = (0..<50).map { UInt8(($0 * 7) % 3 + 1) }
        let images = idxImages(50, 5, 5, pixels)
        try Data(images).write(to: URL(fileURLWithPath: dir + "/images.idx"))
        try Data(TestDeflate.gzip(TestDeflate.fixed(images), of: images)).write(to: URL(fileURLWithPath: dir + "/images.idx.gz"))
        try Data(idxLabels(labels)).write(to: URL(fileURLWithPath: dir + "/labels.idx"))
        let raw = try IDXReader.dataset(imagesFile: dir + "/images.idx", labelsFile: dir + "/labels.idx")
        let gz = try IDXReader.dataset(imagesFile: dir + "/images.idx.gz", labelsFile: dir + "/labels.idx")
        #expect(raw == gz)
        #expect(raw.labelNames == ["1", "2", "3"] && raw.featureShape == [5, 5, 1])
        #expect(raw.features == pixels.map(Float.init))
    }

    @Test func headerErrorsGolden() throws {
        let f = "data/x.idx"
        func images(_ bytes: [UInt8]) -> String { message { try IDXReader.images(bytes, file: f) } }
        func labels(_ bytes: [UInt8]) -> String { message { try IDXReader.labels(bytes, file: f) } }
        #expect(images([0, 0, 8, 3, 0, 0]) == "data/x.idx: the file is 6 bytes, too short for an IDX header (16 bytes for images)")
        #expect(images([0, 0]) == "data/x.idx: the file is 2 bytes, too short for an IDX header (16 bytes for images)")
        #expect(images([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 12)) ==
            "data/x.idx: not an IDX file: it starts with 0x89504e47, expected 0x00000803 (unsigned bytes, 3 dimensions: images)")
        #expect(images(idxLabels([1, 2])) ==
            "data/x.idx: magic number 0x00000801 marks an IDX label file, expected 0x00000803 (unsigned bytes, 3 dimensions: images); are images and labels swapped?")
        #expect(labels(idxImages(1, 1, 1, [0])) ==
            "data/x.idx: magic number 0x00000803 marks an IDX image file, expected 0x00000801 (unsigned bytes, 1 dimension: labels); are images and labels swapped?")
        #expect(images(idxHeader(0x0D03, [1, 1, 1]) + [0, 0, 0, 0]) ==
            "data/x.idx: magic number 0x00000d03 (32-bit floats, 3 dimensions), expected 0x00000803 (unsigned bytes, 3 dimensions: images)")
        #expect(images(idxHeader(0x0802, [1, 1]) + [0]) ==
            "data/x.idx: magic number 0x00000802 (unsigned bytes, 2 dimensions), expected 0x00000803 (unsigned bytes, 3 dimensions: images)")
        #expect(images(idxHeader(0x0703, [1, 1, 1]) + [0]) ==
            "data/x.idx: not an IDX file: magic number 0x00000703 has no IDX element type (0x7), expected 0x00000803 (unsigned bytes, 3 dimensions: images)")
    }

    @Test func sizeErrorsGolden() throws {
        let f = "data/x.idx"
        func images(_ bytes: [UInt8]) -> String { message { try IDXReader.images(bytes, file: f) } }
        #expect(images(idxImages(2, 3, 7, [UInt8](repeating: 1, count: 41))) ==
            "data/x.idx: the file has 41 bytes after the 16-byte header, but its header says 2 images of 3 x 7 pixels (42 bytes)")
        #expect(images(idxImages(2, 3, 7, [UInt8](repeating: 1, count: 43))) ==
            "data/x.idx: the file has 43 bytes after the 16-byte header, but its header says 2 images of 3 x 7 pixels (42 bytes)")
        #expect(message { try IDXReader.labels(idxHeader(0x801, [5]) + [1, 2, 3], file: f) } ==
            "data/x.idx: the file has 3 bytes after the 8-byte header, but its header says 5 labels (5 bytes)")
        #expect(images(idxImages(0, 28, 28, [])) == "data/x.idx: the header says 0 images; expected at least one")
        #expect(message { try IDXReader.labels(idxLabels([]), file: f) } == "data/x.idx: the header says 0 labels; expected at least one")
        #expect(images(idxImages(3, 0, 28, [])) == "data/x.idx: the header says images of 0 x 28 pixels; expected at least 1 x 1")
        // Sizes are capped before anything is allocated.
        #expect(images(idxImages(60000, 2048, 2048, [])) ==
            "data/x.idx: the header says 60000 images of 2048 x 2048 pixels (251658240000 values), more than the limit of 268435456 values")
        #expect(images(idxHeader(0x803, [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF])) ==
            "data/x.idx: the header says 4294967295 images of 4294967295 x 4294967295 pixels, more than the limit of 268435456 values")
    }

    @Test func gzipErrorsNameTheFile() throws {
        let f = "data/x.idx.gz"
        func gz(_ data: [UInt8]) -> [UInt8] { TestDeflate.gzip(TestDeflate.fixed(data), of: data) }
        func images(_ bytes: [UInt8]) -> String { message { try IDXReader.images(bytes, file: f) } }
        // More data than the header announces: inflating stops at the announced size.
        #expect(images(gz(idxImages(10, 2, 2, [UInt8](repeating: 9, count: 4000)))) ==
            "data/x.idx.gz: the decompressed data has more than 40 bytes after the 16-byte header, but its header says 10 images of 2 x 2 pixels (40 bytes)")
        #expect(images(gz(idxImages(10, 2, 2, [UInt8](repeating: 9, count: 39)))) ==
            "data/x.idx.gz: the decompressed data has 39 bytes after the 16-byte header, but its header says 10 images of 2 x 2 pixels (40 bytes)")
        #expect(images(gz([0, 0, 8, 3, 0])) ==
            "data/x.idx.gz: the decompressed data is 5 bytes, too short for an IDX header (16 bytes for images)")
        #expect(images(gz(idxLabels([1]))) ==
            "data/x.idx.gz: magic number 0x00000801 marks an IDX label file, expected 0x00000803 (unsigned bytes, 3 dimensions: images); are images and labels swapped?")
        var corrupt = gzImagesA
        corrupt[corrupt.count - 8] ^= 0xFF
        #expect(images(corrupt) ==
            "data/x.idx.gz: corrupt gzip data: CRC-32 mismatch (the trailer at byte \(gzImagesA.count - 8) says 0x57866980, the data gives 0x5786697f)")
        #expect(images(Array(gzImagesA.prefix(100))) == "data/x.idx.gz: truncated gzip data: the compressed data ends early at byte 100")
        #expect(images([0x1F, 0x8B, 8]) == "data/x.idx.gz: truncated gzip data: the header starting at byte 0 ends early")
    }

    @Test func countMismatchAndMissingFiles() throws {
        let dir = try makeTempDirectory()
        try Data(idxImages(3, 1, 1, [1, 2, 3])).write(to: URL(fileURLWithPath: dir + "/i.idx"))
        try Data(idxLabels([1, 2])).write(to: URL(fileURLWithPath: dir + "/l.idx"))
        #expect(message { try IDXReader.dataset(imagesFile: dir + "/i.idx", labelsFile: dir + "/l.idx") } ==
            "\(dir)/i.idx: has 3 images, but \(dir)/l.idx has 2 labels; expected one label per image")

        // Missing files are config errors at their keys, both reported at once.
        let node = Node.map([("source", Node.map([("idx", Node.map([
            ("images", Node.s("nowhere/images.gz", 3, 13)),
            ("labels", Node.s("nowhere/labels.gz", 4, 13)),
        ], 3, 5))], 2, 3))], 1, 1)
        let config = try #require(decodeData(node).0)
        #expect {
            try loadDataset(config, baseDirectory: dir)
        } throws: { error in
            guard let errors = (error as? ConfigErrors)?.errors, errors.count == 2 else { return false }
            return errors[0].path == "data.source.idx.images" && errors[0].location == Node.at(3, 13)
                && errors[0].message.hasPrefix("cannot read data file \"nowhere/images.gz\": no such file (looked for nowhere/images.gz, ")
                && errors[1].path == "data.source.idx.labels" && errors[1].location == Node.at(4, 13)
                && !errors[1].description.contains("\n")
        }
    }

    @Test func configDecodingErrors() throws {
        let node = Node.map([("source", Node.map([("idx", Node.map([
            ("images", Node.s("", 3, 13)),
            ("lables", Node.s("l.gz", 4, 13)),
        ], 3, 5))], 2, 3))], 1, 1)
        let (_, errors) = decodeData(node)
        let byPath = Dictionary(errors.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["data.source.idx.images"]?.message == "received an empty path, expected an IDX image file")
        #expect(byPath["data.source.idx.labels"]?.message == "missing required key \"labels\"")
        #expect(byPath["data.source.idx.lables"]?.suggestion == "labels")
        #expect(DataConfig.Source.typeNames == ["digits", "csv", "idx"])
    }
}

private extension URL {
    /// Creates the folder this file goes into; returns the URL.
    func creatingFolder() throws -> URL {
        try FileManager.default.createDirectory(at: deletingLastPathComponent(), withIntermediateDirectories: true)
        return self
    }
}
