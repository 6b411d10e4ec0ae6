import CHDF5

/// One source of a virtual dataset: `rows` leading-axis rows of `dataset` in `file`.
package struct H5VirtualSource: Sendable {
  /// The source file, relative to the virtual dataset's file (libhdf5 looks there first).
  package var file: String
  package var dataset: String
  package var rows: Int

  package init(file: String, dataset: String, rows: Int) {
    self.file = file
    self.dataset = dataset
    self.rows = rows
  }
}

extension H5Group {
  /// Creates a virtual dataset (HDF5 1.10 VDS) of element type `T` that stacks `sources` along the
  /// leading axis; every source has shape (rows, `rowShape`...). h5py and any libhdf5 >= 1.10 read
  /// it as one dataset. libhdf5 reads a missing source as fill values without an error, so readers
  /// must check the sources exist (`SampleStore` does, through the store's shard manifest).
  @discardableResult
  package func createVirtualDataset<T: H5Element>(
    _ name: String, of type: T.Type, rowShape: [Int], sources: [H5VirtualSource]
  ) throws -> H5Dataset {
    let object = "\(file.path):\(childPath(name))"
    let total = sources.reduce(0) { $0 + $1.rows }
    return try locked {
      let space = try makeDataspace([total] + rowShape, object)
      defer { H5Sclose(space) }
      // Closed on every path: libhdf5 1.10.8 crashes at exit on an unclosed VDS creation list.
      let dcpl = try h5Check(H5Pcreate(chdf5_p_dataset_create()), "H5Pcreate(dataset create)", object)
      defer { H5Pclose(dcpl) }
      var start = 0
      for source in sources where source.rows > 0 {
        let sourceSpace = try makeDataspace([source.rows] + rowShape, object)
        defer { H5Sclose(sourceSpace) }
        let starts = try hsizes([start] + rowShape.map { _ in 0 }, "start")
        let counts = try hsizes([source.rows] + rowShape, "count")
        try h5Check(
          H5Sselect_hyperslab(space, H5S_SELECT_SET, starts, nil, counts, nil), "H5Sselect_hyperslab", object)
        try h5Check(
          H5Pset_virtual(dcpl, space, source.file, source.dataset, sourceSpace), "H5Pset_virtual", object)
        start += source.rows
      }
      H5Sselect_all(space)
      let did = try h5Check(
        H5Dcreate2(id, name, T.h5FileType, space, chdf5_p_default(), dcpl, chdf5_p_default()), "H5Dcreate2",
        object)
      return H5Dataset(file: file, path: childPath(name), id: did)
    }
  }
}
