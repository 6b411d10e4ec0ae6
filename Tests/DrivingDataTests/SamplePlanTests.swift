import TensorCore
import TestSupport
import Testing

@testable import DrivingData

/// Recordings with made-up rows (no files): planning never touches images.
func syntheticRecordings(
  _ sizes: [Int], steering: (Int, Int) -> Float = { r, i in Float((r * 7 + i) % 21 - 10) / 10 }
) -> [Recording] {
  sizes.enumerated().map { r, size in
    Recording(
      csvPath: "/data/run\(r).csv",
      rows: (0..<size).map { i in
        DrivingLogRow(
          center: "/c\(r)_\(i)", left: "/l\(r)_\(i)", right: "/r\(r)_\(i)", steering: steering(r, i),
          throttle: 0, brake: 0, speed: 20, line: i + 1)
      })
  }
}

@Suite("Sample plan")
struct SamplePlanTests {
  @Test func seedPlanIsSixImagesPerRowWithCorrections() {
    let recordings = syntheticRecordings([10])
    var options = SamplePlanOptions()
    options.validationFraction = 0
    let plan = SamplePlanner.plan(recordings, options: options, seed: 3)
    #expect(plan.train.count == 60 && plan.validation.isEmpty)
    let row = recordings[0].rows[4]
    let of4 = plan.train.filter { $0.image.row == 4 }
    #expect(of4.count == 6)
    let labels = Dictionary(uniqueKeysWithValues: of4.map { ("\($0.camera)\($0.flipped)", $0.steering) })
    #expect(labels["centerfalse"] == row.steering && labels["centertrue"] == -row.steering)
    #expect(labels["leftfalse"] == row.steering + 0.1 && labels["lefttrue"] == -(row.steering + 0.1))
    #expect(labels["rightfalse"] == row.steering - 0.1 && labels["righttrue"] == -(row.steering - 0.1))
    // A row's samples are stored together (one decode per image), rows in a seeded order.
    #expect(PreparationWorker.groups(plan.train).count == 10)
    #expect(plan.train.map(\.image.row) != plan.train.map(\.image.row).sorted())
  }

  @Test func splitIsSeededDisjointAndNeverByImage() {
    let recordings = syntheticRecordings([40, 35, 25])
    let options = SamplePlanOptions()
    let (train, validation) = SamplePlanner.split(recordings, options: options, seed: 11)
    #expect(validation.count == 20 && train.count == 80)
    #expect(Set(train).isDisjoint(with: Set(validation)))
    let again = SamplePlanner.split(recordings, options: options, seed: 11)
    #expect(again.0 == train && again.1 == validation)
    #expect(SamplePlanner.split(recordings, options: options, seed: 12).1 != validation)
    // Every image of a row lands in the row's split.
    let plan = SamplePlanner.plan(recordings, options: options, seed: 11)
    #expect(Set(plan.train.map(\.image)).isDisjoint(with: Set(plan.validation.map(\.image))))
  }

  @Test func splitByRecordingKeepsRecordingsWhole() {
    let recordings = syntheticRecordings([40, 20, 20, 20])
    var options = SamplePlanOptions()
    options.splitByRecording = true
    let (train, validation) = SamplePlanner.split(recordings, options: options, seed: 5)
    let validationRecordings = Set(validation.map(\.recording))
    #expect(Set(train.map(\.recording)).isDisjoint(with: validationRecordings))
    #expect(validation.count == 20)  // one 20-row recording is the closest to 20%
  }

  @Test func temporalSamplesStayInsideRecordingAndSplit() {
    let recordings = syntheticRecordings([12, 9])
    var options = SamplePlanOptions()
    options.temporalWindow = 4
    options.cameras = [.center]
    options.flip = false
    let plan = SamplePlanner.plan(recordings, options: options, seed: 2)
    let trainRows = Set(plan.trainRows)
    for split in [plan.train, plan.validation] {
      let rows = Set(split.map(\.image))
      for sample in split {
        // Each label is the steering of this row or of a later row (<= 4 ahead) in the same recording and split.
        let recording = recordings[sample.image.recording]
        let candidates = (0...4).compactMap { k -> Float? in
          let later = sample.image.row + k
          guard later < recording.rows.count,
            rows.contains(RowReference(recording: sample.image.recording, row: later))
          else { return nil }
          return recording.rows[later].steering
        }
        #expect(candidates.contains(sample.steering))
      }
    }
    // Row count: each row once plus one extra per earlier in-split neighbour within 4.
    var expected = 0
    for ref in plan.trainRows {
      expected +=
        1
        + (1...4).filter { k in trainRows.contains(RowReference(recording: ref.recording, row: ref.row - k)) }
        .count
    }
    #expect(plan.train.count == expected)
  }

