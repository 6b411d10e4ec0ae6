// BF16 mixed precision (Sources/CConvKernels/bf16_gemm.c): GEMMs whose operands are rounded to
// bfloat16 and whose products are summed in FP32 by AVX-512 BF16's vdpbf16ps, the scheme of
// PyTorch's CPU autocast. Callers keep FP32 everywhere else (master weights, optimizer, loss).
// The naive reference beside it, `bf16GemmReference`, rounds the same way and sums in Double.
import CConvKernels
import Foundation

/// Arithmetic of the convolution and dense layers' matrix products.
public enum Precision: String, Sendable, Codable, CaseIterable {
  /// FP32 operands, FP32 accumulation.
  case fp32
  /// BF16 operands (round to nearest even), FP32 accumulation; needs AVX-512 BF16.
  case bf16
}

public enum BF16 {
  /// True when this CPU has AVX-512F/BW/VL and AVX512_BF16 and the OS saves their registers.
  public static let cpuSupportsKernels = bc_bf16_available() != 0
  /// True when the CPU runs the kernels and `BC_CONV_KERNELS=nobf16` (which lets tests and users
  /// see what a CPU without BF16 does) is not set.
  public static let isAvailable: Bool =
    cpuSupportsKernels && ProcessInfo.processInfo.environment["BC_CONV_KERNELS"] != "nobf16"

  /// Why `bf16` cannot run here, for error messages.
  public static let unavailableReason =
    cpuSupportsKernels
    ? "BF16 kernels are disabled by BC_CONV_KERNELS=nobf16"
    : "this CPU lacks AVX-512 BF16 (vdpbf16ps)"

  /// UInt16s of op(A) (m, k) packed: (m, roundup(k, 2)).
  package static func packedACount(m: Int, k: Int) -> Int { m * ((k + 1) & ~1) }
  /// UInt16s of op(B) (k, n) packed: (roundup(k, 2) / 2, roundup(n, 16), 2).
  package static func packedBCount(k: Int, n: Int) -> Int { ((k + 1) & ~1) * ((n + 15) & ~15) }

  /// op(a) (m, k) -> bf16 rows of k-pairs; transposed, a is stored (k, m).
  package static func packA(
    _ a: UnsafePointer<Float>, m: Int, k: Int, lda: Int, transposed: Bool,
    into dst: UnsafeMutablePointer<UInt16>
  ) {
    bc_bf16_pack_a(a, Int32(m), Int32(k), Int32(lda), transposed ? 1 : 0, dst)
  }

  /// op(b) (k, n) -> bf16 pairs of rows interleaved, 16 columns per vector; transposed, b is (n, k).
  package static func packB(
    _ b: UnsafePointer<Float>, k: Int, n: Int, ldb: Int, transposed: Bool,
    into dst: UnsafeMutablePointer<UInt16>
  ) {
    bc_bf16_pack_b(b, Int32(k), Int32(n), Int32(ldb), transposed ? 1 : 0, dst)
  }

  /// c[i * rowStride + j * columnStride] = (accumulate ? c : 0) + A B over packed operands:
  /// A (m, k) from packA, B (k, n) from packB. Requires `cpuSupportsKernels`.
  package static func gemm(
    m: Int, n: Int, k: Int, a: UnsafePointer<UInt16>, b: UnsafePointer<UInt16>,
    c: UnsafeMutablePointer<Float>,
    rowStride: Int, columnStride: Int = 1, accumulate: Bool
  ) {
    bc_bf16_gemm(Int32(m), Int32(n), Int32(k), a, b, c, rowStride, columnStride, accumulate ? 1 : 0)
  }

  /// True when every window of g lies inside the image, so the direct kernels (BF16Conv) apply.
  package static func patchesInside(_ g: ConvGeometry) -> Bool {
    g.padTop == 0 && g.padLeft == 0 && (g.outputHeight - 1) * g.strideY + g.kernelHeight <= g.inputHeight
      && (g.outputWidth - 1) * g.strideX + g.kernelWidth <= g.inputWidth
  }

  /// x rounded to bfloat16 (nearest, ties to even) and back: what the kernels multiply. Denormals
  /// become signed zeros, as vcvtneps2bf16 and vdpbf16ps treat them.
  package static func rounded(_ x: Float) -> Float {
    Float(bitPattern: UInt32(bc_bf16_from_float(x)) << 16)
  }
}

/// The reference: op(a) (m, k) x op(b) (k, n) with every operand rounded to bfloat16, summed in
/// Double; c (m, n) row-major, added to when `accumulate`.
package func bf16GemmReference(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
  b: UnsafePointer<Float>, ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  for i in 0..<m {
    for j in 0..<n {
      var s = 0.0
      for p in 0..<k {
        let av = BF16.rounded(transposeA ? a[p * lda + i] : a[i * lda + p])
        let bv = BF16.rounded(transposeB ? b[j * ldb + p] : b[p * ldb + j])
        s += Double(av) * Double(bv)
      }
      c[i * ldc + j] = Float(s + (accumulate ? Double(c[i * ldc + j]) : 0))
    }
  }
}

/// Growable UInt16 scratch for packed operands, one per worker; reused across steps.
package final class BF16Scratch: @unchecked Sendable {
  private var storage: UnsafeMutablePointer<UInt16>
  private var capacity = 0

  package init() { storage = .allocate(capacity: 1) }
  deinit { storage.deallocate() }

  /// At least `count` UInt16s (contents undefined); invalidates earlier pointers when it grows.
  package func buffer(_ count: Int) -> UnsafeMutablePointer<UInt16> {
    if count > capacity {
      storage.deallocate()
      capacity = max(count, capacity * 3 / 2)
      storage = .allocate(capacity: capacity)
    }
    return storage
  }
}
