import TestSupport
import Testing

@testable import ConvNet
@testable import TensorCore

/// When a direct kernel cannot allocate, Conv2D throws instead of returning an output the kernel
/// never wrote. One thread: parallelChunks then runs the kernel on the calling thread, whose next
/// allocation the C test hook fails.
@Suite(.enabled(if: DirectConv.isAvailable)) struct ConvKernelFailureTests {
  @Test func conv2DThrowsOutOfMemoryAndRecovers() throws {
    let conv = Conv2D(inputChannels: 3, outputChannels: 8, kernelSize: (3, 3), activation: .relu, name: "c")
    var g = SplitMix64(seed: 1)
    conv.initialize(generator: &g)
    conv.threads = 1
    let x = seededTensor([2, 9, 11, 3], seed: 2)
    let want = try conv.forward(x, mode: .training)
    DirectConv.failAllocationsForTesting(1)
    do {
      _ = try conv.forward(x, mode: .inference)
      Issue.record("expected outOfMemory")
    } catch {
      guard case .outOfMemory = error else { throw error }
    }
    #expect(try conv.forward(x, mode: .training) == want)
    let dy = seededTensor(want.shape, seed: 3)
    DirectConv.failAllocationsForTesting(1)
    do {
      _ = try conv.backward(dy)
      Issue.record("expected outOfMemory from the input gradient")
    } catch {
      guard case .outOfMemory = error else { throw error }
    }
  }
}
