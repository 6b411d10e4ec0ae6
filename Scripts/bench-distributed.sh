#!/usr/bin/env bash
# Data-parallel training on this host (docs/distributed.md): the seed model's training step in one
# process with 1 and 2 threads, then 2 ranks over shared memory and over TCP loopback (standing in
# for two hosts), each with the gradient sum overlapped with backward and after it.
# Usage: Scripts/bench-distributed.sh [SECONDS]   (after `make build`; BIN=bin by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
SECONDS_EACH=${1:-20}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in 1 2; do
  echo "== one process, $t thread(s)"
  "$BIN/Bench" train --threads "$t" --seconds "$SECONDS_EACH" | tail -1
done
echo "== 2 ranks, shared memory"
mpirun -np 2 --bind-to none "$BIN/Bench" train --distributed --seconds "$SECONDS_EACH"
echo "== 2 ranks, TCP loopback"
mpirun -np 2 --bind-to none --mca btl tcp,self --mca btl_tcp_if_include lo \
  "$BIN/Bench" train --distributed --seconds "$SECONDS_EACH"
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg)"
