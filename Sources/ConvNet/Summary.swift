// Keras-style summary table: layer (type), output shape with a None batch axis, parameter counts.
import TensorCore

extension Sequential {
  public func summary() -> String {
    func shape(_ s: [Int]) -> String { "(None, " + s.map(String.init).joined(separator: ", ") + ")" }
    func grouped(_ n: Int) -> String {
      let digits = Array(String(n))
      var out = ""
      for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(ch)
      }
      return out
    }
    func pad(_ s: String, _ w: Int) -> String {
      s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count)
    }
    let rule = String(repeating: "_", count: 65)
    var lines = [
      "Model: \"sequential\"", rule, pad("Layer (type)", 29) + pad("Output Shape", 26) + "Param #",
    ]
    lines.append(String(repeating: "=", count: 65))
    for (i, layer) in layers.enumerated() {
      let params = layer.parameters.reduce(0) { $0 + $1.count }
      lines.append(
        pad("\(layer.name) (\(layer.typeName))", 29) + pad(shape(layerOutputShapes[i]), 26) + grouped(params))
      lines.append(i == layers.count - 1 ? String(repeating: "=", count: 65) : rule)
    }
    lines.append("Total params: \(grouped(parameterCount))")
    lines.append("Trainable params: \(grouped(parameterCount))")
    lines.append("Non-trainable params: 0")
    return lines.joined(separator: "\n")
  }
}
