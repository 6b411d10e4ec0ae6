import TestSupport
import Testing

@testable import TensorCore

@Suite struct Im2colTests {
  /// Every small geometry: sizes 1...6, kernels 1...4, strides 1...3, both paddings, 1-3 channels.
  static func geometries() -> [ConvGeometry] {
    var out: [ConvGeometry] = []
    for h in 1...6 {
      for w in [1, 3, 6] {
        for kh in 1...4 {
          for kw in [1, 2, 3] {
            for s in 1...3 {
              for c in [1, 3] {
                for p in Padding.allCases {
                  if let g = try? ConvGeometry(
                    inputHeight: h, inputWidth: w, channels: c, kernelHeight: kh, kernelWidth: kw,
                    strideY: s, strideX: s == 3 ? 1 : s, padding: p)
                  {
                    out.append(g)
                  }
                }
              }
            }
          }
        }
      }
    }
    return out
  }

  @Test func fastAgreesWithReferenceOverAllSmallGeometries() {
    let all = Self.geometries()
    #expect(all.count > 500)
    for (i, g) in all.enumerated() {
      let n = 2
      let x = seededTensor([n, g.inputHeight, g.inputWidth, g.channels], seed: UInt64(i))
      let rows = n * g.outputPixels
      var fast = Tensor(shape: [rows, g.patchSize], repeating: .nan)
      var slow = Tensor(shape: [rows, g.patchSize], repeating: .nan)
      x.withUnsafePointer { px in
        fast.withUnsafeMutablePointer { im2col(px, images: 0..<n, geometry: g, col: $0) }
        slow.withUnsafeMutablePointer { im2colReference(px, images: 0..<n, geometry: g, col: $0) }
      }
      #expect(fast == slow, "im2col \(g)")
      // col2im: overwrite (not accumulate into) stale values; agree with the reference.
      var back = Tensor(shape: x.shape, repeating: .nan)
      var backRef = Tensor(shape: x.shape, repeating: .nan)
      slow.withUnsafePointer { pc in
        back.withUnsafeMutablePointer { col2im(pc, images: 0..<n, geometry: g, dx: $0) }
        backRef.withUnsafeMutablePointer { col2imReference(pc, images: 0..<n, geometry: g, dx: $0) }
      }
      #expect(isClose(back, backRef, rtol: 1e-6, atol: 1e-6), "col2im \(g)")
    }
  }

  // col2im is the adjoint of im2col: <im2col(x), c> == <x, col2im(c)>.
  @Test func col2imIsTheAdjoint() throws {
    for (i, g) in Self.geometries().enumerated() where i % 7 == 0 {
      let x = seededTensor([1, g.inputHeight, g.inputWidth, g.channels], seed: UInt64(i))
      let c = seededTensor([g.outputPixels, g.patchSize], seed: UInt64(i) + 99)
      let lhs = try x.im2col(g).multiplying(c).sum()
      let rhs = try x.multiplying(c.col2im(g)).sum()
      #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "\(g)")
    }
  }

  @Test func sliceOfImagesWritesOnlyItsRows() throws {
    let g = try ConvGeometry(inputHeight: 5, inputWidth: 4, channels: 2, kernelHeight: 3, kernelWidth: 3)
    let x = seededTensor([3, 5, 4, 2], seed: 5)
    let whole = try x.im2col(g)
    var part = Tensor(shape: [g.outputPixels, g.patchSize], repeating: 0)
    x.withUnsafePointer { px in
      part.withUnsafeMutablePointer { im2col(px, images: 2..<3, geometry: g, col: $0) }
    }
    #expect(part.scalars == Array(whole.scalars.suffix(g.outputPixels * g.patchSize)))
  }

  @Test func geometryFollowsKerasRules() throws {
    let seed1 = try ConvGeometry(
      inputHeight: 73, inputWidth: 128, channels: 3, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2)
    #expect([seed1.outputHeight, seed1.outputWidth] == [35, 62])
    let same = try ConvGeometry(
      inputHeight: 7, inputWidth: 8, channels: 1, kernelHeight: 4, kernelWidth: 3, strideY: 2, strideX: 3,
      padding: .same)
    // TF: out = ceil(in / s); pad_total = (out - 1) * s + k - in, top = floor(total / 2).
    #expect([same.outputHeight, same.outputWidth, same.padTop, same.padLeft] == [4, 3, 1, 0])
    #expect(throws: TensorError.self) {
      try ConvGeometry(inputHeight: 2, inputWidth: 2, channels: 1, kernelHeight: 3, kernelWidth: 3)
    }
    #expect(throws: TensorError.self) {
      try ConvGeometry(
        inputHeight: 4, inputWidth: 4, channels: 1, kernelHeight: 3, kernelWidth: 3, strideY: 0)
    }
    #expect(throws: TensorError.self) { try Tensor.zeros([1, 4, 4]).im2col(seed1) }
  }
}
