import CHDF5

/// Numbers HDF5 stores and converts: each has a native memory type, and the little-endian file type
/// H5Store writes (the type numpy and h5py write on every common machine).
public protocol H5Element: Sendable, Numeric {
  /// The in-memory type; HDF5 converts stored data to it on read.
  static var h5MemoryType: hid_t { get }
  /// The type written to files.
  static var h5FileType: hid_t { get }
  static var h5TypeName: String { get }
}

extension UInt8: H5Element {
  public static var h5MemoryType: hid_t { chdf5_native_uint8() }
  public static var h5FileType: hid_t { chdf5_std_u8le() }
  public static var h5TypeName: String { "uint8" }
}

extension Int8: H5Element {
  public static var h5MemoryType: hid_t { chdf5_native_int8() }
  public static var h5FileType: hid_t { chdf5_std_i8le() }
  public static var h5TypeName: String { "int8" }
}

extension Int32: H5Element {
  public static var h5MemoryType: hid_t { chdf5_native_int32() }
  public static var h5FileType: hid_t { chdf5_std_i32le() }
  public static var h5TypeName: String { "int32" }
}

extension UInt32: H5Element {
  public static var h5MemoryType: hid_t { chdf5_native_uint32() }
  public static var h5FileType: hid_t { chdf5_std_u32le() }
  public static var h5TypeName: String { "uint32" }
}

extension Int64: H5Element {
  public static var h5MemoryType: hid_t { chdf5_native_int64() }
  public static var h5FileType: hid_t { chdf5_std_i64le() }
  public static var h5TypeName: String { "int64" }
}

extension UInt64: H5Element {
  public static var h5MemoryType: hid_t { chdf5_native_uint64() }
  public static var h5FileType: hid_t { chdf5_std_u64le() }
  public static var h5TypeName: String { "uint64" }
}

extension Float: H5Element {
  public static var h5MemoryType: hid_t { chdf5_native_float() }
  public static var h5FileType: hid_t { chdf5_ieee_f32le() }
  public static var h5TypeName: String { "float32" }
}

extension Double: H5Element {
  public static var h5MemoryType: hid_t { chdf5_native_double() }
  public static var h5FileType: hid_t { chdf5_ieee_f64le() }
  public static var h5TypeName: String { "float64" }
}

/// The class of a stored type, enough to tell callers what they found.
public enum H5TypeClass: Sendable, Equatable {
  case integer(bytes: Int, signed: Bool)
  case float(bytes: Int)
  case string(variableLength: Bool)
  case other(String)

  package static func of(_ type: hid_t) -> H5TypeClass {
    let size = H5Tget_size(type)
    switch H5Tget_class(type) {
    case H5T_INTEGER: return .integer(bytes: size, signed: H5Tget_sign(type) == H5T_SGN_2)
    case H5T_FLOAT: return .float(bytes: size)
    case H5T_STRING: return .string(variableLength: H5Tis_variable_str(type) > 0)
    default: return .other("HDF5 class \(H5Tget_class(type).rawValue)")
    }
  }

  public var isNumeric: Bool {
    switch self {
    case .integer, .float: true
    default: false
    }
  }
}
