import NNConfig

/// The `data:` section of a run recipe: where samples come from, how features are scaled and
/// shaped, which classes are kept, and how rows are split.
///
/// ```yaml
/// data:
///   source: digits                   # or {csv: {path: data/iris.csv, label: species}},
///                                    # or {idx: {images: PATH, labels: PATH}} (MNIST's format); required
///   scale: 0.0625                    # x <- scale * x; default 1, must be > 0
///   standardize: false               # x <- (x - mean_j) / std_j, fitted on the training split; default false
///   shape: [8, 8, 1]                 # per-sample shape, NHWC without N; default [featureCount]
///   classes: [0, 1, 2, 3, 4]         # keep only these labels, re-indexed in this order; default all
///   split: {test: 0.4, validation: 0.2, stratify: true, shuffle: true}   # these are the defaults
///                                    # (and train_per_class: N keeps N training rows per class)
///   augmentation: {shift: 2, rotation: 10, zoom: 0.1, horizontal_flip: false, noise: 0.05}  # default: none
///   target: labels                   # or inputs: the target is the sample itself (autoencoders); default labels
/// ```
///
/// Decoding fills every default and records all problems in the reader's `Diagnostics`;
/// `encode()` writes the fully resolved mapping, which decodes back to an equal value.
public struct DataConfig: Sendable, Equatable {
    /// Where samples come from (a tagged value: the scalar `digits`, `{csv: {...}}` or `{idx: {...}}`).
    public enum Source: Sendable, Equatable {
        /// The embedded digits set (`Dataset.digits()`): 1797 samples of 64 pixels 0...16.
        case digits
        /// A CSV file with a header row. `label` names the label column (default `label`); every
        /// other column is a feature. A relative `path` is looked up in the current directory,
        /// then in the configuration's folder.
        case csv(path: String, label: String)
        /// A pair of files in MNIST's IDX format (`IDXReader`), raw or gzip-compressed: unsigned-byte
        /// images (count x rows x columns) and their labels. Features are the pixels 0...255 with the
        /// shape `[rows, columns, 1]`; classes are the distinct label values. Relative paths are
        /// looked up as a CSV `path` is.
        case idx(images: String, labels: String)

        /// The source type names, as written in YAML.
        public static let typeNames = ["digits", "csv", "idx"]
    }

    /// What a model learns to output: the class `labels` (classification), or the `inputs`
    /// themselves (an autoencoder: the target of a sample is its scaled features, flattened to the
    /// output's width, taken before augmentation, so noise makes it a denoising autoencoder).
    public enum Target: String, Sendable, CaseIterable {
        case labels, inputs
    }

    /// The nested train / validation / test split (`Splitter` does the work).
    public struct Split: Sendable, Equatable {
        /// Fraction of all rows that go to test: `n_test = ceil(test * n)`. In (0, 1); default 0.4.
        public var test: Double
        /// Fraction of the remaining rows that go to validation: `n_val = ceil(validation * (n - n_test))`.
        /// In (0, 1); default 0.2.
        public var validation: Double
        /// Split each class in the same proportion; default true.
        public var stratify: Bool
        /// Shuffle rows (seeded) before splitting; without it the last rows go to test. Default true.
        public var shuffle: Bool
        /// Keep only this many training rows of each class (the first ones dealt; the rest are
        /// used nowhere), e.g. to fine-tune from a few examples; default nil: all.
        public var trainPerClass: Int?

        public init(test: Double = 0.4, validation: Double = 0.2, stratify: Bool = true, shuffle: Bool = true, trainPerClass: Int? = nil) {
            self.test = test
            self.validation = validation
            self.stratify = stratify
            self.shuffle = shuffle
            self.trainPerClass = trainPerClass
        }
    }

    public var source: Source
    /// Features are multiplied by this before anything else. Default 1.
    public var scale: Double
    /// Standardize each feature with the training split's mean and (population) standard deviation.
    public var standardize: Bool
    /// Per-sample shape; nil means `[featureCount]`.
    public var shape: [Int]?
    /// Label names to keep, in the order that defines the new class indices; nil keeps all classes.
    public var classes: [String]?
    public var split: Split
    /// Random transformations of the training batches (`Augmentation`, `Augmenter`); none by default.
    /// Needs image samples: `shape` of three axes, or an `idx` source.
    public var augmentation: Augmentation = Augmentation()
    /// The training target; `labels` by default.
    public var target: Target = .labels
    /// Where each key was written, for errors found when the data is loaded. Never affects `==`.
    public var origin: Origin

