// Numbers the way the Unity simulator (C# `float.ToString()`, .NET "G" with 7 digits) writes them.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

package enum DotNetNumber {
  /// .NET's general format of a Single: 7 significant digits, trailing zeros removed, scientific
  /// (`6.148237E-06`, `1.234568E+07`) when the exponent is -5 or below, or 7 or above; `-0` prints `0`.
  package static func format(_ value: Float) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
    if value == 0 { return "0" }
    // "%.6e" rounds the exact binary value to 7 significant digits: d.dddddde±XX.
    var buffer = [CChar](repeating: 0, count: 32)
    let written = withVaList([Double(value)]) { vsnprintf(&buffer, buffer.count, "%.6e", $0) }
    let text = String(decoding: buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let negative = text.hasPrefix("-")
    let body = negative ? text.dropFirst() : Substring(text)
    guard let e = body.firstIndex(of: "e"), let exponent = Int(body[body.index(after: e)...]) else {
      return text
    }
    var digits = Array(body[..<e].filter { $0 != "." })  // 7 digits
    while digits.count > 1 && digits.last == "0" { digits.removeLast() }
    let sign = negative ? "-" : ""
    if exponent < -4 || exponent >= 7 {
      let mantissa = digits.count > 1 ? "\(digits[0]).\(String(digits[1...]))" : String(digits[0])
      let exponentText = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
      return "\(sign)\(mantissa)E\(exponent < 0 ? "-" : "+")\(exponentText)"
    }
    if exponent < 0 {
      return sign + "0." + String(repeating: "0", count: -exponent - 1) + String(digits)
    }
    let integerCount = exponent + 1
    if digits.count <= integerCount {
      return sign + String(digits) + String(repeating: "0", count: integerCount - digits.count)
    }
    return sign + String(digits[..<integerCount]) + "." + String(digits[integerCount...])
  }
}
