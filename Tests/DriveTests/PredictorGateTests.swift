import ConvNet
import Dispatch
import DrivingData
import Foundation
import ModelFile
import Synchronization
import Testing

@testable import Drive

/// The predictor pool: frames run on several predictors at once, never one predictor on two
/// threads, a ConvNet model splits a frame only while it is alone, and saliency works from a pool.
@Suite struct PredictorGateTests {
  /// Counts how many calls are inside predictors at once; with `meet` > 1, calls wait (up to a
  /// time-out, not a measurement) in groups of `meet`: call a (1-based) returns once `meet` *
  /// ceil(a / meet) calls have arrived, which they can only while it is still inside.
  final class Meeting: Sendable {
    let state = Mutex((inside: 0, most: 0, arrived: 0, reentered: false, timedOut: false))
    let meet: Int
    init(meet: Int) { self.meet = meet }
  }

  final class Flag: Sendable {
    let value = Mutex(false)
  }

  struct MeetingPredictor: SteeringPredictor {
    let meeting: Meeting
    let busy = Flag()  // set while this predictor is in a call: a second entry is a bug

    mutating func steering(for image: RGBImage) throws -> Float {
      let reentered = busy.value.withLock { was in
        defer { was = true }
        return was
      }
      if reentered { meeting.state.withLock { $0.reentered = true } }
      defer { busy.value.withLock { $0 = false } }
      let arrival = meeting.state.withLock {
        $0.inside += 1
        $0.most = max($0.most, $0.inside)
        $0.arrived += 1
        return $0.arrived
      }
      defer { meeting.state.withLock { $0.inside -= 1 } }
      let group = (arrival + meeting.meet - 1) / meeting.meet * meeting.meet
      let deadline = Date().addingTimeInterval(10)
      while meeting.meet > 1, meeting.state.withLock({ $0.arrived }) < group {
        if Date() > deadline {
          meeting.state.withLock { $0.timedOut = true }
          break
        }
        usleep(100)
      }
      return 0.5
    }
  }

  static let image = RGBImage(width: 320, height: 160)

