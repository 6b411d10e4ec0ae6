#!/usr/bin/env bash
# Builds the whole package with one sanitizer (thread or address) in its own scratch folder and
# runs every test under it; extra arguments go to `swift test` (`--filter X`).
# Usage: Scripts/sanitizers/run.sh thread|address [swift test arguments]
set -euo pipefail
kind=${1:-}
shift || true
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case $kind in
  thread) scratch=.build-tsan ;;
  address) scratch=.build-asan ;;
  *) echo "usage: $0 thread|address" >&2; exit 2 ;;
esac
# Reports go to stderr and fail the run: TSan's with exit code 66 at exit (all races of the run
# are listed), ASan's at once, LSan's at exit. Suppressions name third-party libraries only (see
# the .supp files). Child processes (the package's executables, the test bundle re-run as a
# writer) inherit the options; the Python peers and Chromium are not instrumented and ignore them.
export TSAN_OPTIONS="suppressions=$here/tsan.supp second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$here/lsan.supp print_suppressions=0 ${LSAN_OPTIONS:-}"
export BC_TEST_PYTHON=$root/.venv-test/bin/python
export BC_TEST_PYTHON_EIO4=$root/.venv-test-eio4/bin/python
export BC_KERAS_PYTHON=$root/.venv-keras/bin/python
cd "$root"
flags=(-c release -Xswiftc -enable-testing --sanitize="$kind" --scratch-path "$scratch")
swift build "${flags[@]}" --build-tests
swift test "${flags[@]}" --skip-build "$@"
