// Plane geometry in metres: x east, y north, headings in radians counter-clockwise from +x.
import Foundation

/// A point or direction in the ground plane.
public struct Vec2: Sendable, Hashable, Codable {
  public var x: Double
  public var y: Double

  public init(x: Double, y: Double) {
    self.x = x
    self.y = y
  }

  /// The unit vector at `heading` radians.
  public init(heading: Double) {
    x = cos(heading)
    y = sin(heading)
  }

  public static func + (a: Vec2, b: Vec2) -> Vec2 { Vec2(x: a.x + b.x, y: a.y + b.y) }
  public static func - (a: Vec2, b: Vec2) -> Vec2 { Vec2(x: a.x - b.x, y: a.y - b.y) }
  public static func * (a: Vec2, k: Double) -> Vec2 { Vec2(x: a.x * k, y: a.y * k) }
  public static func * (k: Double, a: Vec2) -> Vec2 { Vec2(x: a.x * k, y: a.y * k) }

  public func dot(_ o: Vec2) -> Double { x * o.x + y * o.y }
  /// z of the 3-D cross product: positive when `o` is counter-clockwise from `self`.
  public func cross(_ o: Vec2) -> Double { x * o.y - y * o.x }
  public var length: Double { (x * x + y * y).squareRoot() }
  public var heading: Double { atan2(y, x) }
  /// Rotated 90 degrees counter-clockwise (the left normal).
  public var leftNormal: Vec2 { Vec2(x: -y, y: x) }
}

/// `angle` wrapped into (-pi, pi].
@inline(__always)
package func wrapAngle(_ angle: Double) -> Double {
  var a = angle.truncatingRemainder(dividingBy: 2 * .pi)
  if a > .pi { a -= 2 * .pi }
  if a <= -.pi { a += 2 * .pi }
  return a
}
