import CHDF5
import Foundation

/// How a string attribute is stored. Keras writes its JSON configs as variable-length strings and
/// name lists (`layer_names`, `weight_names`) as fixed-length, null-padded byte strings (numpy `S`).
public enum H5StringEncoding: Sendable {
  case variableLength
  case fixedLength
}

// Attributes of groups and datasets: numbers, numeric arrays, strings and string arrays. Writing an
// existing name replaces it (its type may change). Reading converts numbers to the requested type.
extension H5Object {
  public func attributeNames() throws -> [String] {
    try locked {
      let count = try h5Check(H5Aget_num_attrs(id), "H5Aget_num_attrs", qualifiedName)
      return try (0..<hsize_t(count)).map { index in
        let size = try h5Check(
          H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default()),
          "H5Aget_name_by_idx", qualifiedName)
        var buffer = [CChar](repeating: 0, count: Int(size) + 1)
        try h5Check(
          H5Aget_name_by_idx(
            id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, chdf5_p_default()),
          "H5Aget_name_by_idx", qualifiedName)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      }
    }
  }

  public func hasAttribute(_ name: String) throws -> Bool {
    try locked { try h5CheckBool(H5Aexists(id, name), "H5Aexists", "\(qualifiedName)@\(name)") }
  }

  public func deleteAttribute(_ name: String) throws {
    _ = try locked { try h5Check(H5Adelete(id, name), "H5Adelete", "\(qualifiedName)@\(name)") }
  }

  // MARK: numbers

  /// A scalar number attribute (h5py writes Python numbers this way).
  public func setAttribute<T: H5Element>(_ name: String, _ value: T) throws {
    try writeAttribute(name, shape: nil, fileType: T.h5FileType, memoryType: T.h5MemoryType, [value])
  }

  /// A one-dimensional numeric array attribute.
  public func setAttribute<T: H5Element>(_ name: String, _ values: [T]) throws {
    try writeAttribute(
      name, shape: [values.count], fileType: T.h5FileType, memoryType: T.h5MemoryType, values)
  }

  /// A number attribute (scalar or a one-element array), converted to `T`.
  public func attribute<T: H5Element>(_ name: String, as type: T.Type = T.self) throws -> T {
    let values = try arrayAttribute(name, as: type)
    guard values.count == 1 else {
      throw H5StoreError.typeMismatch(
        object: "\(qualifiedName)@\(name)", expected: "one number", found: "\(values.count) numbers")
    }
    return values[0]
  }

  /// Every element of a numeric attribute, row-major, converted to `T`.
  public func arrayAttribute<T: H5Element>(_ name: String, as type: T.Type = T.self) throws -> [T] {
    try withAttribute(name) { attr, fileType, count, object in
      let stored = H5TypeClass.of(fileType)
      guard stored.isNumeric else {
        throw H5StoreError.typeMismatch(
          object: object, expected: "numbers (\(T.h5TypeName))", found: "\(stored)")
      }
      var values = [T](repeating: 0, count: count)
      try values.withUnsafeMutableBytes { bytes in
        _ = try h5Check(H5Aread(attr, T.h5MemoryType, bytes.baseAddress), "H5Aread", object)
      }
      return values
    }
  }

  // MARK: strings

  /// A string attribute, variable-length UTF-8 by default (what h5py writes for `str`).
  public func setAttribute(_ name: String, string: String, encoding: H5StringEncoding = .variableLength)
    throws
  {
    try writeStrings(name, [string], shape: nil, encoding: encoding)
  }

  /// A one-dimensional string array attribute, fixed-length by default (numpy `S`, as Keras stores names).
  public func setAttribute(_ name: String, strings: [String], encoding: H5StringEncoding = .fixedLength)
    throws
  {
    try writeStrings(name, strings, shape: [strings.count], encoding: encoding)
  }

  /// A string attribute stored in any string form (variable or fixed length).
  public func stringAttribute(_ name: String) throws -> String {
    let values = try stringArrayAttribute(name)
    guard values.count == 1 else {
      throw H5StoreError.typeMismatch(
        object: "\(qualifiedName)@\(name)", expected: "one string", found: "\(values.count) strings")
    }
    return values[0]
  }

  /// Every element of a string attribute, in either storage form.
  public func stringArrayAttribute(_ name: String) throws -> [String] {
    try withAttribute(name) { attr, fileType, count, object in
      guard H5Tget_class(fileType) == H5T_STRING else {
        throw H5StoreError.typeMismatch(
          object: object, expected: "strings", found: "\(H5TypeClass.of(fileType))")
      }
      if H5Tis_variable_str(fileType) > 0 {
        let memType = try h5Check(H5Tcopy(chdf5_c_s1()), "H5Tcopy", object)
        defer { H5Tclose(memType) }
        try h5Check(H5Tset_size(memType, chdf5_variable()), "H5Tset_size", object)
        try h5Check(H5Tset_cset(memType, H5Tget_cset(fileType)), "H5Tset_cset", object)
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        try h5Check(H5Aread(attr, memType, &pointers), "H5Aread", object)
        let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
        let space = try h5Check(H5Aget_space(attr), "H5Aget_space", object)
        defer { H5Sclose(space) }
        H5Dvlen_reclaim(memType, space, chdf5_p_default(), &pointers)
        return strings
      }
      let width = H5Tget_size(fileType)
      guard width > 0 else { return [String](repeating: "", count: count) }
      let memType = try h5Check(H5Tcopy(fileType), "H5Tcopy", object)
      defer { H5Tclose(memType) }
      var bytes = [UInt8](repeating: 0, count: width * count)
      try h5Check(H5Aread(attr, memType, &bytes), "H5Aread", object)
      let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
      return (0..<count).map { index in
        var field = bytes[(index * width)..<((index + 1) * width)]
        if let end = field.firstIndex(of: 0) { field = field[..<end] }
        var text = String(decoding: field, as: UTF8.self)
        if spacePadded { while text.hasSuffix(" ") { text.removeLast() } }
        return text
      }
    }
  }

  // MARK: plumbing

  /// Opens attribute `name`, hands its file type and element count to `body`, closes everything.
  private func withAttribute<R>(_ name: String, _ body: (hid_t, hid_t, Int, String) throws -> R) throws -> R {
    let object = "\(qualifiedName)@\(name)"
    return try locked {
      guard try h5CheckBool(H5Aexists(id, name), "H5Aexists", object) else {
        throw H5StoreError.missingObject(path: object)
      }
      let attr = try h5Check(H5Aopen(id, name, chdf5_p_default()), "H5Aopen", object)
      defer { H5Aclose(attr) }
      let fileType = try h5Check(H5Aget_type(attr), "H5Aget_type", object)
      defer { H5Tclose(fileType) }
      let space = try h5Check(H5Aget_space(attr), "H5Aget_space", object)
      let count = Int(H5Sget_simple_extent_npoints(space))
      H5Sclose(space)
      guard count >= 0 else {
        throw H5StoreError.hdf5(
          call: "H5Sget_simple_extent_npoints", object: object, detail: hdf5ErrorStack())
      }
      return try body(attr, fileType, count, object)
    }
  }

  /// Replaces attribute `name` with `values` (shape nil = scalar).
  private func writeAttribute<T>(
    _ name: String, shape: [Int]?, fileType: hid_t, memoryType: hid_t, _ values: [T]
  ) throws {
    let object = "\(qualifiedName)@\(name)"
    try locked {
      if try h5CheckBool(H5Aexists(id, name), "H5Aexists", object) {
        try h5Check(H5Adelete(id, name), "H5Adelete", object)
      }
      let space = try makeDataspace(shape, object)
      defer { H5Sclose(space) }
      let attr = try h5Check(
        H5Acreate2(id, name, fileType, space, chdf5_p_default(), chdf5_p_default()), "H5Acreate2", object)
      defer { H5Aclose(attr) }
      try values.withUnsafeBytes { bytes in
        _ = try h5Check(H5Awrite(attr, memoryType, bytes.baseAddress), "H5Awrite", object)
      }
    }
  }

  private func writeStrings(_ name: String, _ strings: [String], shape: [Int]?, encoding: H5StringEncoding)
    throws
  {
    let object = "\(qualifiedName)@\(name)"
    let utf8 = strings.map { Array($0.utf8) }
    if utf8.contains(where: { $0.contains(0) }) {
      throw H5StoreError.invalidArgument("string attribute \(object) contains a NUL character")
    }
    let ascii = utf8.allSatisfy { $0.allSatisfy { $0 < 128 } }
    try locked {
      let type = try h5Check(H5Tcopy(chdf5_c_s1()), "H5Tcopy", object)
      defer { H5Tclose(type) }
      try h5Check(
        H5Tset_cset(type, ascii && encoding == .fixedLength ? H5T_CSET_ASCII : H5T_CSET_UTF8), "H5Tset_cset",
        object)
      switch encoding {
      case .variableLength:
        try h5Check(H5Tset_size(type, chdf5_variable()), "H5Tset_size", object)
        let pointers = utf8.map { bytes -> UnsafeMutablePointer<CChar>? in
          let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
          for (index, byte) in bytes.enumerated() { pointer[index] = CChar(bitPattern: byte) }
          pointer[bytes.count] = 0
          return pointer
        }
        defer {
          for pointer in pointers { pointer?.deallocate() }
        }
        try writeAttribute(name, shape: shape, fileType: type, memoryType: type, pointers)
      case .fixedLength:
        // numpy `S` convention: width of the longest string, null-padded, no terminator needed.
        let width = max(1, utf8.map(\.count).max() ?? 1)
        try h5Check(H5Tset_size(type, width), "H5Tset_size", object)
        try h5Check(H5Tset_strpad(type, H5T_STR_NULLPAD), "H5Tset_strpad", object)
        var bytes = [UInt8](repeating: 0, count: width * utf8.count)
        for (index, string) in utf8.enumerated() {
          bytes.replaceSubrange((index * width)..<(index * width + string.count), with: string)
        }
        try writeAttribute(name, shape: shape, fileType: type, memoryType: type, bytes)
      }
    }
  }
}

extension H5Object {
  /// The stored type class and element count of attribute `name`, to size a read before making it.
  package func attributeTypeAndCount(_ name: String) throws -> (H5TypeClass, Int) {
    let object = "\(qualifiedName)@\(name)"
    return try locked {
      let attr = try h5Check(H5Aopen(id, name, chdf5_p_default()), "H5Aopen", object)
      defer { H5Aclose(attr) }
      let fileType = try h5Check(H5Aget_type(attr), "H5Aget_type", object)
      defer { H5Tclose(fileType) }
      let space = try h5Check(H5Aget_space(attr), "H5Aget_space", object)
      defer { H5Sclose(space) }
      let count = Int(H5Sget_simple_extent_npoints(space))
      guard count >= 0 else {
        throw H5StoreError.hdf5(
          call: "H5Sget_simple_extent_npoints", object: object, detail: hdf5ErrorStack())
      }
      return (H5TypeClass.of(fileType), count)
    }
  }
}
