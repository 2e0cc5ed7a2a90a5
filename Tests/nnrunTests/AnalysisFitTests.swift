import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `nnrun fit` of the unsupervised recipes (configs/pca-digits.yaml, kmeans-digits.yaml, a small
/// t-SNE), their run folders, and their one-line errors.
@Suite struct AnalysisFitTests {
    func metrics(_ name: String, in dir: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(CLI.read("\(name)/metrics.json", in: dir).utf8)) as? [String: Any] ?? [:]
    }

    @Test func pcaWritesItsRunFolderAndIsReproducible() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["fit", "configs/pca-digits.yaml", "--output", "runs/a"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.outputLines.contains("Explained variance ratio: 0.1489, 0.1362 (sum 0.2851 over 2 components)"), "\(result)")
        #expect(CLI.listing(dir.appendingPathComponent("runs/a")) == ["embedding.csv", "embedding.svg", "metrics.json", "model.json"])
        let ratios = try metrics("runs/a", in: dir)["explained_variance_ratio"] as? [Double] ?? []
        #expect(ratios.count == 2 && abs(ratios[0] - 0.1489) < 1e-3 && abs(ratios[1] - 0.1362) < 1e-3)
        let csv = try CLI.read("runs/a/embedding.csv", in: dir).split(separator: "\n")
        #expect(csv.count == 1798 && csv[0] == "pc1,pc2,label" && csv[1].hasSuffix(",0"))
        let svg = try CLI.read("runs/a/embedding.svg", in: dir)
        #expect(XMLParser(data: Data(svg.utf8)).parse())
        #expect(svg.components(separatedBy: "<circle").count - 1 == 1797 + 10)   // dots + legend
        // The same recipe and seed give the same bytes.
        #expect(try CLI.run(["fit", "configs/pca-digits.yaml", "--output", "runs/b"], in: dir).status == 0)
        #expect(try CLI.read("runs/a/embedding.csv", in: dir) == CLI.read("runs/b/embedding.csv", in: dir))
        let model = try CLI.read("runs/a/model.json", in: dir)
        #expect(model.contains("\"solver\": \"auto\"") && !model.contains("\"split\""))
    }

    @Test func kmeansMatchesScikitLearnsAdjustedRandIndex() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["fit", "configs/kmeans-digits.yaml"], in: dir)
        #expect(result.status == 0, "\(result)")
        let m = try metrics("runs/kmeans-digits", in: dir)
        let ari = m["adjusted_rand_index"] as? Double ?? 0
        #expect(abs(ari - 0.6657) < 0.03, "ARI \(ari); scikit-learn 0.6657")
        let csv = try CLI.read("runs/kmeans-digits/clusters.csv", in: dir).split(separator: "\n")
        #expect(csv.count == 1798 && csv[0] == "row,cluster,label")
    }

    @Test func tsneOnIrisIsTrustworthy() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try CLI.write("""
            name: tsne-iris
            seed: 0
            data: {source: {csv: {path: data/iris.csv, label: species}}, standardize: true}
            method:
              tsne: {perplexity: 20, max_iter: 400}
            """, to: "configs/tsne-iris.yaml", in: dir)
        let result = try CLI.run(["fit", "configs/tsne-iris.yaml"], in: dir)
        #expect(result.status == 0, "\(result)")
        let m = try metrics("runs/tsne-iris", in: dir)
        #expect(m["method_used"] as? String == "exact")
        #expect((m["trustworthiness"] as? Double ?? 0) > 0.95, "\(m)")
        let svg = try CLI.read("runs/tsne-iris/embedding.svg", in: dir)
        #expect(svg.contains("setosa (50)") && XMLParser(data: Data(svg.utf8)).parse())
        // Barnes-Hut: the same bytes on one thread and on two.
        for threads in ["1", "2"] {
            let r = try CLI.run(["fit", "configs/tsne-iris.yaml", "--set", "method.tsne.method=barnes_hut", "--output", "runs/bh\(threads)"],
                                in: dir, environment: ["NNRUN_THREADS": threads])
            #expect(r.status == 0, "\(r)")
        }
        #expect(try CLI.read("runs/bh1/embedding.csv", in: dir) == CLI.read("runs/bh2/embedding.csv", in: dir))
        #expect(try metrics("runs/bh1", in: dir)["method_used"] as? String == "barnes_hut")
    }

    static let iris = "name: bad\ndata:\n  source: {csv: {path: data/iris.csv, label: species}}\nmethod:\n"

    @Test(arguments: [
        ("name: bad\ndata: {source: digits}\nmethod:\n  tnse: {perplexity: 5}\n",
         [#"configs/bad.yaml:4:3: method: unknown method "tnse"; expected one of: pca, kmeans, tsne (did you mean "tsne"?)"#]),
        ("name: bad\ndata: {source: digits}\nmethod:\n  kmeans: {n_cluster: 5, n_init: 0}\n",
         [#"configs/bad.yaml:4:12: method.kmeans.n_cluster: unknown key "n_cluster"; expected one of: max_iter, n_clusters, n_init, tol (did you mean "n_clusters"?)"#,
          "configs/bad.yaml:4:34: method.kmeans.n_init: received 0, expected a whole number from 1 to 1000", "2 errors"]),
        (iris + "  kmeans: {n_clusters: 151}\n",
         ["configs/bad.yaml:5:24: method.kmeans.n_clusters: received 151, but the data has only 150 rows; n_clusters must be at most the number of rows"]),
        (iris + "  tsne: {perplexity: 150}\n",
         ["configs/bad.yaml:5:22: method.tsne.perplexity: received 150, but the data has 150 rows; perplexity must be below the number of rows (scikit-learn's rule; 5 to 50 is usual)"]),
        ("name: bad\ndata: {source: digits}\nmethod: {pca: {n_components: 1.5}}\nmodle: x\n",
         ["configs/bad.yaml:3:30: method.pca.n_components: received 1.5, expected a count >= 1 or a fraction of variance strictly between 0 and 1",
          #"configs/bad.yaml:4:1: modle: unknown key "modle"; expected one of: data, method, name, output, seed"#, "2 errors"]),
        (iris + "  tsne: {learning_rate: fast, init: pcaa}\n",
         ["configs/bad.yaml:5:25: method.tsne.learning_rate: received fast, expected auto or a number > 0",
          #"configs/bad.yaml:5:37: method.tsne.init: received pcaa, expected one of: pca, random (did you mean "pca"?)"#, "2 errors"]),
    ])
    func badRecipesGiveOneLineErrors(_ text: String, _ expected: [String]) throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        try CLI.write(text, to: "configs/bad.yaml", in: dir)
        let before = CLI.listing(dir)
        let result = try CLI.run(["fit", "configs/bad.yaml"], in: dir)
        expectLines(result, expected, status: 2)
        #expect(CLI.listing(dir) == before, "a failed fit left files behind")
        // check finds the same problems, data-dependent ones included, without running the method.
        let check = try CLI.run(["check", "configs/bad.yaml"], in: dir)
        #expect(check.status == 2 && check.stderr == result.stderr, "\(check)")
    }
}
