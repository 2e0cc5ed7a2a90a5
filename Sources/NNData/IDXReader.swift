import NNConfig

/// Reading data sets in the IDX format of MNIST (Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST
/// database of handwritten digits"), also used by Fashion-MNIST, KMNIST and EMNIST:
///
///     data:
///       source: {idx: {images: data/mnist/train-images-idx3-ubyte.gz, labels: data/mnist/train-labels-idx1-ubyte.gz}}
///
/// An IDX file is a big-endian header, then the values in row-major order. The header is a magic
/// number `00 00 TT DD` (TT the element type, 0x08 for unsigned bytes; DD the number of
/// dimensions), then one unsigned 32-bit size per dimension. nnrun reads the unsigned-byte files:
///
/// - images, magic 0x00000803: sizes count, rows, columns; then count × rows × columns pixels;
/// - labels, magic 0x00000801: size count; then count labels (each 0...255 by its type).
///
/// Each file may be raw or gzip-compressed; gzip is recognised by its magic number `1f 8b`, not by
/// the file name, and decompressed by `Gzip` (checksums verified). Everything is checked before
/// the features are allocated: the magic number, that the header's sizes are at least 1 and
/// describe at most `maxValues` values, that the payload is exactly what the header announces
/// (a gzip file is inflated only up to that size), and that there is one label per image.
/// Errors are `IDXError`s, one line naming the file.
public enum IDXReader {
    /// The most values (pixels, or labels) a file may hold: 2^28, 1 GiB once the pixels are 32-bit
    /// floats. MNIST's training images are 47,040,000.
    public static let maxValues = 1 << 28

    /// The images of an IDX image file: `pixels[((i * rows) + r) * columns + c]`.
    public struct Images: Sendable, Equatable {
        public var count: Int
        public var rows: Int
        public var columns: Int
        public var pixels: [UInt8]
    }

    /// Which of the two files a header should describe.
    enum Kind {
        case images, labels

        var magic: UInt32 { self == .images ? 0x0000_0803 : 0x0000_0801 }
        var dimensions: Int { self == .images ? 3 : 1 }
        var headerSize: Int { 4 + 4 * dimensions }
        var what: String { self == .images ? "images" : "labels" }
        var other: Kind { self == .images ? .labels : .images }
        /// `0x00000803 (unsigned bytes, 3 dimensions: images)`.
        var expected: String {
            "\(hex(magic)) (unsigned bytes, \(dimensions) dimension\(dimensions == 1 ? "" : "s"): \(what))"
        }
    }

    /// Decodes the IDX image file `bytes` (raw or gzip); `file` names it in errors.
    public static func images(_ bytes: [UInt8], file: String) throws -> Images {
        var (sizes, content) = try decode(bytes, file: file, kind: .images)
        content.removeFirst(Kind.images.headerSize)   // in place: no second copy of the pixels
        return Images(count: sizes[0], rows: sizes[1], columns: sizes[2], pixels: content)
    }

    /// Decodes the IDX label file `bytes` (raw or gzip); `file` names it in errors.
    public static func labels(_ bytes: [UInt8], file: String) throws -> [UInt8] {
        var (_, content) = try decode(bytes, file: file, kind: .labels)
        content.removeFirst(Kind.labels.headerSize)
        return content
    }

    /// The data set of an image file and its label file (paths as found, e.g. by
    /// `DataFile.resolve`): features are the pixels as Float in [0, 255], `featureShape` is
    /// `[rows, columns, 1]`, and the classes are the distinct label values in increasing order,
    /// named by their decimal value (`"0"`...`"9"` for MNIST).
    ///
    /// Throws `DataFileError` when a file cannot be read, `IDXError` when one is not a valid IDX
    /// file of its kind or the counts differ.
    public static func dataset(imagesFile: String, labelsFile: String) throws -> Dataset {
        let images = try Self.images(DataFile.read(imagesFile), file: imagesFile)
        let labels = try Self.labels(DataFile.read(labelsFile), file: labelsFile)
        return try dataset(images: images, imagesFile: imagesFile, labels: labels, labelsFile: labelsFile)
    }

    /// The data set of decoded images and labels (see `dataset(imagesFile:labelsFile:)`).
    public static func dataset(images: Images, imagesFile: String, labels: [UInt8], labelsFile: String) throws -> Dataset {
        guard images.count == labels.count else {
            throw IDXError(file: imagesFile, message:
                "has \(images.count) images, but \(labelsFile) has \(labels.count) labels; expected one label per image")
        }
        var present = [Bool](repeating: false, count: 256)
        for l in labels { present[Int(l)] = true }
        let values = (0..<256).filter { present[$0] }
        var classOf = [Int](repeating: 0, count: 256)
        for (c, v) in values.enumerated() { classOf[v] = c }
        let pixels = images.pixels
        let features = [Float](unsafeUninitializedCapacity: pixels.count) { buffer, initialized in
            pixels.withUnsafeBufferPointer { src in
                for i in 0..<src.count { buffer[i] = Float(src[i]) }
            }
            initialized = pixels.count
        }
        return Dataset(features: features, labels: labels.map { classOf[Int($0)] },
                       featureShape: [images.rows, images.columns, 1], labelNames: values.map(String.init))
    }

    // MARK: Decoding

    /// The header's sizes and the whole (decompressed) content, checked against each other.
    static func decode(_ bytes: [UInt8], file: String, kind: Kind) throws -> (sizes: [Int], content: [UInt8]) {
        let gzipped = Gzip.hasMagic(bytes)
        let subject = gzipped ? "the decompressed data" : "the file"
        func fail(_ message: String) -> IDXError { IDXError(file: file, message: message) }
        func gzip<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let error as GzipError { throw fail(error.message) }
        }

