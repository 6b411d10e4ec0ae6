// swift-tools-version:6.0
// BehavioralCloning: record, train and drive an end-to-end steering network, in Swift.
// Module graph (bottom to top) is drawn in README.md; each library product imports on its own.
import PackageDescription

let nio: [Target.Dependency] = [
  .product(name: "NIOCore", package: "swift-nio"),
  .product(name: "NIOPosix", package: "swift-nio"),
  .product(name: "NIOHTTP1", package: "swift-nio"),
  .product(name: "NIOWebSocket", package: "swift-nio"),
]
let nioHelpers: Target.Dependency = .product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let log: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
  name: "BehavioralCloning",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "TensorCore", targets: ["TensorCore"]),
    .library(name: "ConvNet", targets: ["ConvNet"]),
    .library(name: "DrivingData", targets: ["DrivingData"]),
    .library(name: "HDF5", targets: ["HDF5"]),
    .library(name: "SampleStore", targets: ["SampleStore"]),
    .library(name: "ModelFile", targets: ["ModelFile"]),
    .library(name: "Drive", targets: ["Drive"]),
    .library(name: "Simulator", targets: ["Simulator"]),
    .library(name: "Report", targets: ["Report"]),
    .library(name: "Cluster", targets: ["Cluster"]),
    // Executable products cannot share the library product name `Drive`, so every example is
    // linked under a `...Command` product and `make build` links `bin/<Name>` to it.
    .executable(name: "TrainNvidiaCommand", targets: ["TrainNvidiaCommand"]),
    .executable(name: "DriveCommand", targets: ["DriveCommand"]),
    .executable(name: "PredictCommand", targets: ["PredictCommand"]),
    .executable(name: "SimulateCommand", targets: ["SimulateCommand"]),
    .executable(name: "VideoCommand", targets: ["VideoCommand"]),
    .executable(name: "BenchCommand", targets: ["BenchCommand"]),
    .executable(name: "ReportCommand", targets: ["ReportCommand"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
  ],
  targets: [
    // C libraries from Debian packages. Shim symbols carry the module prefix.
    .systemLibrary(
      name: "CBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CHDF5", pkgConfig: "hdf5",
      providers: [.apt(["libhdf5-dev"])]),
    .systemLibrary(
      name: "CJPEG", pkgConfig: "libjpeg",
      providers: [.apt(["libjpeg-dev"])]),
    // Open MPI: Debian puts mpi.h only on pkg-config's include path.
    .systemLibrary(
      name: "CMPI", pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev"])]),
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]),
    // libjpeg and libpng report errors by longjmp: that control flow must stay in C.
    .target(name: "CImageCodec", dependencies: ["CJPEG", "CPNG"]),

    // Direct convolution kernels (AVX2 + FMA, chosen at run time); plain C, no flags needed.
    .target(name: "CConvKernels"),
    // FMA loops for `Bench peak` (the FP32 ceiling every "% of peak" uses); also chosen at run time.
    .target(name: "CPeakKernels"),

    .target(name: "TensorCore", dependencies: ["CBLAS", "CConvKernels"]),
    // The safe libhdf5 layer (files, groups, datasets, attributes, isolated reads).
    .target(name: "HDF5", dependencies: ["CHDF5"]),
    // The sample store on HDF5 and its shuffled, threaded loader.
    .target(name: "SampleStore", dependencies: ["TensorCore", "HDF5"]),
    .target(name: "ConvNet", dependencies: ["TensorCore"]),
    .target(name: "DrivingData", dependencies: ["TensorCore", "CImageCodec"]),
    // Keras HDF5 model files (with the input pipeline they were trained with) and checkpoints.
    .target(name: "ModelFile", dependencies: ["ConvNet", "DrivingData", "HDF5", "TensorCore"]),
    .target(
      name: "Simulator", dependencies: ["TensorCore", "DrivingData", log] + nio, plugins: ["EmbedTracks"]),
    // Tracks/*.json compiled into Simulator as text: built-in tracks defined only by their JSON file.
    .plugin(
      name: "EmbedTracks", capability: .buildTool(), dependencies: ["EmbedTracksTool"],
      path: "Plugins/EmbedTracks"),
    .executableTarget(name: "EmbedTracksTool", path: "Plugins/EmbedTracksTool"),
    .target(name: "Drive", dependencies: ["ConvNet", "DrivingData", "ModelFile", log, nioHelpers] + nio),
    // Blocking simulator-like, load and hostile clients for the Drive tests and `Bench drive`;
    // no product: nothing outside this package should ship them.
    .target(name: "DriveClients", dependencies: ["Drive"]),
    .target(name: "Report", dependencies: ["TensorCore", "DrivingData"]),
    // MPI for data-parallel training; only the executables that offer it link it.
    .target(name: "Cluster", dependencies: ["CMPI", "ConvNet"]),

    .executableTarget(
      name: "TrainNvidiaCommand",
      dependencies: [
        "ConvNet", "DrivingData", "HDF5", "ModelFile", "SampleStore", "Report", "Cluster", "TensorCore",
        "PipelineArguments", "Simulator", argumentParser,
      ],
      path: "Examples/TrainNvidia"),
    // The command-line forms of an input pipeline, shared by Drive, Predict and TrainNvidia.
    .target(
      name: "PipelineArguments", dependencies: ["DrivingData", "ModelFile", argumentParser],
      path: "Examples/PipelineArguments"),
    .executableTarget(
      name: "DriveCommand",
      dependencies: [
        "Drive", "ConvNet", "DrivingData", "HDF5", "ModelFile", "PipelineArguments", argumentParser, log,
        nioHelpers,
      ],
      path: "Examples/Drive"),
    .executableTarget(
      name: "PredictCommand",
      dependencies: ["DrivingData", "HDF5", "ModelFile", "PipelineArguments", argumentParser],
      path: "Examples/Predict"),
    .executableTarget(
      name: "SimulateCommand", dependencies: ["Simulator", "DrivingData", "TensorCore", argumentParser, log],
      path: "Examples/Simulate"),
    .executableTarget(
      name: "VideoCommand", dependencies: ["DrivingData", argumentParser], path: "Examples/Video"),
    .executableTarget(
      name: "ReportCommand", dependencies: ["Report", "DrivingData", "ModelFile", argumentParser],
      path: "Examples/Report"),
    .executableTarget(
      name: "BenchCommand",
      dependencies: [
        "TensorCore", "ConvNet", "DrivingData", "HDF5", "ModelFile", "SampleStore", "Drive", "DriveClients",
        "Simulator",
        "Cluster", "CPeakKernels", argumentParser, log, nioHelpers,
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      path: "Examples/Bench"),

    .target(
      name: "TestSupport", dependencies: ["TensorCore", "DrivingData"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
    .testTarget(
      name: "ConvNetTests",
      dependencies: ["ConvNet", "ModelFile", "DrivingData", "HDF5", "TensorCore", "TestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "H5StoreTests", dependencies: ["HDF5", "SampleStore", "CHDF5", "TensorCore", "TestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "DrivingDataTests", dependencies: ["DrivingData", "TensorCore", "TestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "DriveTests",
      dependencies: [
        "Drive", "DriveClients", "ConvNet", "DrivingData", "ModelFile", "TensorCore", "TestSupport", log,
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
      ],
      exclude: ["Clients", "Fixtures"]),
    .testTarget(
      name: "SimulatorTests",
      dependencies: [
        "Simulator", "Drive", "ConvNet", "DrivingData", "ModelFile", "TensorCore", "TestSupport", nioHelpers,
      ] + nio, exclude: ["Browser"]),
    .testTarget(name: "ReportTests", dependencies: ["Report", "DrivingData", "TensorCore", "TestSupport"]),
    .testTarget(
      name: "PipelineArgumentsTests", dependencies: ["PipelineArguments", "DrivingData", "ModelFile"]),
    .testTarget(
      name: "ClusterTests",
      dependencies: ["Cluster", "ConvNet", "ModelFile", "SampleStore", "TensorCore", "TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)

// libFuzzer targets (Fuzz/<Name>/main.swift), only with BC_FUZZ=1 so normal builds and CI never see
// them: `make fuzz` builds them with -sanitize=fuzzer,address into .build-fuzz (docs/fuzzing.md).
if Context.environment["BC_FUZZ"] == "1" {
  let fuzzTargets: [(String, [Target.Dependency])] = [
    ("FuzzEngineIO", ["Drive", "DrivingData", log]),
    (
      "FuzzWebSocket",
      ["Drive", "DrivingData", log, .product(name: "NIOEmbedded", package: "swift-nio")] + nio
    ),
    ("FuzzSimulatorReply", ["Simulator"]),
    ("FuzzTrackJSON", ["Simulator"]),
    ("FuzzDrivingLog", ["DrivingData"]),
    ("FuzzKerasConfig", ["ModelFile"]),
    ("FuzzMarshal", ["ModelFile"]),
    ("FuzzJPEG", ["DrivingData"]),
    ("FuzzPNG", ["DrivingData"]),
  ]
  package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/Support"))
  // The track embedder runs during the build and gets the same -sanitize flags: it needs lld too.
  for target in package.targets where target.name == "EmbedTracksTool" {
    target.linkerSettings = [.unsafeFlags(["-use-ld=lld"])]
  }
  for (name, dependencies) in fuzzTargets {
    package.targets.append(
      .executableTarget(
        name: name, dependencies: ["FuzzSupport"] + dependencies, path: "Fuzz/\(name.dropFirst(4))",
        // gold fails on these links (an internal error while reporting libFuzzer's own `main`).
        linkerSettings: [.unsafeFlags(["-use-ld=lld"])]))
    package.products.append(.executable(name: name, targets: [name]))
  }
}