    public init(source: Source = .digits, scale: Double = 1, standardize: Bool = false,
                shape: [Int]? = nil, classes: [String]? = nil, split: Split = Split()) {
        self.source = source
        self.scale = scale
        self.standardize = standardize
        self.shape = shape
        self.classes = classes
        self.split = split
        self.origin = Origin()
    }

    /// Decodes the `data:` mapping read by `reader`, filling defaults, reporting every problem to
    /// `reader.diagnostics` (unknown keys included, via `finish()`); check `throwIfAny()` after.
    public init(from reader: MappingReader) {
        self.init()
        let diagnostics = reader.diagnostics
        origin.keyPath = reader.path
        origin.data = reader.node.location

        if let node = reader.value("source") {
            origin.source = node.location
            if let tagged = Tagged(node, path: reader.childPath("source"), known: Source.typeNames,
                                   what: "data source", diagnostics: diagnostics),
               let body = MappingReader(tagged.body, path: tagged.path, diagnostics: diagnostics) {
                if tagged.type == "csv" {
                    let path = body.string("path")
                    origin.csvPath = body.node["path"]?.location
                    if body.has("path"), path.isEmpty { body.report("path", "received an empty path, expected a CSV file") }
                    let label = body.string("label", default: "label")
                    if body.value("label") != nil { origin.label = body.node["label"]?.location }
                    source = .csv(path: path, label: label)
                } else if tagged.type == "idx" {
                    let images = body.string("images"), labels = body.string("labels")
                    origin.idxImages = body.node["images"]?.location
                    origin.idxLabels = body.node["labels"]?.location
                    if body.has("images"), images.isEmpty { body.report("images", "received an empty path, expected an IDX image file") }
                    if body.has("labels"), labels.isEmpty { body.report("labels", "received an empty path, expected an IDX label file") }
                    source = .idx(images: images, labels: labels)
                }
                body.finish()
            }
        } else {
            diagnostics.report(reader.node, reader.childPath("source"),
                               "missing required key \"source\"; expected digits, {csv: {path: ..., label: ...}} or {idx: {images: ..., labels: ...}}")
        }

        scale = reader.double("scale", default: 1, in: 0...Double.greatestFiniteMagnitude, exclusiveMin: true)
        standardize = reader.bool("standardize", default: false)

        if let node = reader.value("shape") {
            origin.shape = node.location
            let dims = reader.intList("shape", in: 1...Int.max)
            if node.items?.isEmpty == true { reader.report("shape", "received an empty list, expected at least one dimension") }
            if node.items?.count == dims.count, !dims.isEmpty { shape = dims }
        }

        if let items = reader.list("classes") {
            origin.classes = reader.node["classes"]?.location
            var names: [String] = [], positions: [Int] = []
            for (i, item) in items.enumerated() {
                let path = "\(reader.childPath("classes"))[\(i)]"
                guard let text = item.scalarText, !text.isEmpty else {
                    diagnostics.report(item, path, "received \(item.brief), expected a label name such as 0 or setosa")
                    continue
                }
                if let first = names.firstIndex(where: { LabelEncoding.matches(text, $0) }) {
                    diagnostics.report(item, path, "class \(item.brief) is listed twice (also at [\(positions[first])])")
                    continue
                }
                names.append(text)
                positions.append(i)
                origin.classEntries.append(item.location)
            }
            if items.isEmpty { reader.report("classes", "received an empty list, expected at least one label name") }
            if !names.isEmpty { classes = names }
        }

        if let splitReader = reader.mapping("split") {
            origin.split = splitReader.node.location
            split.test = Self.fraction(splitReader, "test", default: 0.4)
            split.validation = Self.fraction(splitReader, "validation", default: 0.2)
            split.stratify = splitReader.bool("stratify", default: true)
            split.shuffle = splitReader.bool("shuffle", default: true)
            split.trainPerClass = splitReader.optionalInt("train_per_class", in: 1...Int(Int32.max))
            origin.test = splitReader.node["test"]?.location
            origin.validation = splitReader.node["validation"]?.location
            splitReader.finish()
        }

        if let augmentationReader = reader.mapping("augmentation") {
            augmentation = Augmentation(augmentationReader)
            let imageShape = shape.map { $0.count == 3 } ?? { if case .idx = source { return true } else { return false } }()
            if !augmentation.isIdentity && !imageShape {
                let received = shape.map { "samples of shape [\($0.map(String.init).joined(separator: ", "))]" } ?? "flat samples (no data.shape)"
                reader.report("augmentation", "received augmentation for \(received); augmentation needs image samples "
                              + "[height, width, channels]: set data.shape, e.g. shape: [8, 8, 1] for the digits")
            }
        }
        target = Target(rawValue: reader.choice("target", Target.allCases.map(\.rawValue), default: Target.labels.rawValue)) ?? .labels
        origin.target = reader.node["target"]?.location
        reader.finish()
    }

