import CHDF5

/// An HDF5 group: members by name, nested groups, datasets. Names may be paths (`a/b/c`).
public final class H5Group: H5Object, @unchecked Sendable {
  /// Opens the existing group `name` below this one.
  public func group(_ name: String) throws -> H5Group {
    let target = childPath(name)
    return try locked {
      guard try existsLocked(name) else { throw H5StoreError.missingObject(path: "\(file.path):\(target)") }
      let gid = try h5Check(H5Gopen2(id, name, chdf5_p_default()), "H5Gopen2", "\(file.path):\(target)")
      return H5Group(file: file, path: target, id: gid)
    }
  }

  /// Creates group `name` (and any missing intermediate groups).
  @discardableResult
  public func createGroup(_ name: String) throws -> H5Group {
    let target = childPath(name)
    return try locked {
      let lcpl = try h5Check(H5Pcreate(chdf5_p_link_create()), "H5Pcreate(link create)", target)
      defer { H5Pclose(lcpl) }
      try h5Check(H5Pset_create_intermediate_group(lcpl, 1), "H5Pset_create_intermediate_group", target)
      let gid = try h5Check(
        H5Gcreate2(id, name, lcpl, chdf5_p_default(), chdf5_p_default()), "H5Gcreate2",
        "\(file.path):\(target)")
      return H5Group(file: file, path: target, id: gid)
    }
  }

  /// Whether `name` (a member name or a relative path) exists.
  public func contains(_ name: String) throws -> Bool {
    try locked { try existsLocked(name) }
  }

  private func existsLocked(_ name: String) throws -> Bool {
    // H5Lexists fails (rather than answering false) when an intermediate link is missing.
    var prefix = ""
    for component in name.split(separator: "/", omittingEmptySubsequences: true) {
      prefix = prefix.isEmpty ? String(component) : "\(prefix)/\(component)"
      let exists = try h5CheckBool(H5Lexists(id, prefix, chdf5_p_default()), "H5Lexists", childPath(prefix))
      if !exists { return false }
    }
    return true
  }

  /// Names of the members of this group, in name order (as h5py lists them).
  public func memberNames() throws -> [String] {
    try locked {
      var info = H5G_info_t()
      try h5Check(H5Gget_info(id, &info), "H5Gget_info", qualifiedName)
      return try (0..<info.nlinks).map { index in
        let size = try h5Check(
          H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default()),
          "H5Lget_name_by_idx", qualifiedName)
        var buffer = [CChar](repeating: 0, count: Int(size) + 1)
        try h5Check(
          H5Lget_name_by_idx(
            id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, chdf5_p_default()),
          "H5Lget_name_by_idx", qualifiedName)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      }
    }
  }

  /// Whether member `name` is a hard link (not a soft or external one, which point elsewhere).
  package func isHardLink(_ name: String) throws -> Bool {
    try locked {
      var info = H5L_info_t()
      try h5Check(H5Lget_info(id, name, &info, chdf5_p_default()), "H5Lget_info", childPath(name))
      return info.type == H5L_TYPE_HARD
    }
  }

  /// Whether member `name` is a group, a dataset, or something else.
  public func kind(of name: String) throws -> H5ObjectKind {
    let target = childPath(name)
    return try locked {
      guard try existsLocked(name) else { throw H5StoreError.missingObject(path: "\(file.path):\(target)") }
      let oid = try h5Check(H5Oopen(id, name, chdf5_p_default()), "H5Oopen", "\(file.path):\(target)")
      defer { H5Oclose(oid) }
      switch H5Iget_type(oid) {
      case H5I_GROUP: return .group
      case H5I_DATASET: return .dataset
      default: return .other
      }
    }
  }

  /// Opens the existing dataset `name`.
  public func dataset(_ name: String) throws -> H5Dataset {
    let target = childPath(name)
    return try locked {
      guard try existsLocked(name) else { throw H5StoreError.missingObject(path: "\(file.path):\(target)") }
      let did = try h5Check(H5Dopen2(id, name, chdf5_p_default()), "H5Dopen2", "\(file.path):\(target)")
      return H5Dataset(file: file, path: target, id: did)
    }
  }

  /// Creates dataset `name` of element type `T`.
  /// - `shape`: the initial extent; `maxShape` (nil entries = unlimited) makes it extendable, which
  ///   HDF5 only allows for chunked datasets, so `chunks` is then required.
  /// - `deflate`: gzip level 0-9 (needs `chunks`); readable by any libhdf5, h5py and HDFView.
  @discardableResult
  public func createDataset<T: H5Element>(
    _ name: String, of type: T.Type, shape: [Int], maxShape: [Int?]? = nil, chunks: [Int]? = nil,
    deflate: Int? = nil
  ) throws -> H5Dataset {
    let target = childPath(name)
    let object = "\(file.path):\(target)"
    if let maxShape, maxShape.count != shape.count {
      throw H5StoreError.invalidArgument(
        "maxShape \(maxShape) has another rank than shape \(shape) for \(object)")
    }
    if let chunks, chunks.count != shape.count || chunks.contains(where: { $0 <= 0 }) {
      throw H5StoreError.invalidArgument("chunks \(chunks) do not fit shape \(shape) for \(object)")
    }
    if chunks == nil, maxShape != nil || deflate != nil {
      throw H5StoreError.invalidArgument("extendable or compressed dataset \(object) needs a chunk shape")
    }
    if let deflate, !(0...9).contains(deflate) {
      throw H5StoreError.invalidArgument("deflate level \(deflate) is not in 0...9 for \(object)")
    }
    return try locked {
      let space = try makeDataspace(shape, maxShape: maxShape, object)
      defer { H5Sclose(space) }
      let dcpl = try h5Check(H5Pcreate(chdf5_p_dataset_create()), "H5Pcreate(dataset create)", object)
      defer { H5Pclose(dcpl) }
      if let chunks {
        let dims = try hsizes(chunks, "chunks")
        try h5Check(H5Pset_chunk(dcpl, Int32(dims.count), dims), "H5Pset_chunk", object)
      }
      if let deflate {
        try h5Check(H5Pset_deflate(dcpl, UInt32(deflate)), "H5Pset_deflate", object)
      }
      let lcpl = try h5Check(H5Pcreate(chdf5_p_link_create()), "H5Pcreate(link create)", object)
      defer { H5Pclose(lcpl) }
      try h5Check(H5Pset_create_intermediate_group(lcpl, 1), "H5Pset_create_intermediate_group", object)
      let did = try h5Check(
        H5Dcreate2(id, name, T.h5FileType, space, lcpl, dcpl, chdf5_p_default()), "H5Dcreate2", object)
      return H5Dataset(file: file, path: target, id: did)
    }
  }

  /// Creates a contiguous dataset holding `values` with `shape` (row-major), as Keras stores weights.
  @discardableResult
  public func createDataset<T: H5Element>(_ name: String, values: [T], shape: [Int]) throws -> H5Dataset {
    guard shape.reduce(1, *) == values.count else {
      throw H5StoreError.invalidArgument(
        "\(values.count) values do not fill shape \(shape) for \(childPath(name))")
    }
    let dataset = try createDataset(name, of: T.self, shape: shape)
    try dataset.write(values)
    return dataset
  }
}
