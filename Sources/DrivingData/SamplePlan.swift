// Which images become training samples, with which labels: the seed's plan (three cameras, each
// also flipped), the train/validation split, temporal samples and balancing.
import TensorCore

/// A row of one recording.
public struct RowReference: Sendable, Hashable, Comparable {
  public var recording: Int
  public var row: Int

  public init(recording: Int, row: Int) {
    self.recording = recording
    self.row = row
  }

  public static func < (a: Self, b: Self) -> Bool { (a.recording, a.row) < (b.recording, b.row) }
}

/// One image to store: the source image (row + camera), whether it is mirrored, which augmented
/// copy it is (0 = none), and its label.
public struct PlannedSample: Sendable, Hashable {
  public var image: RowReference
  public var camera: Camera
  public var flipped: Bool
  /// 0 for the plain image; 1... for augmented copies.
  public var copy: Int
  /// The label stored: corrected for the camera, negated if flipped, adjusted for any shift.
  public var steering: Float
  /// The label before augmentation (what the row and camera alone give).
  public var plainSteering: Float
  public var augmentation: Augmentation?

  public var provenance: SampleProvenance {
    SampleProvenance(
      recording: Int32(image.recording), row: Int32(image.row), camera: camera, flipped: flipped)
  }
}

/// How rows turn into samples. Defaults are the seed's choices.
public struct SamplePlanOptions: Sendable, Hashable, Codable {
  /// Cameras used; side cameras get `+correction` (left) and `-correction` (right).
  public var cameras: [Camera] = [.center, .left, .right]
  /// Steering correction of the side cameras (seed 0.1; NVIDIA-style projects often use 0.2).
  public var correction: Float = 0.1

  /// The label of a row's `steering` for the image of `camera`: the left camera sees the car too far
  /// left, so it should steer right (+correction); the right camera, -correction.
  public func steering(_ steering: Float, seenBy camera: Camera) -> Float {
    switch camera {
    case .center: steering
    case .left: steering + correction
    case .right: steering - correction
    }
  }
  /// Also store every image mirrored with the steering negated.
  public var flip = true
  /// Temporal samples: rows i-1...i-window of the same recording and split again, labelled with
  /// row i's steering (the seed used 4, across recordings and before the split; 0 = off).
  public var temporalWindow = 0
  /// Temporal samples never bridge a pause longer than this (seconds between the two frames, read
  /// from the image names; the simulator appends new sessions to the same CSV).
  public var temporalMaxGap: Float = 1
  /// Fraction of validation rows.
  public var validationFraction: Float = 0.2
  /// Split whole recordings instead of rows (no near-duplicate frames on both sides).
  public var splitByRecording = false
  /// Balancing (training split only): keep this share of rows with |steering| <= `nearZero`.
  public var keepNearZero: Float = 1
  public var nearZero: Float = 0.01

  public init() {}
}

/// The planned samples of both splits, in storage order.
public struct SamplePlan: Sendable {
  public var train: [PlannedSample]
  public var validation: [PlannedSample]
  public var trainRows: [RowReference]
  public var validationRows: [RowReference]
  /// Training rows dropped by balancing.
  public var droppedNearZero: Int

  public func samples(_ split: String) -> [PlannedSample] { split == "validation" ? validation : train }
}

public enum SamplePlanner {
  /// Plans samples for `recordings` under `seed`. Rows are split first; temporal samples,
  /// balancing and augmentation happen inside each split. Storage order is a seeded shuffle of
  /// rows, each row's samples together (so each image is decoded once).
  public static func plan(
    _ recordings: [Recording], options: SamplePlanOptions, augmentation: AugmentationOptions = .init(),
    seed: UInt64
  ) -> SamplePlan {
    let (trainRows, validationRows) = split(recordings, options: options, seed: seed)
    var dropped = 0
    var balanced = trainRows
    if options.keepNearZero < 1 {
      balanced = trainRows.filter { ref in
        let steering = recordings[ref.recording].rows[ref.row].steering
        if abs(steering) > options.nearZero { return true }
        var random = SplitMix64(seed: seed, 0xBA1A_4CE, UInt64(ref.recording), UInt64(ref.row))
        if random.nextUnitFloat() < options.keepNearZero { return true }
        dropped += 1
        return false
      }
    }
    let train = samples(balanced, recordings, options, augmentation, seed: seed ^ 1)
    var plain = augmentation
    plain.copies = 0
    let validation = samples(validationRows, recordings, options, plain, seed: seed ^ 2)
    return SamplePlan(
      train: train, validation: validation, trainRows: balanced, validationRows: validationRows,
      droppedNearZero: dropped)
  }

