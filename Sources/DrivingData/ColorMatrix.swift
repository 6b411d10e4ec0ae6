// 3 x 3 colour matrices on RGB, as CSS and SVG filters define them (Filter Effects Module Level 1,
// `feColorMatrix` types "hueRotate" and "saturate"): both keep greys and Rec. 709 luminance
// (0.213 R + 0.715 G + 0.072 B), the weights the specification uses.

import Foundation

/// A 3 x 3 matrix applied to (R, G, B) column vectors, rows in order.
public struct ColorMatrix: Sendable, Hashable {
  /// Row-major, 9 entries: out R = rows[0...2] . (R, G, B), and so on.
  public private(set) var rows: [Float]

  /// Built only from the named matrices and their products, so `rows` always has 9 entries.
  package init(rows: [Float]) { self.rows = rows }

  public static let identity = ColorMatrix(rows: [1, 0, 0, 0, 1, 0, 0, 0, 1])

  /// CSS `hue-rotate(degrees)`.
  public static func hueRotate(degrees: Float) -> ColorMatrix {
    let angle = Double(degrees) * .pi / 180
    let (c, s) = (Float(cos(angle)), Float(sin(angle)))
    return ColorMatrix(rows: [
      0.213 + c * 0.787 - s * 0.213, 0.715 - c * 0.715 - s * 0.715, 0.072 - c * 0.072 + s * 0.928,
      0.213 - c * 0.213 + s * 0.143, 0.715 + c * 0.285 + s * 0.140, 0.072 - c * 0.072 - s * 0.283,
      0.213 - c * 0.213 - s * 0.787, 0.715 - c * 0.715 + s * 0.715, 0.072 + c * 0.928 + s * 0.072,
    ])
  }

  /// CSS `saturate(factor)`: 0 maps every colour to its luminance grey, 1 keeps it.
  public static func saturate(_ factor: Float) -> ColorMatrix {
    let s = factor
    return ColorMatrix(rows: [
      0.213 + 0.787 * s, 0.715 - 0.715 * s, 0.072 - 0.072 * s,
      0.213 - 0.213 * s, 0.715 + 0.285 * s, 0.072 - 0.072 * s,
      0.213 - 0.213 * s, 0.715 - 0.715 * s, 0.072 + 0.928 * s,
    ])
  }

  /// The matrix applying `rhs` first, then `lhs`.
  public static func * (lhs: ColorMatrix, rhs: ColorMatrix) -> ColorMatrix {
    var out = [Float](repeating: 0, count: 9)
    for i in 0..<3 {
      for j in 0..<3 {
        for k in 0..<3 { out[i * 3 + j] += lhs.rows[i * 3 + k] * rhs.rows[k * 3 + j] }
      }
    }
    return ColorMatrix(rows: out)
  }
}
