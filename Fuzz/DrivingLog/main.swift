// libFuzzer target: driving_log.csv bytes -> RecordingReader's row parser (no image lookups), then
// each row's timestamp from its image name.
import DrivingData
import FuzzSupport

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: count))
  var summary = RecordingSummary()
  guard
    let recording = try? RecordingReader.parse(
      bytes, csvPath: "/fuzz/driving_log.csv", checkImages: false, summary: &summary)
  else { return 0 }
  for row in recording.rows { _ = row.timestamp }
  return 0
}

runLibFuzzer(fuzzOneInput)