    /// Decodes `node` (the value of `data:`) at `path`; nil, after reporting, when it is not a mapping.
    public static func decode(_ node: ConfigNode, path: String = "data", diagnostics: Diagnostics) -> DataConfig? {
        guard let reader = MappingReader(node, path: path, diagnostics: diagnostics) else { return nil }
        return DataConfig(from: reader)
    }

    /// A number strictly between 0 and 1.
    private static func fraction(_ reader: MappingReader, _ key: String, default def: Double) -> Double {
        let v = reader.double(key, default: def)
        guard v > 0, v < 1 else {
            reader.report(key, "received \(ConfigNode.formatNumber(v)), expected a fraction strictly between 0 and 1")
            return def
        }
        return v
    }

    /// The fully resolved mapping, keys in a fixed order (`source, scale, standardize, shape,
    /// classes, split{test, validation, stratify, shuffle}, augmentation{...}, target`), every default
    /// written out (so `--set data.augmentation.shift=2` finds the key); `shape` and `classes` are
    /// `null` when they come from the data (see `resolved(for:)`).
    public func encode() -> ConfigNode {
        let sourceNode: ConfigNode
        switch source {
        case .digits:
            sourceNode = ConfigNode(.scalar(text: "digits", quoted: false))
        case .csv(let path, let label):
            sourceNode = .map([("csv", .map([("path", .string(path)), ("label", .string(label))]))])
        case .idx(let images, let labels):
            sourceNode = .map([("idx", .map([("images", .string(images)), ("labels", .string(labels))]))])
        }
        return .map([
            ("source", sourceNode),
            ("scale", .double(scale)),
            ("standardize", .bool(standardize)),
            ("shape", shape.map { .ints($0) } ?? .null),
            ("classes", classes.map { .strings($0) } ?? .null),
            ("split", .map([
                ("test", .double(split.test)),
                ("validation", .double(split.validation)),
                ("stratify", .bool(split.stratify)),
                ("shuffle", .bool(split.shuffle)),
                ("train_per_class", split.trainPerClass.map { .int($0) } ?? .null),
            ])),
            ("augmentation", augmentation.encode()),
            ("target", .string(target.rawValue)),
        ])
    }

    /// This configuration with `shape` and `classes` taken from the loaded data (`featureShape`
    /// and `labelNames` after filtering), so that `encode()` records what the run really used.
    /// Loading the resolved configuration again gives the same data.
    public func resolved(for dataset: Dataset) -> DataConfig {
        var c = self
        c.shape = dataset.featureShape
        c.classes = dataset.labelNames
        return c
    }
}


extension DataConfig {
    /// Source positions of the keys of a decoded `data:` mapping, so that problems found only when
    /// the data is loaded (a shape that does not fit, a class that is not in the file, a split
    /// that leaves a class without training rows) still point at the YAML line that caused them.
    ///
    /// Every `Origin` equals every other: where a value was written never makes two
    /// configurations different.
    public struct Origin: Sendable, Equatable {
        /// Key path of the `data:` mapping itself (`data`).
        public var keyPath = "data"
        public var data: SourceLocation?
        public var source: SourceLocation?
        public var csvPath: SourceLocation?
        /// nil when `label:` was not written (the default `label` is used).
        public var label: SourceLocation?
        /// The `images:` and `labels:` paths of an `idx` source.
        public var idxImages: SourceLocation?
        public var idxLabels: SourceLocation?
        public var shape: SourceLocation?
        public var classes: SourceLocation?
        /// One per kept entry of `classes`, in order.
        public var classEntries: [SourceLocation?] = []
        public var split: SourceLocation?
        public var test: SourceLocation?
        public var validation: SourceLocation?
        public var target: SourceLocation?

        public init() {}

        public static func == (_: Origin, _: Origin) -> Bool { true }

        /// The dotted key path of `key` below `data` (`data.split.test`).
        public func path(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }

        /// A `ConfigError` at `location`, or at the `data:` mapping when the key was not written.
        public func error(_ location: SourceLocation?, _ key: String, _ message: String,
                          suggestion: String? = nil) -> ConfigError {
            ConfigError(location: location ?? data, path: path(key), message: message, suggestion: suggestion)
        }
    }
}
