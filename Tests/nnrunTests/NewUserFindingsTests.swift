import Foundation
import Testing

/// What a new user tried and got wrong answers to, now one-line errors or right answers.
@Suite(.serialized) struct NewUserFindingsTests {
    @Test func divergedWeightsAreNotSavedAsACompleteRun() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let r = try CLI.run(["fit", "configs/mlp.yaml", "--output", "nan", "--set", "training.epochs=2", "--set",
                             "optimizer={sgd: {learning_rate: 1e30}}", "--progress", "none"], in: dir)
        #expect(r.status == 1 && r.errorLines == ["error: training diverged: the weights are not finite after step 54 (try a smaller learning rate, or terminate_on_nan to stop at once); no checkpoint was written"], "\(r)")
        #expect(!CLI.listing(dir).contains("nan"))
    }

    @Test func setOverridesOfTheFinetuneSectionBuildTheModel() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let missing = try CLI.run(["check", "configs/digits-5to9.yaml", "--set", "finetune.from=nowhere"], in: dir)
        #expect(missing.status == 1 && missing.errorLines.first?.hasPrefix("error: nowhere/model.json: the base run nowhere (finetune.from) has no model.json") == true, "\(missing)")
        #expect(try CLI.run(["fit", "configs/digits-0to4.yaml", "--set", "training.epochs=1", "--progress", "none"], in: dir).status == 0)
        let dropOne = try CLI.run(["check", "configs/digits-5to9.yaml", "--set", "finetune.drop=1"], in: dir)
        #expect(dropOne.status == 0 && dropOne.stdout.contains("-> dense_1 (None, 128) -> dropout_2 (None, 128) -> dense_2 (None, 5)"), "\(dropOne)")
    }

    @Test func finishedRunsAreNotResumedAndPredictChecksColumns() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let args = ["fit", "configs/iris.yaml", "--output", "iris", "--progress", "none", "--set", "training.epochs=30",
                    "--set", "training.callbacks=[{early_stopping: {patience: 0}}]"]
        #expect(try CLI.run(args, in: dir).status == 0)
        let stopped = try CLI.run(args + ["--resume"], in: dir)
        #expect(stopped.status == 1 && stopped.errorLines.first?.hasPrefix("error: iris: is complete: early stopping ended it after epoch ") == true, "\(stopped)")
        try CLI.write("petal_width,petal_length,sepal_width,sepal_length\n0.2,1.4,3.5,5.1\n", to: "swapped.csv", in: dir)
        let swapped = try CLI.run(["predict", "iris", "swapped.csv"], in: dir)
        #expect(swapped.status == 1 && swapped.errorLines == ["error: swapped.csv: has the columns petal_width,petal_length,sepal_width,sepal_length; the run was trained on sepal_length,sepal_width,petal_length,petal_width (in this order)"], "\(swapped)")
    }

    @Test func usageErrorsListTheAllowedValues() throws {
        let dir = try CLI.sandbox()
        defer { CLI.remove(dir) }
        let r = try CLI.run(["bench", "foo"], in: dir)
        #expect(r.status == 2 && r.errorLines == ["error: The value 'foo' is invalid for '<job>'. Please provide one of the following: mlp, cnn, mnist, resnet50, pca, kmeans, tsne (see 'nnrun --help')"])
    }
}
