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
}
