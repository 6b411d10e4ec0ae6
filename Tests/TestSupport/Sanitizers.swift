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

  /// The environment for a child process whose test is about how it dies by a signal. Under a
  /// sanitizer the runtime's SIGSEGV handler would turn the crash into a report and exit status 1
  /// (`handle_segv=0`), and Swift's crash backtracer, which then gets the signal, reads arbitrary
  /// memory through ASan's `memcpy` interceptor and is reported as a use-after-free
  /// (`SWIFT_BACKTRACE=enable=no`: the signal kills the process, as it does without a sanitizer).
  public static func realSignals(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    -> [String: String]
  {
    guard active else { return environment }
    var environment = environment
    for key in ["ASAN_OPTIONS", "TSAN_OPTIONS"] {
      environment[key] = [environment[key], "handle_segv=0"].compactMap { $0 }.joined(separator: " ")
    }
    environment["SWIFT_BACKTRACE"] = "enable=no"
    return environment
  }
}