  @Test func timestampsComeFromImageNamesAndTemporalSamplesSkipPauses() {
    let early = DrivingLogRow(
      center: #"C:\x\IMG\center_2017_12_31_23_59_59_950.jpg"#, left: "", right: "", steering: 0, throttle: 0,
      brake: 0, speed: 0)
    let late = DrivingLogRow(
      center: "/d/IMG/center_2018_01_01_00_00_00_020.jpg", left: "", right: "", steering: 0, throttle: 0,
      brake: 0, speed: 0)
    #expect(abs(late.timestamp! - early.timestamp! - 0.07) < 1e-6)
    #expect(
      DrivingLogRow(
        center: "/d/IMG/frame7.jpg", left: "", right: "", steering: 0, throttle: 0, brake: 0, speed: 0
      ).timestamp == nil)
    #expect(
      daysFromCivil(year: 1970, month: 1, day: 1) == 0
        && daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
    // Rows 1/15 s apart, with a 5 s pause between row 4 and row 5.
    var recording = syntheticRecordings([10])[0]
    for i in recording.rows.indices {
      let ms = i * 66 + (i >= 5 ? 5000 : 0)
      let stamp =
        "2018_01_01_10_00_\(String(ms / 1000).leftPad(2).replacingAll(" ", "0"))_\(String(ms % 1000).leftPad(3).replacingAll(" ", "0"))"
      recording.rows[i].center = "/d/IMG/center_\(stamp).jpg"
    }
    var options = SamplePlanOptions()
    options.validationFraction = 0
    options.temporalWindow = 3
    options.cameras = [.center]
    options.flip = false
    let plan = SamplePlanner.plan([recording], options: options, seed: 1)
    // Without the pause: 10 + 9 + 8 + 7 = 34; pairs crossing it (1 + 2 + 3 = 6) are left out.
    #expect(plan.train.count == 28)
    let images4 = plan.train.filter { $0.image.row == 4 }.map(\.steering)
    #expect(images4 == [recording.rows[4].steering])
  }

  @Test func balancingDropsAShareOfNearZeroTrainingRowsOnly() {
    // 70% zeros like a keyboard recording.
    let recordings = syntheticRecordings([1000]) { _, i in i % 10 < 7 ? 0 : 0.5 }
    var options = SamplePlanOptions()
    options.keepNearZero = 0.25
    let plan = SamplePlanner.plan(recordings, options: options, seed: 9)
    let zerosBefore = 700 - plan.validationRows.filter { recordings[0].rows[$0.row].steering == 0 }.count
    let trainZeros = plan.trainRows.filter { recordings[0].rows[$0.row].steering == 0 }.count
    #expect(plan.droppedNearZero + trainZeros > 0)
    let kept = Float(trainZeros) / Float(trainZeros + plan.droppedNearZero)
    #expect(abs(kept - 0.25) < 0.06)
    #expect(
      plan.trainRows.filter { recordings[0].rows[$0.row].steering != 0 }.count + trainZeros
        + plan.droppedNearZero == 800)
    #expect(zerosBefore == trainZeros + plan.droppedNearZero)
    #expect(plan.validationRows.count == 200)  // validation keeps the real distribution
  }

  @Test func augmentedCopiesShiftLabelsByThePlannedPixels() {
    let recordings = syntheticRecordings([30])
    var augmentation = AugmentationOptions()
    augmentation.copies = 2
    augmentation.maxShift = 10
    let plan = SamplePlanner.plan(
      recordings, options: SamplePlanOptions(), augmentation: augmentation, seed: 4)
    #expect(plan.train.count == 24 * 6 * 3 && plan.validation.count == 6 * 6)
    #expect(plan.validation.allSatisfy { $0.augmentation == nil })
    let copies = plan.train.filter { $0.copy > 0 }
    #expect(copies.allSatisfy { $0.augmentation != nil })
    for sample in copies {
      let shift = sample.augmentation!.shift
      #expect(abs(shift) <= 10)
      #expect(abs(sample.steering - (sample.plainSteering + Float(shift) * 0.01)) < 1e-6)
    }
    #expect(Set(copies.map { $0.augmentation!.shift }).count > 10)
    let again = SamplePlanner.plan(
      recordings, options: SamplePlanOptions(), augmentation: augmentation, seed: 4)
    #expect(again.train == plan.train)
  }
}
