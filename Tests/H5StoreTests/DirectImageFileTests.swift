import Foundation
import TensorCore
import Testing

@testable import HDF5
@testable import SampleStore

@Suite struct DirectImageFileTests {
  @Test func everyImageReadDirectlyIsTheImageHDF5Reads() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 45, chunk: 8)
      let file = try #require(try DirectImageFile.forStore(store, split: "train"))
      var image = [UInt8](repeating: 0, count: store.imageBytes)
      for index in 0..<45 {
        try image.withUnsafeMutableBytes {
          try file.read(chunk: index / 8, index: index % 8, into: $0.baseAddress!)
        }
        #expect(image == (try store.images(of: "train", range: index..<(index + 1))), "image \(index)")
      }
    }
  }

  @Test func aCompressedStoreIsReadThroughHDF5() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 45, chunk: 8, deflate: 4)
      #expect(try DirectImageFile.forStore(store, split: "train") == nil)
      let loader = try ShuffledLoader(store: store, split: "train", seed: 1, shuffleBufferChunks: 2)
      #expect(!loader.readsDirectly)
      let (order, _) = try drain(try loader.makeEpoch(0, batchSize: 4))
      #expect(order == loader.epochOrder(0))
    }
  }

  @Test func aFileCutShortAfterOpeningIsAnErrorNotACrash() throws {
    try withTemporaryDirectory { dir in
      let store = try makeStore(dir, count: 45, chunk: 8)
      let file = try #require(try DirectImageFile.forStore(store, split: "train"))
      let size = try #require(try FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int)
      let handle = try #require(FileHandle(forWritingAtPath: store.path))
      try handle.truncate(atOffset: UInt64(size / 2))
      try handle.close()
      var image = [UInt8](repeating: 0, count: store.imageBytes)
      #expect(throws: H5StoreError.self) {
        try image.withUnsafeMutableBytes { try file.read(chunk: 5, index: 4, into: $0.baseAddress!) }
      }
    }
  }
}
