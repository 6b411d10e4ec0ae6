import ArgumentParser
import CPeakKernels
import Dispatch
import TensorCore

/// `Bench peak`: the machine's FP32 ceiling, measured rather than taken from a data sheet. An FMA
/// loop with independent accumulators (CPeakKernels) runs on every core at once, for each
/// instruction path this CPU has (AVX-512, AVX2 + FMA, portable C); the best path is the ceiling
/// Benchmarks/run.sh divides by for every "% of peak" figure in the same run. Where the CPU has
/// AVX-512 BF16, a `vdpbf16ps` loop gives the mixed-precision ceiling, printed on its own lines.
struct PeakBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "peak",
    abstract: "FP32 FMA peak GFLOP/s on all cores, per instruction path, and the BF16 dot-product peak.")

  @Option(help: "Threads running the loop at once.") var threads = availableCores
  @Option(help: "Seconds per path and thread count.") var seconds = 2.0
  @Option(help: "Seconds per trial; a path's figure is its best trial (a ceiling is a maximum).")
  var trial = 0.2

  static let paths: [(id: Int32, name: String)] = [
    (Int32(BC_PEAK_AVX512), "avx512"), (Int32(BC_PEAK_AVX2), "avx2"), (Int32(BC_PEAK_PORTABLE), "portable"),
  ]

  func run() throws {
    guard threads >= 1, seconds > 0, trial > 0 else { throw ValidationError("need threads >= 1, times > 0") }
    var best = 0.0
    var bestSingle = 0.0
    var bestPath = ""
    for path in Self.paths where bc_peak_path_available(path.id) != 0 {
      let (all, single) = measure(path: path.id, name: path.name)
      if all > best { (best, bestSingle, bestPath) = (all, single, path.name) }
    }
    print("peak path: \(bestPath)")
    print(String(format: "peak GFLOP/s one core: %.1f", bestSingle))
    print(String(format: "peak GFLOP/s: %.1f", best))
    let bf16 = Int32(BC_PEAK_BF16)
    guard bc_peak_path_available(bf16) != 0 else { return print("peak bf16: not available on this CPU") }
    print(String(format: "peak BF16 GFLOP/s: %.1f", measure(path: bf16, name: "bf16").all))
  }

  /// One path's best trial on all threads and on one, printed with their medians.
  private func measure(path: Int32, name: String) -> (all: Double, single: Double) {
    let iterations = calibrate(path: path)
    let single = trials(path: path, iterations: iterations, threads: 1)
    let all = trials(path: path, iterations: iterations, threads: threads)
    print(
      String(
        format:
          "peak %@: %d threads %.1f GFLOP/s (best of %d trials, median %.1f); 1 thread %.1f (median %.1f)",
        name, threads, all.max() ?? 0, all.count, median(all), single.max() ?? 0, median(single)))
    return (all.max() ?? 0, single.max() ?? 0)
  }

  /// Iterations that take about `trial` seconds on one thread.
  private func calibrate(path: Int32) -> Int {
    var iterations = 1 << 16
    while true {
      let start = DispatchTime.now().uptimeNanoseconds
      var flops = 0.0
      _ = bc_peak_run(path, iterations, &flops)
      let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      if elapsed >= trial / 4 { return max(1, Int(Double(iterations) * trial / elapsed)) }
      iterations *= 4
    }
  }

  /// GFLOP/s of each trial with `threads` threads each running `iterations`, over about `seconds`.
  private func trials(path: Int32, iterations: Int, threads: Int) -> [Double] {
    var rates: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    repeat {
      let t0 = DispatchTime.now().uptimeNanoseconds
      DispatchQueue.concurrentPerform(iterations: threads) { _ in
        var flops = 0.0
        _ = bc_peak_run(path, iterations, &flops)  // a C call the optimiser cannot drop
      }
      let t1 = DispatchTime.now().uptimeNanoseconds
      let perThread = flopsPerIteration(path: path) * Double(iterations)
      rates.append(perThread * Double(threads) / (Double(t1 - t0) / 1e9) / 1e9)
    } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
    return rates
  }

  private func flopsPerIteration(path: Int32) -> Double {
    var flops = 0.0
    _ = bc_peak_run(path, 1, &flops)
    return flops
  }

  private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
  }
}
