// A track's centre line as a dense arc-length polyline, with the queries the car, the expert and
// the evaluation need: nearest point, cross-track error, progress along the lap.
import Foundation

/// Where a point is relative to the centre line.
public struct TrackLocation: Sendable, Equatable {
  /// Index of the polyline segment holding the nearest point.
  public var segment: Int
  /// Arc length of the nearest point from the start line, in [0, length).
  public var s: Double
  /// Signed distance from the centre line (cross-track error), positive to the left of travel.
  public var lateral: Double
  /// Nearest point on the centre line.
  public var point: Vec2
  /// Direction of travel there.
  public var heading: Double
}

/// A closed track ready to drive: the spec plus its centre line sampled every `spacing` metres.
public final class Track: Sendable {
  public let spec: TrackSpec
  /// Centre-line samples, closed: the segment after the last point returns to the first.
  public let points: [Vec2]
  /// Arc length at each sample.
  public let arcLength: [Double]
  /// Heading of travel at each sample.
  public let headings: [Double]
  /// Signed curvature (1/m, positive turning left) at each sample.
  public let curvatures: [Double]
  /// Lap length in metres.
  public let length: Double
  public var halfWidth: Double { spec.roadWidth / 2 }
  public var name: String { spec.name }

  /// Nominal spacing of the centre-line samples.
  public static let spacing = 0.5

  public init(spec: TrackSpec) throws {
    try spec.validate()
    self.spec = spec
    let control = spec.controlPoints.map { Vec2(x: $0[0], y: $0[1]) }
    let dense = catmullRomClosed(control, samplesPerSegment: 32)
    let pts = resampleClosed(dense, spacing: Track.spacing)
    guard pts.count >= 16 else { throw SimulatorError.invalidTrack("\(spec.name): centre line too short") }
    let n = pts.count
    var s = [Double](repeating: 0, count: n)
    for i in 1..<n { s[i] = s[i - 1] + (pts[i] - pts[i - 1]).length }
    let total = s[n - 1] + (pts[0] - pts[n - 1]).length
    var h = [Double](repeating: 0, count: n)
    var k = [Double](repeating: 0, count: n)
    for i in 0..<n {
      let prev = pts[(i + n - 1) % n]
      let next = pts[(i + 1) % n]
      h[i] = (next - prev).heading
    }
    for i in 0..<n {
      // Curvature from the heading change over +-4 samples (smooths the spline's sampling noise).
      let a = h[(i + n - 4) % n]
      let b = h[(i + 4) % n]
      k[i] = wrapAngle(b - a) / (8 * Track.spacing)
    }
    points = pts
    arcLength = s
    headings = h
    curvatures = k
    length = total
    try checkSelfClearance()
  }

  /// A built-in track by name, or a JSON file when `name` ends in `.json`.
  public convenience init(named name: String) throws {
    if name.hasSuffix(".json") {
      try self.init(spec: TrackSpec.load(from: URL(fileURLWithPath: name)))
    } else {
      try self.init(spec: TrackLibrary.load(named: name))
    }
  }

  /// The same track driven the other way round (the start line stays where it is).
  public func reversed() throws -> Track {
    var spec = self.spec
    let first = spec.controlPoints[0]
    spec.controlPoints = [first] + spec.controlPoints.dropFirst().reversed()
    return try Track(spec: spec)
  }

  /// The road must not run into itself: centre-line points far apart along the lap stay a road
  /// width plus verges apart in space.
  private func checkSelfClearance() throws {
    let n = points.count
    let stride = 4
    let minGap = spec.roadWidth + 4
    for i in Swift.stride(from: 0, to: n, by: stride) {
      for j in Swift.stride(from: i + stride, to: n, by: stride) {
        let along = min(abs(arcLength[j] - arcLength[i]), length - abs(arcLength[j] - arcLength[i]))
        guard along > 3 * minGap else { continue }
        if (points[i] - points[j]).length < minGap {
          throw SimulatorError.invalidTrack(
            "\(spec.name): the road comes within \(minGap) m of itself near (\(Int(points[i].x)), \(Int(points[i].y)))"
          )
        }
      }
    }
  }

  /// Nearest point of the centre line to `p`. With `hint` (the previous segment) only nearby
  /// segments are searched, falling back to the whole lap when the point is far from them.
  public func locate(_ p: Vec2, hint: Int? = nil) -> TrackLocation {
    let n = points.count
    if let hint {
      let window = 40
      let local = nearest(p, from: hint - window, to: hint + window)
      if abs(local.lateral) < 3 * spec.roadWidth, local.segment != (hint - window + n) % n,
        local.segment != (hint + window) % n
      {
        return local
      }
    }
    return nearest(p, from: 0, to: n - 1)
  }

