import Foundation
import Testing

/// Golden output of the commands that print text: summary, check, help.
@Suite struct OutputTests {
    @Test func summaryOfTheShippedMLP() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["summary", "configs/mlp.yaml"], in: dir)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(result.stdout == """
            Model: "digits-mlp"
            ┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┓
            ┃ Layer (type)    ┃ Output Shape ┃ Param # ┃ Trainable ┃
            ┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━┩
            │ dense (Dense)   │ (None, 128)  │   8,320 │ Y         │
            ├─────────────────┼──────────────┼─────────┼───────────┤
            │ dense_1 (Dense) │ (None, 64)   │   8,256 │ Y         │
            ├─────────────────┼──────────────┼─────────┼───────────┤
            │ dense_2 (Dense) │ (None, 10)   │     650 │ Y         │
            └─────────────────┴──────────────┴─────────┴───────────┘
             Total params: 17,226 (67.29 KB)
             Trainable params: 17,226 (67.29 KB)
             Non-trainable params: 0 (0.00 B)
             Activation memory: 808.00 B per sample (layer outputs, forward pass)

            """)
    }

    @Test func summaryFollowsOverrides() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["summary", "configs/mlp.yaml", "--set", "model.layers[0].dense.units=32", "--set", "name=small"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.outputLines.first == #"Model: "small""#)
        #expect(result.stdout.contains("│ dense (Dense)   │ (None, 32)   │   2,080 │ Y         │"))
        #expect(result.stdout.contains(" Total params: 4,842 (18.91 KB)\n"))
    }

    @Test func checkOfTheShippedMLP() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["check", "configs/mlp.yaml"], in: dir)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(result.stdout == """
            configs/mlp.yaml: OK
              input (None, 64) -> dense (None, 128) -> dense_1 (None, 64) -> dense_2 (None, 10)
              data: 1797 samples of (None, 64), 10 classes: fits the model
              17,226 parameters (17,226 trainable), loss categorical_crossentropy, optimizer adam, output runs/digits-mlp

            """)
        #expect(CLI.listing(dir) == CLI.baseListing(), "check must not write anything")
    }

    @Test func checkReportsOverridesAndOutput() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["check", "configs/mlp.yaml", "--set", "optimizer=sgd", "--seed", "3"], in: dir)
        #expect(result.status == 0, "\(result)")
        #expect(result.outputLines.last == "  17,226 parameters (17,226 trainable), loss categorical_crossentropy, optimizer sgd, output runs/digits-mlp")
    }

    // MARK: Help

    @Test func fitHelpSnapshot() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["fit", "--help"], in: dir)
        #expect(result.status == 0)
        #expect(result.stdout == """
            OVERVIEW: Train the model of a recipe, evaluate it on the test split and write
            the run folder.

            USAGE: nnrun fit <config> [--set <key.path=value> ...] [--seed <seed>] [--output <output>] [--overwrite] [--resume] [--progress <progress>]

            ARGUMENTS:
              <config>                The run recipe, e.g. configs/mlp.yaml (check, summary
                                      and time also take a model file, e.g.
                                      models/vgg16.yaml).

            OPTIONS:
              --set <key.path=value>  Override a key of the recipe, e.g. --set
                                      training.epochs=5 (repeatable).
              --seed <seed>           The seed for the split, the initial weights, the
                                      shuffles and dropout (same as --set seed=N).
              --output <output>       The run folder (default: the recipe's output,
                                      runs/<name>).
              --overwrite             Replace the run folder if it already holds a run.
              --resume                Continue the interrupted run in the run folder from
                                      its last checkpoint.
              --progress <progress>   Progress display: bar (a terminal), epoch (one line
                                      per epoch) or none. Default: bar on a terminal, else
                                      epoch. (values: bar, epoch, none)
              --version               Show the version.
              -h, --help              Show help information.


            """)
    }

    static let recipeOptions = [
        "<config> The run recipe, e.g. configs/mlp.yaml (check, summary and time also take a model file, e.g. models/vgg16.yaml).",
        "--set <key.path=value> Override a key of the recipe, e.g. --set training.epochs=5 (repeatable).",
        "--seed <seed> The seed for the split, the initial weights, the shuffles and dropout (same as --set seed=N).",
        "-h, --help Show help information.",
    ]

    @Test(arguments: [
        (["--help"], [
            "OVERVIEW: Train and inspect neural networks described in YAML.",
            "Exit status: 0 on success, 2 for a configuration or command-line error, 1 for any other failure.",
            "USAGE: nnrun <subcommand>",
            "--version Show the version.",
            "fit Train the model of a recipe, evaluate it on the test split and write the run folder.",
            "finetune Transfer learning: start from a trained run's weights, freeze its first layers, train a new head on new data.",
            "evaluate Evaluate a trained run: loss, accuracy, per-class precision and recall, confusion matrix.",
            "predict Predict the class of every row of a CSV file with a trained run; writes labels and class probabilities as CSV.",
            "check Validate a recipe without training: decode it, infer every shape and count the parameters.",
            "summary Print the model of a recipe as Keras' summary table, with parameter and memory counts.",
            "time Time each layer's forward and backward pass on a random batch (as Caffe's `caffe time`).",
            "bench Time a built-in benchmark job and print one JSON line",
            "embed The feature space of a trained run:",
        ]),
        (["fit", "--help"], recipeOptions + [
            "USAGE: nnrun fit <config> [--set <key.path=value> ...] [--seed <seed>] [--output <output>] [--overwrite] [--resume] [--progress <progress>]",
            "--resume Continue the interrupted run in the run folder from its last checkpoint.",
            "--output <output> The run folder (default: the recipe's output, runs/<name>).",
            "--overwrite Replace the run folder if it already holds a run.",
            "--progress <progress> Progress display: bar (a terminal), epoch (one line per epoch) or none. Default: bar on a terminal, else epoch. (values: bar, epoch, none)",
        ]),
        (["finetune", "--help"], recipeOptions + [
            "USAGE: nnrun finetune <config> [--set <key.path=value> ...] [--seed <seed>] [--output <output>] [--overwrite] [--resume] [--progress <progress>] [--from <run>] [--freeze <n>] [--strict]",
            "--from <run> The trained run to start from (overrides finetune.from).",
            "--freeze <n> Freeze the first N layers (overrides finetune.freeze).",
            "--strict Fail unless every layer kept from the base loads its weights (overrides finetune.strict).",
        ]),
        (["evaluate", "--help"], [
            "USAGE: nnrun evaluate <folder> [--data <data>]",
            "--data <data> Evaluate on other data: digits, or a CSV file with the run's label column (default: the run's saved test split).",
        ]),
        (["predict", "--help"], [
            "USAGE: nnrun predict <folder> <input> [--output <output>]",
            "--output <output> Write the predictions to this file (default: standard output).",
        ]),
        (["check", "--help"], recipeOptions + [
            "OVERVIEW: Validate a recipe without training: decode it, infer every shape and count the parameters.",
            "USAGE: nnrun check <config> [--set <key.path=value> ...] [--seed <seed>]",
        ]),
        (["summary", "--help"], recipeOptions + [
            "OVERVIEW: Print the model of a recipe as Keras' summary table, with parameter and memory counts.",
            "USAGE: nnrun summary <config> [--set <key.path=value> ...] [--seed <seed>]",
        ]),
        (["bench", "--help"], [
            "USAGE: nnrun bench <job> [--epochs <epochs>] [--model <model>]",
            "<job> The job: mlp, cnn, mnist, resnet50, pca, kmeans, tsne. (values: mlp, cnn, mnist, resnet50, pca, kmeans, tsne)",
            "--epochs <epochs> Epochs to train (default: the job's).",
            "mlp: digits MLP 64-128-64-10, Adam 1e-3, batch 32, 100 epochs",
        ]),
        (["embed", "--help"], [
            "OVERVIEW: The feature space of a trained run: one layer's activations on a split, projected to 2-D (CSV and a labelled scatter SVG), with their k-means cluster purity.",
            "USAGE: nnrun embed <folder> --layer <layer> --method <method> [--split <split>] [--perplexity <perplexity>] [--output <output>] [--overwrite]",
            "--layer <layer> The layer whose outputs to embed, by name (nnrun summary lists them), e.g. dense or flatten.",
            "--method <method> pca, tsne, or none (the raw values of a 2-unit layer such as an autoencoder's bottleneck). (values: pca, tsne, none)",
            "--split <split> The samples: test (the run's saved test split), train, validation or all. (values: test, train, validation, all; default: test)",
            "--perplexity <perplexity> t-SNE's perplexity (below the number of samples). (default: 30.0)",
            "--output <output> The folder to write (default: RUN-embed-LAYER-METHOD, beside the run folder).",
        ]),
        (["help", "fit"], ["USAGE: nnrun fit <config>", "--overwrite Replace the run folder if it already holds a run."]),
    ])
    func helpListsEveryOption(_ args: [String], _ expected: [String]) throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(args, in: dir)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        let text = result.stdout.collapsingWhitespace
        for line in expected {
            #expect(text.contains(line), "missing: \(line)\n\(result.stdout)")
        }
    }

    /// Every recipe in configs/ checks, and trains for one epoch.
    @Test(arguments: ((try? FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent("configs").path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted())
    func shippedRecipesCheckAndFit(_ file: String) throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        // A fine-tuning recipe needs its base run: `from: runs/NAME` is trained by configs/NAME.yaml.
        let text = try CLI.read("configs/\(file)", in: dir)
        let base = text.split(separator: "\n").first { $0.hasPrefix("  from: ") }.map { String($0.dropFirst(8)) }
        if let base {
            let name = base.split(separator: "/").last.map(String.init) ?? base
            let trained = try CLI.run(["fit", "configs/\(name).yaml", "--set", "training.epochs=1", "--output", base, "--progress", "none"], in: dir)
            #expect(trained.status == 0, "\(trained)")
        }
        let check = try CLI.run(["check", "configs/\(file)"], in: dir)
        #expect(check.status == 0, "\(check)")
        #expect(check.outputLines.first == "configs/\(file): OK")
        let summary = try CLI.run(["summary", "configs/\(file)"], in: dir)
        #expect(summary.status == 0, "\(summary)")
        // Recipes whose data the user brings (MNIST's IDX files) are checked but not trained here;
        // unsupervised recipes (method:) are run by AnalysisFitTests.
        guard check.stdout.contains("data: not checked") == false, !check.stdout.contains("\n  method: ") else { return }
        let verb = base == nil ? "fit" : "finetune"
        let fit = try CLI.run([verb, "configs/\(file)", "--set", "training.epochs=1", "--output", "out", "--progress", "none"], in: dir)
        #expect(fit.status == 0, "\(fit)")
        // Early stopping with restore_best_weights keeps the best weights beside the checkpoint.
        let extra = text.contains("restore_best_weights: true") ? ["best_weights.safetensors"] : []
        #expect(CLI.listing(dir.appendingPathComponent("out")) == (CLI.runFiles + extra).sorted())
    }

    @Test func aMissingConfigArgumentIsAUsageError() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let result = try CLI.run(["fit"], in: dir)
        #expect(result.status != 0)
        #expect(result.stderr.contains("Missing expected argument '<config>'"))
    }
}