  /// Runs body(i) for i in 0..<count on as many new threads at once (concurrentPerform may run
  /// iterations one after another on a busy machine, and two frames that must meet would not).
  static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchGroup()
    for i in 0..<count {
      done.enter()
      Thread.detachNewThread {
        body(i)
        done.leave()
      }
    }
    done.wait()
  }

  @Test func twoPredictorsServeTwoFramesAtOnce() {
    let meeting = Meeting(meet: 2)
    let gate = PredictorGate((0..<2).map { _ in MeetingPredictor(meeting: meeting) })
    #expect(gate.count == 2)
    // Rounds of two frames: each frame returns only once the other has arrived too.
    for _ in 0..<10 {
      Self.onThreads(2) { _ in _ = try? gate.steering(for: Self.image) }
    }
    let state = meeting.state.withLock { $0 }
    #expect(state.arrived == 20)
    #expect(!state.timedOut, "two frames did not run at the same time")
    #expect(state.most == 2)
    #expect(!state.reentered)
  }

  @Test func neverMoreFramesInsideThanPredictors() {
    let meeting = Meeting(meet: 1)
    let gate = PredictorGate((0..<2).map { _ in MeetingPredictor(meeting: meeting) })
    let answers = Mutex(0)
    Self.onThreads(8) { _ in
      for _ in 0..<200 where (try? gate.steering(for: Self.image)) == 0.5 { answers.withLock { $0 += 1 } }
    }
    let state = meeting.state.withLock { $0 }
    #expect(answers.withLock { $0 } == 1600)
    #expect(state.most <= 2)
    #expect(!state.reentered, "one predictor was called from two threads at once")
  }

  @Test func aModelSplitsOnlyAFrameThatIsAlone() throws {
    let model = try Sequential.seedModel(seed: 2, dropout: 0, threads: 1)
    model.singleImageThreads = 2
    let gate = PredictorGate([try SequentialPredictor(model: model, pipeline: .seed)])
    var frame = RGBImage(width: 320, height: 160)
    for i in frame.pixels.indices { frame.pixels[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
    gate.beginFrame()
    let alone = try gate.steering(for: frame)
    #expect(gate.splitThreadsInUse == [2])
    gate.beginFrame()  // a second car's frame arrives while the first is in flight
    let together = try gate.steering(for: frame)
    #expect(gate.splitThreadsInUse == [1])
    gate.endFrame()
    gate.endFrame()
    gate.beginFrame()
    let againAlone = try gate.steering(for: frame)
    #expect(gate.splitThreadsInUse == [2])
    gate.endFrame()
    #expect(alone.bitPattern == together.bitPattern && alone.bitPattern == againAlone.bitPattern)

    // A model configured not to split never does.
    let plain = try Sequential.seedModel(seed: 2, dropout: 0, threads: 1)
    let plainGate = PredictorGate([try SequentialPredictor(model: plain, pipeline: .seed)])
    plainGate.beginFrame()
    #expect(try plainGate.steering(for: frame).bitPattern == alone.bitPattern)
    #expect(plainGate.splitThreadsInUse == [1])
  }

  @Test func anEmptyPoolAnswersManual() {
    let autopilot = Autopilot(predictors: [])
    #expect(autopilot.predictorCount == 0)
    let answer = autopilot.respond(
      to: [
        [
          "steering_angle": "0", "throttle": "0", "speed": "1",
          "image": Fixtures.cameraJPEG.base64EncodedString(),
        ]
      ],
      car: autopilot.makeCar())
    #expect(answer.reply == SocketIOText.manual)
    if case .predictionFailed = answer.error {
    } else {
      Issue.record("expected predictionFailed, got \(String(describing: answer.error))")
    }
  }

  @Test(arguments: [false, true]) func aPoolAnswersEveryCarLikeOnePredictor(saliency: Bool) throws {
    func predictor() throws -> SequentialPredictor {
      let model = try Sequential.seedModel(seed: 4, dropout: 0, threads: 1)
      model.singleImageThreads = 2
      return try SequentialPredictor(model: model, pipeline: .seed)
    }
    let single =
      saliency
      ? Autopilot(saliencyPredictor: try predictor(), setSpeed: 9)
      : Autopilot(predictor: try predictor(), setSpeed: 9)
    let pool =
      saliency
      ? Autopilot(saliencyPredictors: [try predictor(), try predictor()], setSpeed: 9)
      : Autopilot(predictors: [try predictor(), try predictor()], setSpeed: 9)
    #expect(pool.predictorCount == 2 && pool.sendsSaliency == saliency)
    let image = Fixtures.cameraJPEG.base64EncodedString()
    // The telemetry event's arguments, as the server parses them.
    @Sendable func fields() -> [Any] {
      [["steering_angle": "0", "throttle": "0", "speed": "3", "image": image]]
    }
    let expected = single.respond(to: fields(), car: single.makeCar()).reply
    #expect(expected.hasPrefix(#"42["steer""#))
    #expect(expected.contains("saliency") == saliency)
    let replies = Mutex([String]())
    Self.onThreads(4) { _ in
      for _ in 0..<(saliency ? 3 : 10) {
        // A new car each time, so the throttle is the reference's first-frame throttle too.
        let reply = pool.respond(to: fields(), car: pool.makeCar()).reply
        replies.withLock { $0.append(reply) }
      }
    }
    let all = replies.withLock { $0 }
    #expect(all.count == 4 * (saliency ? 3 : 10))
    #expect(all.allSatisfy { $0 == expected }, "a pooled frame's reply differs from the single predictor's")
  }

  struct BandPredictor: SteeringPredictor {
    let band: Range<Int>?
    mutating func steering(for image: RGBImage) throws -> Float { 0 }
    func frameRows(width: Int, height: Int) -> Range<Int>? { band }
  }

  /// The gate names the rows any of its predictors reads, so the decode skips only rows none reads.
  @Test func frameRowsAreTheUnionOfThePredictorsBands() throws {
    #expect(PredictorGate([BandPredictor(band: 50..<140)]).frameRows(width: 320, height: 160) == 50..<140)
    let two = PredictorGate([BandPredictor(band: 50..<140), BandPredictor(band: 30..<100)])
    #expect(two.frameRows(width: 320, height: 160) == 30..<140)
    #expect(
      PredictorGate([BandPredictor(band: 50..<140), BandPredictor(band: nil)]).frameRows(width: 3, height: 2)
        == nil)
    let seed = try SequentialPredictor(
      model: Sequential.seedModel(seed: 1, dropout: 0, threads: 1), pipeline: .seed)
    #expect(PredictorGate([seed, seed]).frameRows(width: 320, height: 160) == 53..<145)
  }
}
