import TestSupport
import Testing

@testable import TensorCore

@Suite struct ElementwiseTests {
  @Test func arithmeticMatchesScalars() throws {
    let a = try Tensor(shape: [2, 2], scalars: [1, -2, 3, 4])
    let b = try Tensor(shape: [2, 2], scalars: [2, 2, -1, 0.5])
    #expect(try a.adding(b).scalars == [3, 0, 2, 4.5])
    #expect(try a.subtracting(b).scalars == [-1, -4, 4, 3.5])
    #expect(try a.multiplying(b).scalars == [2, -4, -3, 2])
    #expect(try a.dividing(b).scalars == [0.5, -1, -3, 8])
    #expect((a * 2 + 1).scalars == [3, -3, 7, 9])
    #expect(throws: TensorError.self) { try a.adding(Tensor.zeros([4])) }
  }

  @Test func activationsAndDerivativesFromOutput() throws {
    let x = try Tensor(shape: [5], scalars: [-2, -0.5, 0, 0.5, 2])
    let e = x.elu()
    #expect(isClose(e, try Tensor(shape: [5], scalars: [expm1f(-2), expm1f(-0.5), 0, 0.5, 2])))
    #expect(x.relu().scalars == [0, 0, 0, 0.5, 2])
    // ELU'(x) from y: finite differences of elu at x agree with the output-based derivative.
    for act in Activation.allCases {
      let f: (Float) -> Float = {
        var v = $0
        act.apply(&v, count: 1)
        return v
      }
      for v: Float in [-1.5, -0.3, 0.4, 1.2] {
        let y = f(v)
        var g: Float = 1
        withUnsafePointer(to: y) { act.backward(output: $0, gradient: &g, count: 1) }
        let numeric = (f(v + 1e-3) - f(v - 1e-3)) / 2e-3
        #expect(abs(g - numeric) < 1e-2, "\(act) at \(v)")
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct FastMathTests {
  // The vectorized ELU against glibc's expm1f over a dense sweep, including the tail path.
  @Test func fastEluMatchesReference() {
    let xs = (0..<20_003).map { Float($0) * 0.001 - 18 } + [-100, -87.5, -1e-7, 0, 1e-7, 3, 50]
    var y = xs
    y.withUnsafeMutableBufferPointer { eluInPlace($0.baseAddress!, count: xs.count) }
    for (x, v) in zip(xs, y) {
      let ref = Activation.eluScalar(x)
      #expect(abs(v - ref) <= 2e-7 * max(1, abs(ref)) + 1e-7 * abs(x), "x \(x): \(v) vs \(ref)")
      if abs(x) < 0.3 && x != 0 { #expect(abs(v - ref) <= 1e-6 * abs(ref), "relative near 0 at \(x)") }
    }
  }

  @Test func biasIsAddedBeforeTheActivation() throws {
    var y: [Float] = [-1, 0, 1, 2, -3, 4]
    let b: [Float] = [1, -1, 0.5]
    y.withUnsafeMutableBufferPointer {
      biasActivate($0.baseAddress!, rows: 2, columns: 3, bias: b, activation: .relu)
    }
    #expect(y == [0, 0, 1.5, 3, 0, 4.5])
  }
}
