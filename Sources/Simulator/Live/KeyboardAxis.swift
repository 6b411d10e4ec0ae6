// Keyboard steering and throttle as the Unity simulator's car receives them: Unity's Input Manager
// turns a key into an axis that moves toward the key's target at `sensitivity` units a second,
// falls back to 0 at `gravity` units a second when released, and snaps to 0 when the opposite key
// is pressed. Done in the simulator, in simulated time, so a recording does not depend on the
// browser's frame rate.

/// One virtual axis (-1...1) driven by a pair of keys.
package struct KeyboardAxis: Sendable, Equatable {
  /// Units per second toward a pressed key's target (Unity's default: 3).
  package var sensitivity = 3.0
  /// Units per second back toward 0 with no key (Unity's default: 3).
  package var gravity = 3.0
  package private(set) var value = 0.0

  package init() {}

  /// Moves the axis for `dt` seconds toward `target` (-1, 0 or 1).
  package mutating func update(target: Double, dt: Double) {
    if target != 0, value != 0, (target > 0) != (value > 0) { value = 0 }  // snap
    let rate = target == 0 ? gravity : sensitivity
    let step = rate * dt
    value += min(max(target - value, -step), step)
  }

  /// Sets the axis directly (a gamepad stick: Unity passes joystick axes through unsmoothed).
  package mutating func set(_ v: Double) { value = min(max(v, -1), 1) }
}
