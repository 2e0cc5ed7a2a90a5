// swift-tools-version: 6.0
import PackageDescription

// Dependencies point one way (DESIGN.md §2): a target never imports one listed above it here.
//   nnrun -> NNTraining -> NNCheckpoint -> NNModel -> NNLayers -> NNTensor
//                      \-> NNData -> NNTensor          (all of them -> NNConfig)
//                      \-> NNAnalysis -> NNTensor      (PCA, k-means, t-SNE, scores)
//   NNTraining -> NNReport -> NNTensor   (pictures: curves, scatter plots, terminal chart, report.html, image grids)
// Only NNModel imports Yams; only NNTensor touches BLAS and the C kernels (CKernels).
let package = Package(
    name: "nnrun",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nnrun", targets: ["nnrun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
    ],
    targets: [
        .target(name: "NNConfig"),
        .target(name: "CKernels"),
        .target(name: "NNTensor", dependencies: ["CKernels"]),
        .target(name: "NNData", dependencies: ["NNTensor", "NNConfig"]),
        .target(name: "NNLayers", dependencies: ["NNTensor", "NNConfig"]),
        .target(name: "NNModel", dependencies: ["NNLayers", "NNConfig", .product(name: "Yams", package: "Yams")]),
        .target(name: "NNCheckpoint", dependencies: ["NNModel"]),
        .target(name: "NNAnalysis", dependencies: ["NNTensor", "NNConfig"]),
        .target(name: "NNReport", dependencies: ["NNTensor", "NNConfig"]),
        .target(name: "NNTraining", dependencies: ["NNModel", "NNData", "NNCheckpoint", "NNReport", "NNAnalysis"]),
        .executableTarget(name: "nnrun", dependencies: [
            "NNTraining", "NNReport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "NNConfigTests", dependencies: ["NNConfig"]),
        .testTarget(name: "NNTensorTests", dependencies: ["NNTensor"]),
        .testTarget(name: "NNDataTests", dependencies: ["NNData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNLayersTests", dependencies: ["NNLayers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNModelTests", dependencies: ["NNModel"]),
        .testTarget(name: "NNCheckpointTests", dependencies: ["NNCheckpoint"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTrainingTests", dependencies: ["NNTraining"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNReportTests", dependencies: ["NNReport", "NNData"]),
        .testTarget(name: "NNAnalysisTests", dependencies: ["NNAnalysis", "NNData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "nnrunTests", dependencies: ["nnrun"]),
    ]
)
