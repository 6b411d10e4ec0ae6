import Foundation
import Testing

@testable import HDF5
@testable import SampleStore

// The independent check: h5py wrote the fixture (Scripts/fixtures/h5store_h5py.py) and h5py reads
// what H5Store writes (when `make test` provides a Python with h5py as BC_TEST_PYTHON).
@Suite struct H5PyInteropTests {
  @Test func readsAKerasLikeFileWrittenByH5py() throws {
    let file = try H5File(opening: fixturePath("h5py_keras_like.h5"))
    let root = try file.root()
    #expect(try root.stringAttribute("keras_version") == "2.2.4")
    #expect(try root.stringAttribute("backend") == "tensorflow")
    #expect(try root.stringAttribute("description") == "steering ✓ ünïcode")
    let config = try root.stringAttribute("model_config")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any])
    #expect(json["class_name"] as? String == "Sequential")
    #expect(try root.stringAttribute("training_config").contains("\"Adam\""))

    let weights = try root.group("model_weights")
    #expect(try weights.stringArrayAttribute("layer_names") == ["conv2d_1", "dropout_1", "dense_1"])
    #expect(try weights.stringAttribute("backend") == "tensorflow")
    #expect(try weights.group("dropout_1").stringArrayAttribute("weight_names") == [])
    let conv = try weights.group("conv2d_1")
    #expect(try conv.stringArrayAttribute("weight_names") == ["conv2d_1/kernel:0", "conv2d_1/bias:0"])
    let kernel = try conv.dataset("conv2d_1/kernel:0")
    #expect(try kernel.shape() == [3, 3, 3, 4])
    #expect(try kernel.elementType() == .float(bytes: 4))
    #expect(try kernel.read(as: Float.self) == fixtureWeights(108))
    #expect(try weights.dataset("dense_1/dense_1/kernel:0").read(as: Float.self) == fixtureWeights(16))
    #expect(try weights.dataset("dense_1/dense_1/bias:0").read(as: Float.self) == fixtureWeights(2))
    #expect(try root.dataset("optimizer_weights/Adam/iterations:0").read(as: Int64.self) == [1234])

    let store = try root.group("store")
    let images = try store.dataset("images")
    #expect(try images.chunkShape() == [4, 4, 5, 3])
    #expect(try images.deflateLevel() == 4)
    #expect(try images.read(as: UInt8.self, rows: 7..<10) == (420..<600).map { UInt8($0 % 251) })
    #expect(try store.dataset("steering").read(as: Float.self) == (0..<10).map { Float($0) / 8 - 0.5 })
    #expect(try store.attribute("seed", as: Int64.self) == -42)
    #expect(try store.attribute("version", as: Int32.self) == 3)
    #expect(try store.attribute("scale", as: Double.self) == 0.25)
    #expect(try store.arrayAttribute("shape", as: Int32.self) == [128, 128, 3])
    #expect(try store.arrayAttribute("means", as: Double.self) == [0.5, -1.25])
    #expect(try store.stringArrayAttribute("names_vlen") == ["left", "centre", "right"])
  }

  @Test(.enabled(if: h5pyPython != nil, "needs BC_TEST_PYTHON with h5py"))
  func h5pyReadsAKerasLikeFileWeWrite() throws {
    let python = try #require(h5pyPython)
    try withTemporaryDirectory { dir in
      let path = dir.appendingPathComponent("model.h5").path
      let file = try H5File(creating: path)
      let root = try file.root()
      try root.setAttribute("keras_version", string: "2.2.4")
      try root.setAttribute("model_config", string: "{\"note\": \"ünïcode ✓\"}")
      let weights = try root.createGroup("model_weights")
      try weights.setAttribute("layer_names", strings: ["conv2d_1", "dense_1"])
      let conv = try weights.createGroup("conv2d_1")
      try conv.setAttribute("weight_names", strings: ["conv2d_1/kernel:0"])
      try conv.createDataset("conv2d_1/kernel:0", values: fixtureWeights(108), shape: [3, 3, 3, 4])
      let images = try root.createDataset(
        "train/images", of: UInt8.self, shape: [0, 2, 2, 3], maxShape: [nil, 2, 2, 3], chunks: [3, 2, 2, 3],
        deflate: 1)
      try images.extend(to: [5, 2, 2, 3])
      try images.write((0..<60).map { UInt8($0) })
      try root.setAttribute("seed", Int64(-7))
      try root.setAttribute("shape", [Int32(2), 2, 3])
      try file.close()

      let dump = try h5pyDump(path, python: python)
      #expect(dump["superblock"] as? Int == 0)
      let objects = try #require(dump["objects"] as? [String: [String: Any]])
      let rootAttrs = try #require(objects["/"]?["attrs"] as? [String: [String: Any]])
      #expect(rootAttrs["keras_version"]?["value"] as? String == "2.2.4")
      #expect(rootAttrs["model_config"]?["value"] as? String == "{\"note\": \"ünïcode ✓\"}")
      #expect(rootAttrs["seed"]?["value"] as? [Double] == [-7])
      #expect(rootAttrs["shape"]?["value"] as? [Double] == [2, 2, 3])
      #expect(rootAttrs["shape"]?["dtype"] as? String == "<i4")
      let layerNames = objects["/model_weights"]?["attrs"] as? [String: [String: Any]]
      #expect(layerNames?["layer_names"]?["value"] as? [String] == ["conv2d_1", "dense_1"])
      let kernel = try #require(objects["/model_weights/conv2d_1/conv2d_1/kernel:0"])
      #expect(kernel["dtype"] as? String == "<f4")
      #expect(kernel["shape"] as? [Int] == [3, 3, 3, 4])
      #expect(kernel["sum"] as? Double == Double(fixtureWeights(108).reduce(0, +)))
      let stored = try #require(objects["/train/images"])
      #expect(stored["dtype"] as? String == "|u1")
      #expect(stored["chunks"] as? [Int] == [3, 2, 2, 3])
      #expect(stored["compression"] as? String == "gzip")
      #expect(stored["maxshape"] as? [Int] == [-1, 2, 2, 3])
      #expect(stored["sum"] as? Double == Double((0..<60).reduce(0, +)))
    }
  }
}
