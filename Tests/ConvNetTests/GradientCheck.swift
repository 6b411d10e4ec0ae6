import TestSupport
// Finite-difference checks for a layer: f(x) = sum(forward(x) * r) for a fixed random r, so the
// analytic gradients are backward(r) (for x) and the accumulated parameter gradients.
import Testing

@testable import ConvNet
@testable import TensorCore

struct GradientReport {
  var input: Float
  var parameters: [String: Float]
}

func checkGradients(
  _ layer: any Layer, input x: Tensor, seed: UInt64 = 11, epsilon: Float = 1e-2
) throws -> GradientReport {
  layer.computesInputGradient = true
  let y = try layer.forward(x, mode: .training)
  let r = seededTensor(y.shape, seed: seed)
  for p in layer.parameters { p.store.zeroGradients() }
  let dx = try layer.backward(r)
  let f: (Tensor) throws -> Float = { probe in
    let out = try layer.forward(probe, mode: .inference)
    return try out.multiplying(r).sum()
  }
  let inputError = gradientError(
    analytic: dx.scalars, numeric: try numericGradient(of: f, at: x, epsilon: epsilon))
  var report = GradientReport(input: inputError, parameters: [:])
  for p in layer.parameters {
    let analytic = p.gradient.scalars
    let original = p.value
    let numeric = try numericGradient(
      of: { w in
        try p.assign(w)
        return try f(x)
      }, at: original, epsilon: epsilon)
    try p.assign(original)
    report.parameters[p.name] = gradientError(analytic: analytic, numeric: numeric)
  }
  return report
}
