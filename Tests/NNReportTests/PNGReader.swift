@testable import NNData

/// Just enough of PNG to check a screenshot: 8-bit RGB or RGBA, non-interlaced; the IDAT stream
/// is inflated with NNData's `Inflater` (zlib: a 2-byte header, then raw deflate).
struct PNGImage {
    var width: Int, height: Int
    /// RGB triples, row by row.
    var rgb: [UInt8]

    struct Unsupported: Error, CustomStringConvertible { var description: String }

    init(_ b: [UInt8]) throws {
        guard b.count > 33, Array(b[0..<8]) == [137, 80, 78, 71, 13, 10, 26, 10] else { throw Unsupported(description: "not a PNG") }
        func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        var i = 8, idat: [UInt8] = [], (w, h, depth, type, interlace) = (0, 0, 0, 0, 0)
        while i + 8 <= b.count {
            let length = be32(i), name = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            guard i + 12 + length <= b.count else { throw Unsupported(description: "truncated chunk \(name)") }
            let data = b[(i + 8)..<(i + 8 + length)]
            if name == "IHDR" {
                (w, h, depth, type, interlace) = (be32(i + 8), be32(i + 12), Int(b[i + 16]), Int(b[i + 17]), Int(b[i + 20]))
            } else if name == "IDAT" {
                idat += data
            } else if name == "IEND" { break }
            i += 12 + length
        }
        guard depth == 8, type == 2 || type == 6, interlace == 0, w > 0, h > 0 else {
            throw Unsupported(description: "depth \(depth) colour type \(type) interlace \(interlace)")
        }
        var inflater = Inflater(input: idat, limit: 1 << 28, stopAtLimit: false)
        inflater.start(at: 2, memberStart: 0)
        try inflater.inflate()
        let raw = inflater.output, channels = type == 6 ? 4 : 3, stride = w * channels
        guard raw.count >= h * (stride + 1) else { throw Unsupported(description: "short image data") }
        var pixels = [UInt8](repeating: 0, count: h * stride)
        for y in 0..<h {
            let filter = raw[y * (stride + 1)], row = y * (stride + 1) + 1
            for x in 0..<stride {
                let a = x >= channels ? Int(pixels[y * stride + x - channels]) : 0
                let up = y > 0 ? Int(pixels[(y - 1) * stride + x]) : 0
                let c = x >= channels && y > 0 ? Int(pixels[(y - 1) * stride + x - channels]) : 0
                let predictor: Int
                switch filter {
                case 1: predictor = a
                case 2: predictor = up
                case 3: predictor = (a + up) / 2
                case 4:
                    let p = a + up - c, pa = abs(p - a), pb = abs(p - up), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? up : c)
                default: predictor = 0
                }
                pixels[y * stride + x] = UInt8((Int(raw[row + x]) + predictor) & 0xff)
            }
        }
        width = w
        height = h
        rgb = channels == 3 ? pixels : (0..<(w * h)).flatMap { Array(pixels[($0 * 4)..<($0 * 4 + 3)]) }
    }
}
