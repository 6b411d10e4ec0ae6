import Foundation
import HDF5
import TensorCore

/// A sample store prepared in shards (one per MPI rank) and joined by HDF5 virtual datasets.
///
/// Each rank writes an ordinary, crash-safe, resumable sample store of its own (`path(of:rank:of:)`)
/// holding a contiguous share of each split's plan. `join` then writes the store itself: the same
/// root attributes, each column a virtual dataset stacking the shards' columns in rank order, the
/// split's count and checksums over the joined order, and a manifest of the shards with their
/// counts and checksums (root attribute `shards`, JSON). h5py reads the joined store as one.
///
/// libhdf5 1.10 reads a missing source file as zeros, without an error, so `SampleStore` checks
/// the manifest before anything is read: every shard must exist, be complete and hold exactly the
/// counts and checksums it had when joined.
public enum SampleStoreShards {
  package static let manifestAttribute = "shards"

  /// One shard as the manifest records it.
  package struct Entry: Codable, Equatable {
    /// File name, relative to the joined store's folder.
    var file: String
    var counts: [String: Int]
    var checksums: [String: [UInt64]]
  }

  /// `<store>.shard-<rank>-of-<count>.h5`, beside the store.
  public static func path(of store: String, rank: Int, of count: Int) -> String {
    "\(store).shard-\(rank)-of-\(count).h5"
  }

  /// Writes `store` joining the complete `shards` (in order) with virtual datasets. The shards must
  /// share metadata, image shape, chunking and splits. Written to a temporary file and renamed, so
  /// an interrupted join leaves no half store.
  public static func join(shards: [String], into store: String) throws {
    typealias A = SampleStoreLayout.RootAttribute
    guard !shards.isEmpty else { throw H5StoreError.invalidArgument("no shards to join into \(store)") }
    let folder = (store as NSString).deletingLastPathComponent
    let opened = try shards.map { try SampleStore(path: $0) }
    defer { for shard in opened { try? shard.close() } }
    let first = opened[0]
    for shard in opened.dropFirst() {
      guard shard.metadata == first.metadata, shard.imageShape == first.imageShape,
        shard.chunkImages == first.chunkImages, shard.deflate == first.deflate, shard.splits == first.splits
      else {
        throw H5StoreError.invalidArgument("\(shard.path) was prepared differently from \(first.path)")
      }
    }
    var entries: [Entry] = []
    for (path, shard) in zip(shards, opened) {
      guard (path as NSString).deletingLastPathComponent == folder else {
        throw H5StoreError.invalidArgument("shard \(path) is not in the store's folder \(folder)")
      }
      var counts: [String: Int] = [:]
      var sums: [String: [UInt64]] = [:]
      for split in shard.splits {
        counts[split] = try shard.count(of: split)
        sums[split] = try shard.checksums(of: split)
      }
      entries.append(Entry(file: (path as NSString).lastPathComponent, counts: counts, checksums: sums))
    }
    // Closed before the virtual datasets read them: libhdf5 cannot open a source file this process
    // holds open with other access properties, and then reads fill values (zeros) without an error.
    for shard in opened { try shard.close() }

    let temporary = store + ".joining"
    do {
      let file = try H5File(creating: temporary, overwrite: true)
      let root = try file.root()
      try root.setAttribute(A.format, string: SampleStoreLayout.formatName)
      try root.setAttribute(A.version, SampleStoreLayout.formatVersion)
      try root.setAttribute(A.complete, Int32(0))
      try root.setAttribute(A.preprocessing, string: first.metadata.preprocessingJSON)
      try root.setAttribute(A.seed, first.metadata.seed)
      try root.setAttribute(A.fingerprint, string: first.metadata.sourceFingerprint)
      try root.setAttribute(A.imageShape, first.imageShape.map { Int32($0) })
      try root.setAttribute(A.chunkImages, Int64(first.chunkImages))
      try root.setAttribute(A.deflate, Int32(first.deflate ?? -1))
      try root.setAttribute(A.splits, strings: first.splits)
      let manifest = JSONEncoder()
      manifest.outputFormatting = [.sortedKeys]
      try root.setAttribute(
        manifestAttribute, string: String(decoding: try manifest.encode(entries), as: UTF8.self))
      for split in first.splits {
        let group = try root.createGroup(split)
        func column<T: H5Element>(_ name: String, _ type: T.Type, _ rowShape: [Int]) throws -> H5Dataset {
          let sources = entries.map {
            H5VirtualSource(file: $0.file, dataset: "/\(split)/\(name)", rows: $0.counts[split] ?? 0)
          }
          return try group.createVirtualDataset(name, of: type, rowShape: rowShape, sources: sources)
        }
        let columns = SplitColumns(
          images: try column("images", UInt8.self, first.imageShape),
          steering: try column("steering", Float.self, []),
          recording: try column("recording", Int32.self, []),
          row: try column("row", Int32.self, []), camera: try column("camera", UInt8.self, []),
          flipped: try column("flipped", UInt8.self, []))
        let count = entries.reduce(0) { $0 + ($1.counts[split] ?? 0) }
        // The checksums are streamed in sample order, so the joined order needs its own pass.
        let sums = try SplitChecksums.recompute(
          columns, count: count, imageShape: first.imageShape, chunk: first.chunkImages)
        try group.setAttribute(SampleStoreLayout.SplitAttribute.count, Int64(count))
        try group.setAttribute(SampleStoreLayout.SplitAttribute.checksumState, sums.saved)
      }
      try file.flush()
      try root.setAttribute(A.complete, Int32(1))
      try file.close()
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw error
    }
    guard rename(temporary, store) == 0 else {
      throw H5StoreError.invalidArgument(
        "renaming \(temporary) to \(store): \(String(cString: strerror(errno)))")
    }
  }

  /// Throws unless every shard the manifest names exists, is complete, and holds the counts and
  /// checksums it held when joined (a missing shard would otherwise read as zeros).
  package static func checkManifest(_ json: String, store: String) throws {
    guard let entries = try? JSONDecoder().decode([Entry].self, from: Data(json.utf8)), !entries.isEmpty
    else {
      throw H5StoreError.corrupt(path: store, detail: "its shard manifest cannot be read")
    }
    let folder = (store as NSString).deletingLastPathComponent
    for entry in entries {
      let path = (folder as NSString).appendingPathComponent(entry.file)
      guard FileManager.default.fileExists(atPath: path) else {
        throw H5StoreError.corrupt(path: store, detail: "shard \(path) is missing")
      }
      let shard: SampleStore
      do { shard = try SampleStore(path: path) } catch {
        throw H5StoreError.corrupt(path: store, detail: "shard \(path) cannot be used: \(error)")
      }
      defer { try? shard.close() }
      for (split, count) in entry.counts {
        guard (try? shard.count(of: split)) == count,
          (try? shard.checksums(of: split)) == entry.checksums[split]
        else {
          throw H5StoreError.corrupt(
            path: store, detail: "shard \(path) changed since it was joined (split \(split))")
        }
      }
    }
  }
}
