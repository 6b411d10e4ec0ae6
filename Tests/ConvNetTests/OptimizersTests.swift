import TestSupport
import Testing

@testable import ConvNet
@testable import ModelFile
@testable import TensorCore

@Suite struct OptimizersTests {
  func store(_ values: [Float], _ grads: [Float]) -> (ParameterStore, Parameter) {
    let p = Parameter(name: "w", shape: [values.count])
    try! p.assign(scalars: values)
    for i in grads.indices { p.gradients[i] = grads[i] }
    return (p.store, p)
  }

  // Keras's update written out in Double for 3 steps with changing gradients.
  @Test func adamFollowsKerasFormula() throws {
    let (s, p) = store([0.5, -1, 2], [0.1, -0.2, 0.003])
    let adam = Adam(learningRate: 0.01, epsilon: 1e-7)
    var w: [Double] = [0.5, -1, 2]
    var m = [Double](repeating: 0, count: 3)
    var v = [Double](repeating: 0, count: 3)
    for t in 1...3 {
      let g: [Double] = (0..<3).map { Double(s.gradients[$0]) }
      for i in 0..<3 {
        m[i] = 0.9 * m[i] + 0.1 * g[i]
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
        let a = 0.01 * (1 - pow(0.999, Double(t))).squareRoot() / (1 - pow(0.9, Double(t)))
        w[i] -= a * m[i] / (v[i].squareRoot() + 1e-7)
      }
      adam.step(s)
      for i in 0..<3 { s.gradients[i] *= -1.5 }
    }
    #expect(closenessRatio(p.value.scalars, w.map { Float($0) }, rtol: 1e-5, atol: 1e-6) <= 1)
    #expect(adam.iterations == 3)
    #expect(
      closenessRatio(try adam.slot("m", for: p).scalars, m.map { Float($0) }, rtol: 1e-5, atol: 1e-7) <= 1)
    #expect(
      closenessRatio(try adam.slot("v", for: p).scalars, v.map { Float($0) }, rtol: 1e-5, atol: 1e-9) <= 1)
  }

  @Test func adamStateRoundTripsForResume() throws {
    let (s, p) = store([1, 2], [0.3, -0.1])
    let a = Adam()
    a.step(s)
    a.step(s)
    let b = Adam()
    b.iterations = a.iterations
    try b.setSlot("m", for: p, to: a.slot("m", for: p))
    try b.setSlot("v", for: p, to: a.slot("v", for: p))
    let snapshot = s.snapshot()
    a.step(s)
    let afterA = s.snapshot()
    try s.restore(snapshot)
    b.step(s)
    #expect(s.snapshot() == afterA)
    #expect(throws: ConvNetError.self) { try b.slot("q", for: p) }
    #expect(throws: ConvNetError.self) { try b.setSlot("m", for: p, to: Tensor.zeros([3])) }
  }

  @Test func sgdMomentum() throws {
    let (s, p) = store([1], [0.5])
    let sgd = SGD(learningRate: 0.1, momentum: 0.9)
    sgd.step(s)  // v = -0.05, w = 0.95
    sgd.step(s)  // v = -0.045 - 0.05 = -0.095, w = 0.855
    #expect(abs(p.value.scalars[0] - 0.855) < 1e-6)
    #expect(abs(try sgd.slot("momentum", for: p).scalars[0] + 0.095) < 1e-6)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
