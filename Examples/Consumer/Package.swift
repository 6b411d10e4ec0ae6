// swift-tools-version:6.0
// A package of its own that uses BehavioralCloning as any other project would: by path, through
// the ConvNet and DrivingData products only. `make consumer` builds and runs it and checks that
// neither SwiftNIO nor libhdf5 ends up in its link (Scripts/check-consumer.sh).
import PackageDescription

let package = Package(
  name: "Consumer",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "BehavioralCloning", path: "../..")
  ],
  targets: [
    .executableTarget(
      name: "ConsumerDemo",
      dependencies: [
        .product(name: "ConvNet", package: "BehavioralCloning"),
        .product(name: "DrivingData", package: "BehavioralCloning"),
      ])
  ],
  swiftLanguageModes: [.v6]
)
