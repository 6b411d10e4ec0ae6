#if canImport(Glibc)
  import Glibc
#endif

/// The allocator's hold on memory, for a long-running server. glibc's malloc gives each thread that
/// allocates under contention an arena of its own (up to 8 per core) and keeps what is freed in it
/// for reuse. After bursts of connections on event-loop, model and (in benches) client threads, the
/// process's RSS creeps up by megabytes per burst although nothing leaks: with one or two arenas it
/// stays flat (`Bench drive --rounds`, docs in the README's Drive section). Both calls are glibc's,
/// looked up at run time (Glibc's Swift module does not export `<malloc.h>`); elsewhere they do
/// nothing.
public enum ProcessMemory {
  private typealias Trim = @convention(c) (Int) -> Int32
  private typealias Option = @convention(c) (Int32, Int32) -> Int32
  private typealias Info = @convention(c) (Int32, OpaquePointer?) -> Int32

  private static func lookUp<F>(_ name: String, as type: F.Type) -> F? {
    #if os(Linux)
      // RTLD_DEFAULT: the process's global symbols.
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
      return unsafeBitCast(symbol, to: type)
    #else
      return nil
    #endif
  }

  /// Caps malloc's arenas (`mallopt(M_ARENA_MAX, n)`, like `MALLOC_ARENA_MAX=n`). For executables
  /// to call first thing: it changes the whole process. Returns false where unsupported.
  @discardableResult
  public static func limitArenas(_ n: Int) -> Bool {
    let mArenaMax: Int32 = -8
    guard let mallopt = lookUp("mallopt", as: Option.self) else { return false }
    return mallopt(mArenaMax, Int32(max(1, n))) == 1
  }

  /// Gives the free pages of every arena back to the system (`malloc_trim(0)`). Cheap enough when
  /// a server goes idle; not something to call per request.
  public static func release() {
    _ = lookUp("malloc_trim", as: Trim.self)?(0)
  }

  /// What malloc holds, from `malloc_info`: bytes the program has allocated and not freed (all
  /// arenas, mmapped blocks included), and the number of arenas. Unlike RSS, `inUse` does not move
  /// with how freed memory happens to be fragmented or kept, so it is what shows a leak.
  public struct Heap: Sendable, Equatable {
    public var inUse: Int
    public var arenas: Int

    public init(inUse: Int, arenas: Int) {
      self.inUse = inUse
      self.arenas = arenas
    }
  }

  /// nil where glibc's `malloc_info` is missing or its report does not parse.
  public static func heap() -> Heap? {
    #if os(Linux)
      guard let info = lookUp("malloc_info", as: Info.self) else { return nil }
      var buffer: UnsafeMutablePointer<CChar>?
      var size = 0
      guard let stream = open_memstream(&buffer, &size) else { return nil }
      let status = info(0, OpaquePointer(stream))
      fclose(stream)
      defer { free(buffer) }
      guard status == 0, let buffer else { return nil }
      return parseMallocInfo(String(cString: buffer))
    #else
      return nil
    #endif
  }

  /// The totals after the last `</heap>`: in use = obtained from the system (`system current`)
  /// - free in fastbins and other bins, the top chunk included (`fast`, `rest`) + mmapped blocks.
  package static func parseMallocInfo(_ xml: String) -> Heap? {
    let arenas = xml.components(separatedBy: "<heap nr=").count - 1
    guard arenas > 0, let totals = xml.components(separatedBy: "</heap>").last else { return nil }
    func size(_ element: String, _ type: String) -> Int? {
      guard let start = totals.range(of: "<\(element) type=\"\(type)\"") else { return nil }
      let rest = totals[start.upperBound...]
      guard let key = rest.range(of: "size=\"") else { return nil }
      return Int(rest[key.upperBound...].prefix { $0.isNumber })
    }
    guard let system = size("system", "current"), let fast = size("total", "fast"),
      let free = size("total", "rest"), let mmapped = size("total", "mmap")
    else { return nil }
    return Heap(inUse: system - fast - free + mmapped, arenas: arenas)
  }
}