        // The header first (for gzip: only as much as needed), so that nothing large is allocated
        // before it has been checked.
        let header = gzipped ? try gzip { try Gzip.prefix(bytes, count: kind.headerSize) } : Array(bytes.prefix(kind.headerSize))
        guard header.count >= 4 else {
            throw fail("\(subject) is \(header.count) bytes, too short for an IDX header (\(kind.headerSize) bytes for \(kind.what))")
        }
        let magic = readBE32(header, 0)
        guard magic == kind.magic else { throw fail(magicProblem(magic, kind: kind)) }
        guard header.count == kind.headerSize else {
            throw fail("\(subject) is \(header.count) bytes, too short for an IDX header (\(kind.headerSize) bytes for \(kind.what))")
        }
        let sizes = (0..<kind.dimensions).map { Int(readBE32(header, 4 + 4 * $0)) }
        let shapeText = kind == .images ? "\(sizes[0]) images of \(sizes[1]) x \(sizes[2]) pixels" : "\(sizes[0]) labels"
        if sizes[0] == 0 { throw fail("the header says 0 \(kind.what); expected at least one") }
        if kind == .images, sizes[1] == 0 || sizes[2] == 0 {
            throw fail("the header says images of \(sizes[1]) x \(sizes[2]) pixels; expected at least 1 x 1")
        }
        // Three 32-bit sizes multiply to at most 96 bits: check with overflow.
        var values = 1
        var overflow = false
        for s in sizes {
            let (p, o) = values.multipliedReportingOverflow(by: s)
            overflow = overflow || o
            values = p
        }
        guard !overflow, values <= maxValues else {
            throw fail("the header says \(shapeText)\(overflow ? "" : " (\(values) values)"), more than the limit of \(maxValues) values")
        }

        let expected = kind.headerSize + values
        let announced = "its header says \(shapeText) (\(values) bytes)"
        let content: [UInt8]
        if gzipped {
            do {
                content = try Gzip.decompress(bytes, limit: expected)
            } catch let error as GzipError where error.kind == .limitExceeded {
                throw fail("\(subject) has more than \(values) bytes after the \(kind.headerSize)-byte header, but \(announced)")
            } catch let error as GzipError {
                throw fail(error.message)
            }
        } else {
            content = bytes
        }
        guard content.count == expected else {
            throw fail("\(subject) has \(content.count - kind.headerSize) bytes after the \(kind.headerSize)-byte header, but \(announced)")
        }
        return (sizes, content)
    }

    /// What is wrong with a magic number that is not `kind.magic`.
    static func magicProblem(_ magic: UInt32, kind: Kind) -> String {
        let expected = "expected \(kind.expected)"
        guard magic >> 16 == 0 else {
            return "not an IDX file: it starts with \(hex(magic)), \(expected)"
        }
        if magic == kind.other.magic {
            return "magic number \(hex(magic)) marks an IDX \(kind == .images ? "label" : "image") file, \(expected); are images and labels swapped?"
        }
        let types: [UInt32: String] = [0x08: "unsigned bytes", 0x09: "signed bytes", 0x0B: "16-bit integers",
                                       0x0C: "32-bit integers", 0x0D: "32-bit floats", 0x0E: "64-bit floats"]
        let type = (magic >> 8) & 0xFF, dimensions = magic & 0xFF
        guard let typeName = types[type] else {
            return "not an IDX file: magic number \(hex(magic)) has no IDX element type (0x\(String(type, radix: 16))), \(expected)"
        }
        return "magic number \(hex(magic)) (\(typeName), \(dimensions) dimension\(dimensions == 1 ? "" : "s")), \(expected)"
    }

    static func readBE32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func hex(_ v: UInt32) -> String { Gzip.hex32(v) }
}

/// A file that is not a valid IDX file of the kind expected, or an image file and a label file
/// that do not match. One line, naming the file:
///
///     data/mnist/train-labels-idx1-ubyte.gz: the decompressed data has 59999 bytes after the 8-byte header, but its header says 60000 labels (60000 bytes)
public struct IDXError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, as found (`DataFile.resolve`).
    public var file: String
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// The `idx` source of `loadDataset`: finds both files (a file that is not there, or cannot be
/// read, is a `ConfigError` at its key, both reported at once), then reads them.
func loadIDXDataset(images: String, labels: String, origin: DataConfig.Origin, baseDirectory: String?) throws -> Dataset {
    var errors: [ConfigError] = []
    var contents: [(file: String, bytes: [UInt8])] = []
    for (path, key, location) in [(images, "images", origin.idxImages), (labels, "labels", origin.idxLabels)] {
        do {
            let file = try DataFile.resolve(path, baseDirectory: baseDirectory)
            contents.append((file, try DataFile.read(file)))
        } catch let error as DataFileError {
            errors.append(origin.error(location ?? origin.source, "source.idx.\(key)",
                                       "cannot read data file \"\(path)\": \(error.reason)"))
        }
    }
    if !errors.isEmpty { throw ConfigErrors(errors) }
    let decodedImages = try IDXReader.images(contents[0].bytes, file: contents[0].file)
    let decodedLabels = try IDXReader.labels(contents[1].bytes, file: contents[1].file)
    return try IDXReader.dataset(images: decodedImages, imagesFile: contents[0].file,
                                 labels: decodedLabels, labelsFile: contents[1].file)
}
