// A second driver inside the simulator during an autonomous drive: it sees every frame the
// controller is sent and may take the wheel at any physics step. DAgger's expert is one.
import DrivingData

/// Watches an autonomous drive from inside the simulator (no latency, true state).
public protocol DriveSupervisor: AnyObject {
  /// Once per frame sent to the controller, before its reply: the world as the frame shows it,
  /// the centre frame (when one was rendered) and the conditions it was rendered under.
  func observe(_ world: World, frame: RGBImage?, lighting: Lighting, effects: FrameEffects) throws
  /// The controls applied at this physics step: `commanded` (the controller's, after any latency)
  /// or the supervisor's own.
  func controls(commanded: Controls, world: World) -> Controls
}
