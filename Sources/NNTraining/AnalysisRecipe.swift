import NNAnalysis
import NNConfig
import NNData
import NNModel

/// A recipe for an unsupervised method, run by `nnrun fit` like a training recipe. It has a
/// `method:` and no `model:`:
///
///     name: tsne-digits
///     seed: 0
///     data: {source: digits, scale: 0.0625}          # all rows, unless a split: is written
///     method:
///       tsne: {perplexity: 30, early_exaggeration: 12, learning_rate: auto, max_iter: 1000,
///              init: pca, theta: 0.5, method: auto, n_components: 2}
///     output: runs/tsne-digits                        # default runs/<name>
///
/// Methods and their options (defaults are scikit-learn's):
/// - `pca`: `n_components` 2 (a count, or a fraction of variance in (0, 1)), `whiten` false,
///   `solver` auto | full | randomized.
/// - `kmeans`: `n_clusters` 8, `n_init` 10, `max_iter` 300, `tol` 1e-4.
/// - `tsne`: as above; `learning_rate` is `auto` (max(n / early_exaggeration / 4, 50)) or a number.
///
/// Without `data.split` the method sees every row; with one it sees only the training split (the
/// rows a model would be trained on), so that a later model can be checked on rows it never saw.
public struct AnalysisRecipe {
    public enum Method {
        case pca(PCA.Options)
        case kmeans(KMeans.Options)
        case tsne(TSNE.Options)

        public static let names = ["pca", "kmeans", "tsne"]

        public var name: String {
            switch self {
            case .pca: return "pca"
            case .kmeans: return "kmeans"
            case .tsne: return "tsne"
            }
        }
    }

    public var name: String
    public var seed: Int
    public var data: DataConfig
    public var method: Method
    public var output: String?
    /// The file the recipe came from.
    public var file: String
    /// Where each method option was written (`method.tsne.perplexity` → line:column), so that
    /// problems only the data reveals (perplexity ≥ rows) point at the right place.
    var locations: [String: SourceLocation] = [:]
    var methodLocation: SourceLocation?

    /// True when the recipe wrote `data.split` (then only the training split is used).
    public var usesSplit: Bool { data.origin.split != nil }

    public var outputFolder: String { output ?? "runs/\(name)" }

    public static let keys = ["name", "seed", "data", "method", "output"]

    /// True when `tree` is an analysis recipe: it has `method:` and no `model:`.
    public static func describes(_ tree: ConfigNode) -> Bool { tree["method"] != nil && tree["model"] == nil }

    /// Loads `path` with `--set` overrides applied to the resolved recipe (as `Recipe.load`).
    public static func load(path: String, overrides: [String] = []) throws -> AnalysisRecipe {
        try decode(try YAMLLoader.load(path: path), file: path, overrides: overrides)
    }

    /// Decodes a recipe from text (tests, benchmarks).
    public static func parse(_ text: String, file: String, overrides: [String] = []) throws -> AnalysisRecipe {
        try decode(try YAMLLoader.parse(text, file: file), file: file, overrides: overrides)
    }

    static func decode(_ tree: ConfigNode, file: String, overrides: [String]) throws -> AnalysisRecipe {
        let recipe = try decode(tree, file: file)
        guard !overrides.isEmpty else { return recipe }
        let overridden = try Overrides.apply(overrides, to: recipe.resolved.borrowingLocations(from: tree))
        return try decode(overridden, file: file)
    }

    static func decode(_ tree: ConfigNode, file: String) throws -> AnalysisRecipe {
        let diagnostics = Diagnostics()
        guard let r = MappingReader(tree, path: "", diagnostics: diagnostics) else {
            try diagnostics.throwIfAny()
            throw ConfigErrors([ConfigError(location: tree.location, path: "", message: "expected a recipe mapping")])
        }
        let name = r.string("name")
        if r.has("name"), !RunConfig.isValidName(name) {
            r.report("name", "received \"\(name)\", expected a run name of letters, digits, '-', '_' and '.'")
        }
        let seed = r.int("seed", default: 42, in: 0...Int(Int32.max))
        let data = r.mapping("data").map { DataConfig(from: $0) } ?? DataConfig()
        var recipe = AnalysisRecipe(name: name, seed: seed, data: data, method: .pca(PCA.Options()), output: nil, file: file)
        if let node = r.value("method") {
            recipe.methodLocation = node.location
            if let tagged = Tagged(node, path: "method", known: Method.names, what: "method", diagnostics: diagnostics),
               let body = MappingReader(tagged.body, path: tagged.path, diagnostics: diagnostics) {
                recipe.method = decodeMethod(tagged.type, body)
                for entry in body.node.entries ?? [] { recipe.locations[body.childPath(entry.key)] = entry.value.location }
                body.finish()
            }
        } else {
            r.report("method", "missing required key \"method\"; expected one of: \(Method.names.joined(separator: ", "))")
        }
        if r.value("output") != nil { recipe.output = r.string("output") }
        r.finish()
        try diagnostics.throwIfAny()
        return recipe
    }

