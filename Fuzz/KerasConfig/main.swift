// libFuzzer target: a Keras model_config JSON -> layers and a built Sequential model (what loading a
// model.h5 does before it reads weights), and the same text as a training_config (Adam settings).
import ModelFile
import FuzzSupport

func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
  _ = try? KerasModelReader.importLayers(
    modelConfig: text, options: KerasLoadOptions(threads: 1), path: "fuzz")
  _ = KerasOptimizerReader.adam(trainingConfig: text)
  return 0
}

runLibFuzzer(fuzzOneInput)
