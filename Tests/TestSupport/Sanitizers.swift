import Foundation

/// Whether this test process runs under AddressSanitizer or ThreadSanitizer
/// (`make test-sanitizers`): their runtimes define `__asan_init` / `__tsan_init`.
public enum Sanitizers {
  public static let active: Bool = {
    #if os(Linux)
      let process = dlopen(nil, RTLD_NOW)
      return dlsym(process, "__asan_init") != nil || dlsym(process, "__tsan_init") != nil
    #else
      return false
    #endif
  }()

  /// The environment for a child process whose test is about how it dies: the sanitizers' own
  /// SIGSEGV handler would turn a crash into a report and exit status 1.
  public static func realSignals(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    -> [String: String]
  {
    var environment = environment
    for key in ["ASAN_OPTIONS", "TSAN_OPTIONS"] {
      environment[key] = [environment[key], "handle_segv=0"].compactMap { $0 }.joined(separator: " ")
    }
    return environment
  }
}