  /// Train and validation rows (each sorted), chosen by `seed`.
  public static func split(_ recordings: [Recording], options: SamplePlanOptions, seed: UInt64) -> (
    [RowReference], [RowReference]
  ) {
    var random = SplitMix64(seed: seed, 0x5EED_5917)
    let all = recordings.enumerated().flatMap { r, recording in
      recording.rows.indices.map { RowReference(recording: r, row: $0) }
    }
    let fraction = min(max(options.validationFraction, 0), 1)
    var validation = Set<RowReference>()
    if options.splitByRecording {
      var order = Array(recordings.indices)
      random.shuffle(&order)
      let target = Int((Float(all.count) * fraction).rounded())
      for r in order where validation.count < target {
        // A recording goes to validation only if that does not overshoot more than undershoot.
        let size = recordings[r].rows.count
        if validation.count + size - target <= target - validation.count || validation.isEmpty {
          for row in recordings[r].rows.indices { validation.insert(RowReference(recording: r, row: row)) }
        }
      }
    } else {
      var shuffled = all
      random.shuffle(&shuffled)
      validation = Set(shuffled.prefix(Int((Float(all.count) * fraction).rounded())))
    }
    return (all.filter { !validation.contains($0) }, all.filter { validation.contains($0) })
  }

  /// Samples of `rows` (one split), grouped by source row in a seeded order.
  static func samples(
    _ rows: [RowReference], _ recordings: [Recording], _ options: SamplePlanOptions,
    _ augmentation: AugmentationOptions, seed: UInt64
  ) -> [PlannedSample] {
    let copies = max(0, augmentation.copies)
    let members = Set(rows)
    // Temporal: image of row i-k carries the steering of row i (same recording, same split).
    var labels: [RowReference: [Float]] = [:]
    for ref in rows {
      let steering = recordings[ref.recording].rows[ref.row].steering
      labels[ref, default: []].append(steering)
      if options.temporalWindow > 0 {
        for k in 1...options.temporalWindow {
          let earlier = RowReference(recording: ref.recording, row: ref.row - k)
          guard earlier.row >= 0 && members.contains(earlier) else { continue }
          let rows = recordings[ref.recording].rows
          if let now = rows[ref.row].timestamp, let then = rows[earlier.row].timestamp,
            now - then > Double(options.temporalMaxGap) || now < then
          {
            continue
          }
          labels[earlier, default: []].append(steering)
        }
      }
    }
    var order = rows
    var random = SplitMix64(seed: seed, 0x04DE_4)
    random.shuffle(&order)
    var planned: [PlannedSample] = []
    planned.reserveCapacity(rows.count * options.cameras.count * (options.flip ? 2 : 1) * (copies + 1))
    for ref in order {
      for (label, steering) in (labels[ref] ?? []).enumerated() {
        for camera in options.cameras {
          let corrected = options.steering(steering, seenBy: camera)
          for flipped in options.flip ? [false, true] : [false] {
            let plain = flipped ? -corrected : corrected
            for copy in 0...copies {
              var sample = PlannedSample(
                image: ref, camera: camera, flipped: flipped, copy: copy, steering: plain,
                plainSteering: plain,
                augmentation: nil)
              if copy > 0 {
                var random = SplitMix64(
                  seed: seed, UInt64(ref.recording), UInt64(ref.row), UInt64(label), UInt64(camera.rawValue),
                  flipped ? 1 : 0, UInt64(copy))
                let drawn = Augmentation(options: augmentation, random: &random)
                sample.augmentation = drawn
                sample.steering = drawn.steering(plain, perPixel: augmentation.steeringPerPixel)
              }
              planned.append(sample)
            }
          }
        }
      }
    }
    return planned
  }
}
