import CHDF5

/// What a group member is.
public enum H5ObjectKind: Sendable, Equatable {
  case group
  case dataset
  case other
}

/// A group or dataset inside an open file. Holds its file open; attributes live in H5Attributes.swift.
public class H5Object: @unchecked Sendable {
  public let file: H5File
  /// Absolute path inside the file, e.g. `/model_weights/dense_1`.
  public let path: String
  package let id: hid_t

  package init(file: H5File, path: String, id: hid_t) {
    self.file = file
    self.path = path
    self.id = id
  }

  deinit {
    // After a STRONG file close this id is already gone (and may be reused): only close while open.
    withHDF5 {
      if file.openUnderLock { H5Oclose(id) }
    }
  }

  /// `file.h5:/path`, used in error messages.
  public var qualifiedName: String { "\(file.path):\(path)" }

  /// The absolute path of member `name` of this object.
  package func childPath(_ name: String) -> String {
    if name.hasPrefix("/") { return name }
    return path == "/" ? "/\(name)" : "\(path)/\(name)"
  }

  /// Runs `body` under the HDF5 lock after checking that the file is still open.
  package func locked<T>(_ body: () throws -> T) throws -> T {
    try withHDF5 {
      try file.checkOpen(qualifiedName)
      return try body()
    }
  }
}

/// `[Int]` shapes to HDF5's `hsize_t`, rejecting negatives.
package func hsizes(_ values: [Int], _ what: String) throws -> [hsize_t] {
  guard values.allSatisfy({ $0 >= 0 }) else {
    throw H5StoreError.invalidArgument("negative \(what): \(values)")
  }
  return values.map { hsize_t($0) }
}

/// The dimensions of a dataspace (empty for a scalar). Call with the lock held.
package func dataspaceShape(_ space: hid_t, _ object: String) throws -> [Int] {
  let rank = Int(try h5Check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", object))
  var dims = [hsize_t](repeating: 0, count: rank)
  if rank > 0 {
    try h5Check(H5Sget_simple_extent_dims(space, &dims, nil), "H5Sget_simple_extent_dims", object)
  }
  return dims.map { Int($0) }
}

/// A simple dataspace of `shape` (scalar when `shape` is nil). Caller closes it. Lock held.
package func makeDataspace(_ shape: [Int]?, maxShape: [Int?]? = nil, _ object: String) throws -> hid_t {
  guard let shape else { return try h5Check(H5Screate(H5S_SCALAR), "H5Screate", object) }
  let dims = try hsizes(shape, "shape")
  if let maxShape {
    let maxDims = maxShape.map { $0.map { hsize_t($0) } ?? chdf5_s_unlimited() }
    return try h5Check(H5Screate_simple(Int32(dims.count), dims, maxDims), "H5Screate_simple", object)
  }
  return try h5Check(H5Screate_simple(Int32(dims.count), dims, nil), "H5Screate_simple", object)
}