    static func decodeMethod(_ type: String, _ r: MappingReader) -> Method {
        switch type {
        case "kmeans":
            var o = KMeans.Options(clusters: r.int("n_clusters", default: 8, in: 1...1_000_000))
            o.nInit = r.int("n_init", default: 10, in: 1...1000)
            o.maxIter = r.int("max_iter", default: 300, in: 1...1_000_000)
            o.tol = r.double("tol", default: 1e-4, in: 0...Double.greatestFiniteMagnitude)
            return .kmeans(o)
        case "tsne":
            var o = TSNE.Options()
            o.components = r.int("n_components", default: 2, in: 1...3)
            o.perplexity = r.double("perplexity", default: 30, in: 0...Double.greatestFiniteMagnitude, exclusiveMin: true)
            o.earlyExaggeration = r.double("early_exaggeration", default: 12, in: 1...Double.greatestFiniteMagnitude)
            if let v = r.node["learning_rate"], v.scalarText == "auto" {
                r.allow("learning_rate")
            } else if let v = r.node["learning_rate"], ConfigScalar.double(v) == nil {
                r.allow("learning_rate")
                r.report("learning_rate", "received \(v.brief), expected auto or a number > 0")
            } else {
                o.learningRate = r.optionalDouble("learning_rate", exclusiveMin: 0)
            }
            o.maxIter = r.int("max_iter", default: 1000, in: 250...1_000_000)
            o.initialization = TSNE.Initialization(rawValue: r.choice("init", TSNE.Initialization.allCases.map(\.rawValue), default: "pca")) ?? .pca
            o.theta = r.double("theta", default: 0.5, in: 0...1)
            o.method = TSNE.Method(rawValue: r.choice("method", TSNE.Method.allCases.map(\.rawValue), default: "auto")) ?? .auto
            return .tsne(o)
        default:
            var o = PCA.Options()
            if let v = r.value("n_components") {
                if let count = ConfigScalar.int(v), count >= 1 {
                    o.components = .count(count)
                } else if let f = ConfigScalar.double(v), f > 0, f < 1, ConfigScalar.int(v) == nil {
                    o.components = .fraction(f)
                } else {
                    r.report("n_components", "received \(v.brief), expected a count >= 1 or a fraction of variance strictly between 0 and 1")
                }
            }
            o.whiten = r.bool("whiten", default: false)
            o.solver = PCA.Solver(rawValue: r.choice("solver", PCA.Solver.allCases.map(\.rawValue), default: "auto")) ?? .auto
            return .pca(o)
        }
    }

    /// The resolved recipe (every default filled in), as written to model.json.
    public var resolved: ConfigNode {
        let body: ConfigNode
        switch method {
        case .pca(let o):
            let components: ConfigNode
            switch o.components {
            case .count(let k): components = .int(k)
            case .fraction(let f): components = .double(f)
            }
            body = .map([("n_components", components), ("whiten", .bool(o.whiten)), ("solver", .string(o.solver.rawValue))])
        case .kmeans(let o):
            body = .map([("n_clusters", .int(o.clusters)), ("n_init", .int(o.nInit)), ("max_iter", .int(o.maxIter)), ("tol", .double(o.tol))])
        case .tsne(let o):
            body = .map([("n_components", .int(o.components)), ("perplexity", .double(o.perplexity)),
                         ("early_exaggeration", .double(o.earlyExaggeration)),
                         ("learning_rate", o.learningRate.map { .double($0) } ?? .string("auto")),
                         ("max_iter", .int(o.maxIter)), ("init", .string(o.initialization.rawValue)),
                         ("theta", .double(o.theta)), ("method", .string(o.method.rawValue))])
        }
        var dataNode = data.encode()
        if !usesSplit, let entries = dataNode.entries {
            dataNode = .map(entries.filter { $0.key != "split" }.map { ($0.key, $0.value) })
        }
        return .map([("name", .string(name)), ("seed", .int(seed)), ("data", dataNode),
                     ("method", .map([(method.name, body)])), ("output", output.map { .string($0) } ?? .null)])
    }

    /// A config error for an option the data rejected (`AnalysisError.option`), at that option's
    /// line when it was written, else at `method:`.
    func error(for option: String, _ message: String) -> ConfigError {
        let path = "method.\(method.name).\(option)"
        return ConfigError(location: locations[path] ?? methodLocation, path: path, message: message)
    }
}

extension MappingReader {
    /// A number > `exclusiveMin`, or nil when the key is absent.
    func optionalDouble(_ key: String, exclusiveMin: Double) -> Double? {
        guard has(key), value(key) != nil else { allow(key); return nil }
        return double(key, in: exclusiveMin...Double.greatestFiniteMagnitude, exclusiveMin: true)
    }
}