  // Reference search over segments from...to (indices taken modulo the sample count).
  private func nearest(_ p: Vec2, from: Int, to: Int) -> TrackLocation {
    let n = points.count
    var best = TrackLocation(segment: 0, s: 0, lateral: .infinity, point: p, heading: 0)
    var bestDistance = Double.infinity
    for raw in from...to {
      let i = ((raw % n) + n) % n
      let a = points[i]
      let b = points[(i + 1) % n]
      let ab = b - a
      let len2 = ab.dot(ab)
      let t = len2 > 0 ? min(max((p - a).dot(ab) / len2, 0), 1) : 0
      let q = a + ab * t
      let d = (p - q).length
      if d < bestDistance {
        bestDistance = d
        let side: Double = ab.cross(p - q) >= 0 ? 1 : -1
        let segLength = len2.squareRoot()
        var s = arcLength[i] + t * segLength
        if s >= length { s -= length }
        best = TrackLocation(segment: i, s: s, lateral: side * d, point: q, heading: ab.heading)
      }
    }
    return best
  }

  /// Centre-line point and heading at arc length `s` (any real number; wraps around the lap).
  public func pose(at s: Double) -> (point: Vec2, heading: Double) {
    var u = s.truncatingRemainder(dividingBy: length)
    if u < 0 { u += length }
    let i = segmentIndex(at: u)
    let n = points.count
    let a = points[i]
    let b = points[(i + 1) % n]
    let segLength = (b - a).length
    let t = segLength > 0 ? (u - arcLength[i]) / segLength : 0
    return (a + (b - a) * t, (b - a).heading)
  }

  /// Signed curvature at arc length `s`.
  public func curvature(at s: Double) -> Double {
    var u = s.truncatingRemainder(dividingBy: length)
    if u < 0 { u += length }
    return curvatures[segmentIndex(at: u)]
  }

  private func segmentIndex(at u: Double) -> Int {
    // Binary search: last sample with arcLength <= u.
    var lo = 0
    var hi = arcLength.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if arcLength[mid] <= u { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }

  /// Axis-aligned bounds of the centre line: (min, max).
  public var bounds: (min: Vec2, max: Vec2) {
    var lo = Vec2(x: .infinity, y: .infinity)
    var hi = Vec2(x: -.infinity, y: -.infinity)
    for p in points {
      lo = Vec2(x: min(lo.x, p.x), y: min(lo.y, p.y))
      hi = Vec2(x: max(hi.x, p.x), y: max(hi.y, p.y))
    }
    return (lo, hi)
  }
}

/// Closed centripetal Catmull-Rom spline through `control` (no cusps or self-loops between points).
func catmullRomClosed(_ control: [Vec2], samplesPerSegment: Int) -> [Vec2] {
  let n = control.count
  var out: [Vec2] = []
  out.reserveCapacity(n * samplesPerSegment)
  for i in 0..<n {
    let p0 = control[(i + n - 1) % n]
    let p1 = control[i]
    let p2 = control[(i + 1) % n]
    let p3 = control[(i + 2) % n]
    // Knot spacing: square root of chord length (alpha = 0.5).
    let t0 = 0.0
    let t1 = t0 + max((p1 - p0).length.squareRoot(), 1e-6)
    let t2 = t1 + max((p2 - p1).length.squareRoot(), 1e-6)
    let t3 = t2 + max((p3 - p2).length.squareRoot(), 1e-6)
    for k in 0..<samplesPerSegment {
      let t = t1 + (t2 - t1) * Double(k) / Double(samplesPerSegment)
      let a1 = p0 * ((t1 - t) / (t1 - t0)) + p1 * ((t - t0) / (t1 - t0))
      let a2 = p1 * ((t2 - t) / (t2 - t1)) + p2 * ((t - t1) / (t2 - t1))
      let a3 = p2 * ((t3 - t) / (t3 - t2)) + p3 * ((t - t2) / (t3 - t2))
      let b1 = a1 * ((t2 - t) / (t2 - t0)) + a2 * ((t - t0) / (t2 - t0))
      let b2 = a2 * ((t3 - t) / (t3 - t1)) + a3 * ((t - t1) / (t3 - t1))
      out.append(b1 * ((t2 - t) / (t2 - t1)) + b2 * ((t - t1) / (t2 - t1)))
    }
  }
  return out
}

/// Resamples a closed polyline at (nearly) uniform arc-length `spacing`.
func resampleClosed(_ pts: [Vec2], spacing: Double) -> [Vec2] {
  let n = pts.count
  var total = 0.0
  for i in 0..<n { total += (pts[(i + 1) % n] - pts[i]).length }
  let count = max(Int((total / spacing).rounded()), 3)
  let step = total / Double(count)
  var out: [Vec2] = [pts[0]]
  out.reserveCapacity(count)
  var target = step
  var travelled = 0.0
  for i in 0..<n where out.count < count {
    let a = pts[i]
    let b = pts[(i + 1) % n]
    let seg = (b - a).length
    while travelled + seg >= target, out.count < count {
      let t = (target - travelled) / seg
      out.append(a + (b - a) * t)
      target += step
    }
    travelled += seg
  }
  return out
}
