import TestSupport
import Testing

@testable import TensorCore

/// A kernel that cannot allocate reports it and leaves its output alone, instead of returning as if
/// it had convolved. The C test hook fails the calling thread's next allocation.
@Suite(.enabled(if: DirectConv.cpuSupportsKernels))
struct DirectConvFailureTests {
  let g = try! ConvGeometry(inputHeight: 8, inputWidth: 10, channels: 3, kernelHeight: 3, kernelWidth: 3)
  let oc = 8

  @Test func forwardThrowsWhenTheKernelCannotAllocate() throws {
    let conv = try #require(DirectConv(geometry: g, outputChannels: oc, force: true))
    let x = seededTensor([2, g.inputHeight, g.inputWidth, g.channels], seed: 1)
    let packed = Tensor.zeros([conv.packedKernelCount])
    var y = Tensor(shape: [2 * g.outputPixels, oc], repeating: .nan)
    func run() throws {
      try x.withUnsafePointer { px in
        try packed.withUnsafePointer { pk in
          try y.withUnsafeMutablePointer {
            try conv.forward(px, images: 2, packedKernel: pk, activation: .relu, y: $0)
          }
        }
      }
    }
    DirectConv.failAllocationsForTesting(1)
    let error = #expect(throws: TensorError.self) { try run() }
    #expect(
      error.map { if case .outOfMemory = $0 { true } else { false } } == true, "\(String(describing: error))")
    #expect(y.scalars.allSatisfy { $0.isNaN }, "a failed forward must not write y")
    try run()  // the hook failed one allocation only
    #expect(y.scalars.allSatisfy { $0 == 0 }, "zero kernel and bias through relu")
  }

  @Test func inputGradientThrowsWhenTheKernelCannotAllocate() throws {
    let conv = try #require(DirectConv(geometry: g, outputChannels: oc, force: true))
    let rows = 2 * g.outputPixels
    let delta = Tensor.zeros([rows * conv.paddedChannels])
    let transposed = Tensor.zeros([g.kernelHeight * oc * conv.paddedRun])
    var dx = Tensor(shape: [2 * g.inputImageSize], repeating: .nan)
    func run() throws {
      try delta.withUnsafePointer { pd in
        try transposed.withUnsafePointer { pt in
          try dx.withUnsafeMutablePointer {
            try conv.inputGradient(pd, images: 2, transposedKernel: pt, dx: $0)
          }
        }
      }
    }
    DirectConv.failAllocationsForTesting(1)
    let error = #expect(throws: TensorError.self) { try run() }
    #expect(
      error.map { if case .outOfMemory = $0 { true } else { false } } == true, "\(String(describing: error))")
    #expect(dx.scalars.allSatisfy { $0.isNaN }, "a failed input gradient must not write dx")
    try run()
    #expect(dx.scalars.allSatisfy { $0 == 0 })
  }
}
