import NNConfig
import Testing

@Suite struct DidYouMeanTests {
    static let layerTypes = ["activation", "dense", "dropout", "flatten", "heaviside", "leaky_relu", "linear", "relu",
                             "sigmoid", "softmax", "tanh"]

    @Test(arguments: [
        ("dropot", "dropout"), ("dens", "dense"), ("flaten", "flatten"), ("sofmax", "softmax"),
        ("rleu", "relu"), ("desne", "dense"), ("dropuot", "dropout"), ("sigmod", "sigmoid"),
    ])
    func typosSuggestTheIntendedWord(_ typo: String, _ intended: String) {
        #expect(didYouMean(typo, among: Self.layerTypes) == intended)
    }

    @Test(arguments: ["conv2d", "xyz", "batch_normalization", "", "lstm"])
    func unrelatedWordsSuggestNothing(_ word: String) {
        #expect(didYouMean(word, among: Self.layerTypes) == nil)
    }

    @Test func longerWordsTolerateMoreEdits() {
        // limit = max(2, min(length) / 3): 24 letters allow 8 edits, short words 2.
        #expect(didYouMean("sparse_categorical_xentropy", among: ["sparse_categorical_crossentropy"]) == "sparse_categorical_crossentropy")
        #expect(didYouMean("categorical_crossentropie", among: ["categorical_crossentropy", "binary_crossentropy"]) == "categorical_crossentropy")
        #expect(didYouMean("abc", among: ["xyz"]) == nil)
    }

    @Test func aTranspositionIsOneEdit() {
        // "tarining" is one swap from "training"; "ephocs" is two edits from "epochs".
        #expect(didYouMean("ephocs", among: ["epochs", "batch_size"]) == "epochs")
        #expect(didYouMean("tarining", among: ["training", "metrics"]) == "training")
    }

    @Test func theClosestCandidateWinsAndTiesKeepOrder() {
        #expect(didYouMean("rel", among: ["relu", "elu"]) == "relu")
        #expect(didYouMean("test", among: ["text", "tent"]) == "text")
        #expect(didYouMean("anything", among: []) == nil)
    }

    @Test func anExactMatchIsNotASuggestion() {
        #expect(didYouMean("dense", among: ["dense", "dropout"]) == nil)
    }

    /// Keras users write `Dense`, `ReLU`, `Adam`: a key that differs only in case should suggest the
    /// spelling nnrun knows.
    @Test func aCaseOnlyDifferenceSuggestsTheKnownSpelling() {
        #expect(didYouMean("Dense", among: Self.layerTypes) == "dense")
        #expect(didYouMean("Loss", among: ["loss", "model"]) == "loss")
    }
}
