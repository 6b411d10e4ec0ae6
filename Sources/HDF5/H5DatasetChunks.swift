import CHDF5

/// Where a stored chunk's bytes sit in the file, for reading them without HDF5 (`DirectImageFile`).
package struct H5ChunkLocation: Sendable, Equatable {
  /// Byte offset from the start of the file (the file has no user block: see `H5File.userBlockBytes`).
  package var offset: Int
  package var bytes: Int
  /// HDF5's mask of filters skipped for this chunk (0: every filter of the pipeline applied).
  package var filterMask: UInt32
}

extension H5Dataset {
  /// Filters in the dataset's pipeline (gzip, shuffle...); 0 means chunks are stored as raw bytes.
  package func filterCount() throws -> Int {
    try locked {
      let dcpl = try h5Check(H5Dget_create_plist(id), "H5Dget_create_plist", qualifiedName)
      defer { H5Pclose(dcpl) }
      return Int(try h5Check(H5Pget_nfilters(dcpl), "H5Pget_nfilters", qualifiedName))
    }
  }

  /// The stored chunk whose first element is at `coordinate`, or nil when it was never written.
  package func chunkLocation(at coordinate: [Int]) throws -> H5ChunkLocation? {
    let start = try hsizes(coordinate, "chunk coordinate")
    return try locked {
      var mask: UInt32 = 0
      var address: haddr_t = 0
      var size: hsize_t = 0
      try h5Check(
        H5Dget_chunk_info_by_coord(id, start, &mask, &address, &size),
        "H5Dget_chunk_info_by_coord \(coordinate)", qualifiedName)
      // HADDR_UNDEF (all bits set) and size 0 mark a chunk that does not exist.
      guard size > 0, address != haddr_t.max, address <= haddr_t(Int.max) else { return nil }
      return H5ChunkLocation(offset: Int(address), bytes: Int(size), filterMask: mask)
    }
  }
}

extension H5File {
  /// Bytes reserved before HDF5's own data (HDF5 addresses are relative to its end).
  package func userBlockBytes() throws -> Int {
    try withHDF5 {
      try checkOpen(path)
      let fcpl = try h5Check(H5Fget_create_plist(id), "H5Fget_create_plist", path)
      defer { H5Pclose(fcpl) }
      var size: hsize_t = 0
      try h5Check(H5Pget_userblock(fcpl, &size), "H5Pget_userblock", path)
      return Int(size)
    }
  }
}
