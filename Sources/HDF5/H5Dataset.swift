import CHDF5

/// An HDF5 dataset of numbers: whole or hyperslab reads and writes, converted to any `H5Element`
/// type by HDF5; extendable along dimensions created unlimited.
public final class H5Dataset: H5Object, @unchecked Sendable {
  /// The current extent, e.g. `[N, 128, 128, 3]` (empty for a scalar dataset).
  public func shape() throws -> [Int] {
    try locked {
      let space = try h5Check(H5Dget_space(id), "H5Dget_space", qualifiedName)
      defer { H5Sclose(space) }
      return try dataspaceShape(space, qualifiedName)
    }
  }

  /// The class of the stored element type.
  public func elementType() throws -> H5TypeClass {
    try locked {
      let type = try h5Check(H5Dget_type(id), "H5Dget_type", qualifiedName)
      defer { H5Tclose(type) }
      return H5TypeClass.of(type)
    }
  }

  /// The chunk shape, or nil for a contiguous or compact dataset.
  public func chunkShape() throws -> [Int]? {
    try locked {
      let dcpl = try h5Check(H5Dget_create_plist(id), "H5Dget_create_plist", qualifiedName)
      defer { H5Pclose(dcpl) }
      guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return nil }
      var dims = [hsize_t](repeating: 0, count: 32)
      let rank = try h5Check(H5Pget_chunk(dcpl, Int32(dims.count), &dims), "H5Pget_chunk", qualifiedName)
      return dims.prefix(Int(rank)).map { Int($0) }
    }
  }

  /// The gzip level when the deflate filter is on, else nil.
  public func deflateLevel() throws -> Int? {
    try locked {
      let dcpl = try h5Check(H5Dget_create_plist(id), "H5Dget_create_plist", qualifiedName)
      defer { H5Pclose(dcpl) }
      let count = try h5Check(H5Pget_nfilters(dcpl), "H5Pget_nfilters", qualifiedName)
      for index in 0..<UInt32(count) {
        var flags: UInt32 = 0
        var values = [UInt32](repeating: 0, count: 8)
        var valueCount = values.count
        var config: UInt32 = 0
        let filter = H5Pget_filter2(dcpl, index, &flags, &valueCount, &values, 0, nil, &config)
        if filter == H5Z_FILTER_DEFLATE { return Int(values[0]) }
      }
      return nil
    }
  }

  /// Grows (or shrinks) the extent; only dimensions created with a larger max extent can change.
  public func extend(to shape: [Int]) throws {
    let dims = try hsizes(shape, "shape")
    _ = try locked {
      try h5Check(H5Dset_extent(id, dims), "H5Dset_extent \(shape)", qualifiedName)
    }
  }

  /// Every element, row-major.
  public func read<T: H5Element>(as type: T.Type = T.self) throws -> [T] {
    let extent = try shape()
    return try read(as: type, start: extent.map { _ in 0 }, count: extent)
  }

  /// The hyperslab `start ..< start + count` (one entry per dimension), row-major.
  public func read<T: H5Element>(as type: T.Type = T.self, start: [Int], count: [Int]) throws -> [T] {
    let total = count.reduce(1, *)
    var values = [T](repeating: 0, count: total)
    try values.withUnsafeMutableBytes { try read(into: $0, as: type, start: start, count: count) }
    return values
  }

  /// Rows `rows` along the first dimension (all of every other dimension), row-major.
  public func read<T: H5Element>(as type: T.Type = T.self, rows: Range<Int>) throws -> [T] {
    let extent = try shape()
    guard !extent.isEmpty else { throw H5StoreError.invalidArgument("\(qualifiedName) is scalar: no rows") }
    return try read(
      as: type, start: [rows.lowerBound] + extent.dropFirst().map { _ in 0 },
      count: [rows.count] + extent.dropFirst())
  }

  /// Reads the hyperslab into caller-owned memory (no allocation): the loader's hot path.
  public func read<T: H5Element>(
    into buffer: UnsafeMutableRawBufferPointer, as type: T.Type, start: [Int], count: [Int]
  ) throws {
    let needed = count.reduce(1, *) * MemoryLayout<T>.stride
    guard buffer.count >= needed else {
      throw H5StoreError.invalidArgument(
        "buffer of \(buffer.count) bytes is too small for \(count) in \(qualifiedName)")
    }
    try transfer(start: start, count: count, as: type, call: "H5Dread") { memSpace, fileSpace in
      H5Dread(id, T.h5MemoryType, memSpace, fileSpace, chdf5_p_default(), buffer.baseAddress)
    }
  }

  /// Writes `values` to the hyperslab at `start` of extent `count` (default: the whole dataset).
  public func write<T: H5Element>(_ values: [T], start: [Int]? = nil, count: [Int]? = nil) throws {
    try values.withUnsafeBytes { try write(from: $0, as: T.self, start: start, count: count) }
  }

  /// Writes caller-owned memory to a hyperslab (default: the whole dataset).
  public func write<T: H5Element>(
    from buffer: UnsafeRawBufferPointer, as type: T.Type, start: [Int]? = nil, count: [Int]? = nil
  ) throws {
    let extent = try shape()
    let start = start ?? extent.map { _ in 0 }
    let count = count ?? extent
    let needed = count.reduce(1, *) * MemoryLayout<T>.stride
    guard buffer.count == needed else {
      throw H5StoreError.invalidArgument(
        "\(buffer.count / MemoryLayout<T>.stride) values do not fill \(count) in \(qualifiedName)")
    }
    try transfer(start: start, count: count, as: type, call: "H5Dwrite") { memSpace, fileSpace in
      H5Dwrite(id, T.h5MemoryType, memSpace, fileSpace, chdf5_p_default(), buffer.baseAddress)
    }
  }

  /// Selects `start ..< start + count` in the file space, checks it against the extent and the
  /// stored type, then runs the read or write.
  private func transfer<T: H5Element>(
    start: [Int], count: [Int], as type: T.Type, call: String, _ body: (hid_t, hid_t) -> herr_t
  ) throws {
    try locked {
      let fileType = try h5Check(H5Dget_type(id), "H5Dget_type", qualifiedName)
      let stored = H5TypeClass.of(fileType)
      H5Tclose(fileType)
      guard stored.isNumeric else {
        throw H5StoreError.typeMismatch(
          object: qualifiedName, expected: "numbers (\(T.h5TypeName))", found: "\(stored)")
      }
      let fileSpace = try h5Check(H5Dget_space(id), "H5Dget_space", qualifiedName)
      defer { H5Sclose(fileSpace) }
      let extent = try dataspaceShape(fileSpace, qualifiedName)
      guard start.count == extent.count, count.count == extent.count,
        zip(zip(start, count), extent).allSatisfy({ $0.0 >= 0 && $0.1 >= 0 && $0.0 + $0.1 <= $1 })
      else {
        throw H5StoreError.invalidArgument(
          "hyperslab start \(start) count \(count) is outside \(qualifiedName) of shape \(extent)")
      }
      if count.contains(0) { return }
      let memSpace: hid_t
      if extent.isEmpty {
        memSpace = try h5Check(H5Screate(H5S_SCALAR), "H5Screate", qualifiedName)
      } else {
        let starts = try hsizes(start, "start")
        let counts = try hsizes(count, "count")
        try h5Check(
          H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, starts, nil, counts, nil), "H5Sselect_hyperslab",
          qualifiedName)
        memSpace = try h5Check(
          H5Screate_simple(Int32(counts.count), counts, nil), "H5Screate_simple", qualifiedName)
      }
      defer { H5Sclose(memSpace) }
      try h5Check(body(memSpace, fileSpace), "\(call) start \(start) count \(count)", qualifiedName)
    }
  }
}
