// swift-tools-version: 6.0
//
// HessianKit: the curvature of neural networks, natively in Swift.
// Layers (one-way imports): TensorCore <- Autodiff <- NeuralNetworks <- HessianAnalysis;
// MatrixFree and TensorIO see TensorCore only. See DESIGN.md.

import PackageDescription

let blas: [Target.Dependency] = [
  .target(name: "CHessianBLAS", condition: .when(platforms: [.linux]))
]

let package = Package(
  name: "HessianKit",
  platforms: [.macOS(.v13)],
  products: [
    // MARK: - Public API
    // `import HessianKit` brings every public module (the umbrella target re-exports them).
    .library(name: "HessianKit", targets: ["HessianKit"]),
    // Data-parallel curvature over MPI processes. A product of its own so that `HessianKit`
    // users need no MPI installation (Open MPI: libopenmpi-dev).
    .library(name: "HessianKitMPI", targets: ["HessianMPI"]),
    .executable(name: "hessian", targets: ["hessian-cli"]),
    .executable(name: "hessian-bench", targets: ["hessian-bench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    // MARK: - Public API
    .target(
      name: "TensorCore",
      dependencies: blas + [.product(name: "RealModule", package: "swift-numerics")]),
    .target(name: "Autodiff", dependencies: ["TensorCore"]),
    .target(
      name: "NeuralNetworks",
      dependencies: [
        "TensorCore", "Autodiff", .product(name: "RealModule", package: "swift-numerics"),
      ]),
    .target(name: "MatrixFree", dependencies: ["TensorCore"]),
    .target(
      name: "HessianAnalysis",
      dependencies: ["TensorCore", "Autodiff", "NeuralNetworks", "MatrixFree"]),
    .target(name: "TensorIO", dependencies: ["TensorCore", "CHessianZlib"]),
    .target(name: "Plots"),
    // MPI_COMM_WORLD as a ProcessGroup (the data-parallel sum behind the one batch loop).
    .target(name: "HessianMPI", dependencies: ["TensorCore", "CHessianMPI"]),
    // ONNX's protobuf IR, generated once by Scripts/generate_onnx_proto.sh (the ONNX importer's
    // decoding layer).
    .target(
      name: "ONNXProto",
      dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
      exclude: ["README.md"]),
    // ONNX graphs from PyTorch's exporters as networks of the same Model type.
    .target(
      name: "ONNXImport",
      dependencies: [
        "TensorCore", "Autodiff", "NeuralNetworks", "ONNXProto",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]),
    .target(
      name: "HessianKit",
      dependencies: [
        "TensorCore", "Autodiff", "NeuralNetworks", "MatrixFree", "HessianAnalysis", "TensorIO",
        "ONNXImport", "Plots",
      ]),
    .executableTarget(
      name: "hessian-cli",
      dependencies: [
        "TensorCore", "Autodiff", "NeuralNetworks", "MatrixFree", "HessianAnalysis", "TensorIO",
        "Plots", "ONNXImport", "HessianMPI",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // The loaders' fuzzing entry point (`make fuzz`); a corpus replayer when built normally.
    .executableTarget(name: "hessian-fuzz", dependencies: ["_FuzzHarnesses"]),
    .executableTarget(
      name: "hessian-bench",
      dependencies: [
        "TensorCore", "Autodiff", "NeuralNetworks", "TensorIO", "MatrixFree", "HessianAnalysis",
        "ONNXImport", "_TestSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Implementation details
    .systemLibrary(
      name: "CHessianBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
    .systemLibrary(name: "CHessianZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(
      name: "CHessianMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
    .target(
      name: "_FuzzHarnesses",
      dependencies: ["TensorCore", "TensorIO", "NeuralNetworks", "ONNXImport"]),
    .target(
      name: "_TestSupport",
      dependencies: ["TensorCore", "Autodiff", "MatrixFree", "ONNXProto"]),

    // MARK: - Unit test bundles
    .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"]),
    .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "TensorCore", "_TestSupport"]),
    .testTarget(
      name: "NeuralNetworksTests",
      dependencies: ["NeuralNetworks", "Autodiff", "TensorCore", "TensorIO", "_TestSupport"]),
    .testTarget(name: "MatrixFreeTests", dependencies: ["MatrixFree", "TensorCore", "_TestSupport"]),
    .testTarget(
      name: "TensorIOTests", dependencies: ["TensorIO", "TensorCore", "CHessianZlib", "_TestSupport"]),
    .testTarget(
      name: "HessianAnalysisTests",
      dependencies: [
        "HessianAnalysis", "MatrixFree", "NeuralNetworks", "Autodiff", "TensorCore", "_TestSupport",
      ]),
    .testTarget(name: "PlotsTests", dependencies: ["Plots"]),
    .testTarget(name: "ONNXProtoTests", dependencies: ["ONNXProto"]),
    .testTarget(name: "FuzzRegressionTests", dependencies: ["_FuzzHarnesses"]),
    .testTarget(
      name: "ONNXImportTests",
      dependencies: [
        "ONNXImport", "ONNXProto", "HessianAnalysis", "NeuralNetworks", "Autodiff", "TensorCore",
        "TensorIO", "_TestSupport",
      ]),
    // Imports only the umbrella module, as a package that depends on the product does.
    .testTarget(name: "HessianKitTests", dependencies: ["HessianKit"]),
    .testTarget(
      name: "CLITests",
      dependencies: [
        "hessian-cli", "TensorIO", "TensorCore", "MatrixFree", "NeuralNetworks", "_TestSupport",
      ],
      exclude: ["Snapshots"]),
  ]
)
