import Foundation
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct H5DatasetTests {
  @Test func chunkedExtendableDeflatedRoundTripWithHyperslabs() throws {
    try withTemporaryDirectory { dir in
      let file = try H5File(creating: dir.appendingPathComponent("d.h5").path)
      let images = try file.root().createDataset(
        "images", of: UInt8.self, shape: [0, 2, 3, 1], maxShape: [nil, 2, 3, 1], chunks: [4, 2, 3, 1],
        deflate: 6)
      #expect(try images.chunkShape() == [4, 2, 3, 1])
      #expect(try images.deflateLevel() == 6)
      var expected: [UInt8] = []
      for batch in 0..<3 {  // appends of 5 rows: chunk boundaries fall inside batches
        let rows = (0..<30).map { UInt8((batch * 30 + $0) % 256) }
        try images.extend(to: [(batch + 1) * 5, 2, 3, 1])
        try images.write(rows, start: [batch * 5, 0, 0, 0], count: [5, 2, 3, 1])
        expected += rows
      }
      #expect(try images.shape() == [15, 2, 3, 1])
      #expect(try images.read(as: UInt8.self) == expected)
      #expect(try images.read(as: UInt8.self, rows: 3..<9) == Array(expected[18..<54]))
      // An inner hyperslab: rows 2..<4, second image row, all columns.
      let inner = try images.read(as: UInt8.self, start: [2, 1, 0, 0], count: [2, 1, 3, 1])
      #expect(inner == [15, 16, 17, 21, 22, 23].map { expected[$0] })
      // HDF5 converts on read.
      #expect(try images.read(as: Float.self, rows: 0..<1) == expected[0..<6].map { Float($0) })
      try images.extend(to: [10, 2, 3, 1])  // shrinking truncates
      #expect(try images.read(as: UInt8.self).count == 60)
    }
  }

  @Test func outOfRangeAndWrongSizeAreErrorsNotCrashes() throws {
    try withTemporaryDirectory { dir in
      let root = try H5File(creating: dir.appendingPathComponent("d.h5").path).root()
      let d = try root.createDataset("d", values: [Float](repeating: 1, count: 12), shape: [3, 4])
      #expect(throws: H5StoreError.self) { try d.read(as: Float.self, rows: 2..<4) }
      #expect(throws: H5StoreError.self) { try d.read(as: Float.self, start: [0], count: [3]) }
      #expect(throws: H5StoreError.self) { try d.write([Float(1), 2], start: [0, 0], count: [1, 4]) }
      #expect(throws: H5StoreError.self) { try d.extend(to: [4, 4]) }  // contiguous: fixed extent
      #expect(try d.chunkShape() == nil)
      #expect(try d.deflateLevel() == nil)
    }
  }

  @Test func everyElementTypeRoundTrips() throws {
    try withTemporaryDirectory { dir in
      let root = try H5File(creating: dir.appendingPathComponent("d.h5").path).root()
      func check<T: H5Element & Equatable>(_ values: [T]) throws {
        let d = try root.createDataset("\(T.h5TypeName)", values: values, shape: [values.count])
        #expect(try d.read(as: T.self) == values)
      }
      try check([UInt8(0), 255])
      try check([Int8(-128), 127])
      try check([Int32.min, Int32.max])
      try check([UInt32.max, 0])
      try check([Int64.min, Int64.max])
      try check([UInt64.max, 1])
      try check([Float(-1.5), .greatestFiniteMagnitude])
      try check([Double.pi, -0.0])
      let scalar = try root.createDataset("scalar", of: Int64.self, shape: [])
      try scalar.write([Int64(1234)])
      #expect(try scalar.read(as: Int64.self) == [1234])
    }
  }
}
