import Foundation
import HDF5

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The images of one split of an uncompressed store, read with pread(2) on a descriptor of its own.
/// HDF5 is asked once, when opening, where each chunk starts; afterwards an image is copied exactly
/// once, from the kernel's page cache straight into its batch slot, with no HDF5 call and no lock,
/// so several threads copy at once. (Through HDF5 the same image is copied twice: the chunk into a
/// buffer, then the sample into the batch, and every read holds the process-wide HDF5 lock.)
///
/// `forStore` returns nil for anything it cannot vouch for (filters such as gzip, a user block, a
/// missing or odd-sized chunk, bytes that differ from HDF5's): those stores are read through HDF5.
final class DirectImageFile: @unchecked Sendable {
  let path: String
  let imageBytes: Int
  let chunkImages: Int
  private let descriptor: Int32
  private let chunkOffsets: [Int]

  private init(path: String, descriptor: Int32, chunkOffsets: [Int], imageBytes: Int, chunkImages: Int) {
    self.path = path
    self.descriptor = descriptor
    self.chunkOffsets = chunkOffsets
    self.imageBytes = imageBytes
    self.chunkImages = chunkImages
  }

  deinit { close(descriptor) }

  static func forStore(_ store: SampleStore, split: String) throws -> DirectImageFile? {
    let count = try store.count(of: split)
    guard let images = store.columns[split]?.images, count > 0 else { return nil }
    let chunkBytes = store.chunkImages * store.imageBytes
    guard try store.file.userBlockBytes() == 0, try images.filterCount() == 0,
      try images.chunkShape() == [store.chunkImages] + store.imageShape
    else { return nil }
    let descriptor = open(store.path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      close(descriptor)
      return nil
    }
    var offsets: [Int] = []
    for start in stride(from: 0, to: count, by: store.chunkImages) {
      guard let chunk = try images.chunkLocation(at: [start] + store.imageShape.map { _ in 0 }),
        chunk.filterMask == 0, chunk.bytes == chunkBytes, chunk.offset + chunk.bytes <= Int(status.st_size)
      else {
        close(descriptor)
        return nil
      }
      offsets.append(chunk.offset)
    }
    let file = DirectImageFile(
      path: store.path, descriptor: descriptor, chunkOffsets: offsets, imageBytes: store.imageBytes,
      chunkImages: store.chunkImages)
    // Trust the addresses only if they give HDF5's bytes (first and last image of the split).
    for index in [0, count - 1] {
      var direct = [UInt8](repeating: 0, count: store.imageBytes)
      try direct.withUnsafeMutableBytes { raw in
        try file.read(
          chunk: index / store.chunkImages, index: index % store.chunkImages, into: raw.baseAddress!)
      }
      guard try store.images(of: split, range: index..<(index + 1)) == direct else { return nil }
    }
    return file
  }

  /// Asks the kernel to start reading `chunk` into its page cache, so that the copies into batches
  /// (a few chunks later) find it there. Only advice: failing it costs speed, not correctness.
  func prefetch(chunk: Int) {
    #if os(Linux)
      _ = posix_fadvise(
        descriptor, off_t(chunkOffsets[chunk]), off_t(chunkImages * imageBytes), POSIX_FADV_WILLNEED)
    #endif
  }

  /// Copies image `index` of `chunk` into `target` (`imageBytes` bytes).
  func read(chunk: Int, index: Int, into target: UnsafeMutableRawPointer) throws {
    let offset = chunkOffsets[chunk] + index * imageBytes
    var done = 0
    while done < imageBytes {
      let n = pread(descriptor, target + done, imageBytes - done, off_t(offset + done))
      if n > 0 {
        done += n
      } else if n < 0 && errno == EINTR {
        continue
      } else {
        let reason = n == 0 ? "the file ends at byte \(offset + done)" : String(cString: strerror(errno))
        throw H5StoreError.readFailed(
          path: path, detail: "image \(index) of chunk \(chunk) at byte \(offset): \(reason)")
      }
    }
  }
}
