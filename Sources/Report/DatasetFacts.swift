// dataset.json: what TrainNvidia's preparation planned and stored, for the report's Dataset section.
// One Codable type shared by the writer (TrainNvidia --report-dir) and the reader (ReportFolder).

/// Facts about the prepared dataset. Every field is optional: files from earlier builds lack
/// `reused_store`, and a reader shows "-" for whatever a file does not say.
public struct DatasetFacts: Codable, Sendable, Equatable {
  /// The sample store's path.
  public var store: String?
  /// (height, width, channels) of the stored uint8 images.
  public var imageShape: [Int]?
  /// The recordings-and-options fingerprint the store was prepared under.
  public var fingerprint: String?
  /// True when an existing store with the same fingerprint was used as it was.
  public var reusedStore: Bool?
  public var recordings: Int?
  public var rowsRead: Int?
  public var rowsSkipped: Int?
  public var trainRows: Int?
  public var validationRows: Int?
  public var droppedNearZero: Int?
  /// Stored samples of the `train` and `validation` splits.
  public var samplesTrain: Int?
  public var samplesValidation: Int?
  /// Steering histogram counts (SteeringHistogram's bins).
  public var histogramRecorded: [Int]?
  public var histogramBalanced: [Int]?
  public var histogramAugmented: [Int]?
  public var histogramValidation: [Int]?
  /// The preparation options, as the sorted JSON the store's metadata holds.
  public var options: String?

  public init() {}

  enum CodingKeys: String, CodingKey {
    case store, fingerprint, recordings, options
    case imageShape = "image_shape"
    case reusedStore = "reused_store"
    case rowsRead = "rows_read"
    case rowsSkipped = "rows_skipped"
    case trainRows = "train_rows"
    case validationRows = "validation_rows"
    case droppedNearZero = "dropped_near_zero"
    case samplesTrain = "samples_train"
    case samplesValidation = "samples_validation"
    case histogramRecorded = "histogram_recorded"
    case histogramBalanced = "histogram_balanced"
    case histogramAugmented = "histogram_augmented"
    case histogramValidation = "histogram_validation"
  }
}
