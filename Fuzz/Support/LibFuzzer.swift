// Starting libFuzzer from Swift. SwiftPM links every executable with `main` renamed to
// `<Target>_main`, so libFuzzer's own `main` never runs; each target's top-level code calls
// `runLibFuzzer` instead, which hands the command line and the callback to libFuzzer's driver.
import Glibc

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Runs libFuzzer with this process's arguments; `body` gets each input and returns 0.
public func runLibFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> Never {
  var argc = CommandLine.argc
  var argv = CommandLine.unsafeArgv
  exit(LLVMFuzzerRunDriver(&argc, &argv, body))
}
