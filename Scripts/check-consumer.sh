#!/usr/bin/env bash
# Builds and runs Examples/Consumer, a package that depends on this one by path and imports only
# ConvNet and DrivingData (issue #17: importable by other projects). Fails if the demo fails (its
# loss must fall), if the consumer's imports are undeclared, or if SwiftNIO, libhdf5 or Open MPI
# reach its link: those belong to Drive/Simulator, HDF5/SampleStore/ModelFile and Cluster only.
#
# Usage: Scripts/check-consumer.sh            build, run and check the consumer
#        Scripts/check-consumer.sh BINARY     only the link check, on any binary (to see it fail)
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
PYTHON="${PYTHON:-python3}"
package=Examples/Consumer

# Prints what of SwiftNIO, libhdf5 or Open MPI BINARY links or defines; returns 1 if anything.
unwanted_in() {
  local binary=$1 found=0 libraries symbols
  libraries=$(ldd "$binary" | grep -Ei 'hdf5|libmpi|nio' || true)
  # Swift symbols carry their module name (`7NIOCore`), C shims their prefix (`CNIOLinux_`);
  # libhdf5's API is `H5Fopen`..., our shim's `chdf5_`, Open MPI's `MPI_`/`ompi_`.
  symbols=$(nm "$binary" | grep -E 'NIO|chdf5_|[^A-Za-z0-9]H5[A-Z][A-Za-z]*_?[a-z]|cmpi_|MPI_[A-Z]|ompi_' || true)
  if [ -n "$libraries" ]; then
    echo "$binary links:"
    echo "$libraries"
    found=1
  fi
  if [ -n "$symbols" ]; then
    echo "$binary has $(echo "$symbols" | wc -l) SwiftNIO/HDF5/MPI symbols, e.g.:"
    echo "$symbols" | head -5
    found=1
  fi
  return $found
}

if [ $# -eq 1 ]; then
  if unwanted_in "$1"; then echo "check-consumer: $1 is clean"; else exit 1; fi
  exit 0
fi

"$PYTHON" Scripts/check-imports.py "$package"
"$SWIFT" build -c release --package-path "$package"
binary="$("$SWIFT" build -c release --package-path "$package" --show-bin-path)/ConsumerDemo"
"$binary"

status=0
unwanted_in "$binary" || status=1
# Not even compiled: SwiftPM builds only the modules the consumer's products reach.
compiled=$(find "$(dirname "$binary")" -path '*.build/*.o' | sed -E 's|.*/([^/]+)\.build/[^/]+$|\1|' | sort -u)
stray=$(echo "$compiled" | grep -E '^(C?NIO|HDF5|CHDF5|SampleStore|ModelFile|Drive|Simulator|Cluster)' || true)
if [ -n "$stray" ]; then
  echo "the consumer's build compiled modules it does not use:" $stray
  status=1
fi
if [ $status -ne 0 ]; then
  echo "check-consumer: FAILED"
  exit 1
fi
echo "check-consumer: OK; compiled only" $compiled
