// Small helpers over JSONSerialization values, tolerant of how each Keras version spells numbers
// (ints as 3 or 3.0, pairs as [3, 3] or a bare 3) and of `null`.
import ConvNet
import Foundation

struct KerasJSON {
  static func parse(_ text: String, what: String) throws(ModelFileError) -> Any {
    do {
      return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    } catch {
      throw .notKerasModel(path: what, detail: "its JSON does not parse (\(error.localizedDescription))")
    }
  }

  static func string(_ value: Any) throws(ModelFileError) -> String {
    do {
      let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
      return String(decoding: data, as: UTF8.self)
    } catch {
      throw .invalidArgument("cannot encode JSON: \(error.localizedDescription)")
    }
  }
}

/// A layer's config dictionary with typed, error-reporting accessors.
struct LayerConfig {
  let layer: String
  let className: String
  let values: [String: Any]

  func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

  static func number(_ v: Any?) -> Double? {
    switch v {
    case let n as Int: Double(n)
    case let d as Double: d
    case let n as NSNumber: n.doubleValue
    default: nil
    }
  }

  func double(_ keys: String..., default fallback: Double? = nil) throws(ModelFileError) -> Double {
    for k in keys { if let v = LayerConfig.number(values[k]) { return v } }
    if let fallback { return fallback }
    throw .unsupportedLayerConfig(
      layer: layer, detail: "\(className) config has no \(keys.joined(separator: "/"))")
  }

  /// An integral number of magnitude below 1e9 (converting anything else to Int would trap).
  static func integer(_ v: Any?) -> Int? {
    guard let d = number(v), d == d.rounded(), abs(d) < 1e9 else { return nil }
    return Int(d)
  }

  func int(_ keys: String..., default fallback: Int? = nil) throws(ModelFileError) -> Int {
    for k in keys where LayerConfig.number(values[k]) != nil {
      guard let n = LayerConfig.integer(values[k]) else {
        throw .unsupportedLayerConfig(layer: layer, detail: "\(k) = \(values[k]!) is not an integer")
      }
      return n
    }
    if let fallback { return fallback }
    throw .unsupportedLayerConfig(
      layer: layer, detail: "\(className) config has no \(keys.joined(separator: "/"))")
  }

  func string(_ keys: String..., default fallback: String? = nil) throws(ModelFileError) -> String {
    for k in keys { if let v = values[k] as? String { return v } }
    if let fallback { return fallback }
    throw .unsupportedLayerConfig(
      layer: layer, detail: "\(className) config has no \(keys.joined(separator: "/"))")
  }

  func bool(_ key: String, default fallback: Bool) -> Bool {
    if let b = values[key] as? Bool { return b }
    if let n = values[key] as? NSNumber { return n.boolValue }
    return fallback
  }

  /// A pair from [a, b] or a bare a (meaning (a, a)).
  func pair(_ key: String) throws(ModelFileError) -> (Int, Int)? {
    guard let v = values[key], !(v is NSNull) else { return nil }
    if let n = LayerConfig.integer(v) { return (n, n) }
    if let list = v as? [Any], list.count == 2, let a = LayerConfig.integer(list[0]),
      let b = LayerConfig.integer(list[1])
    {
      return (a, b)
    }
    throw .unsupportedLayerConfig(layer: layer, detail: "\(key) = \(v) is not a pair of integers")
  }

  /// A (None, H, W, C)-style shape; nulls become nil.
  func shape(_ keys: String...) throws(ModelFileError) -> [Int?]? {
    for k in keys {
      guard let list = values[k] as? [Any] else { continue }
      var shape: [Int?] = []
      for item in list {
        if item is NSNull {
          shape.append(nil)
        } else if let n = LayerConfig.integer(item) {
          shape.append(n)
        } else {
          throw .unsupportedLayerConfig(layer: layer, detail: "\(k) = \(list) is not a shape")
        }
      }
      return shape
    }
    return nil
  }
}
