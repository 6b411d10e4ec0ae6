#!/usr/bin/env bash
# Runs each Bench area next to the peer framework doing the same work, in the same run, and prints
# the ratio. Every program ends its output with `<name>: <value>` lines; this script reads those.
# Usage: Benchmarks/run.sh VENV [area ...]   (areas: gemm train infer loader decode drive render)
set -uo pipefail
cd "$(dirname "$0")/.."
venv=$1; shift
py="$venv/bin/python"
areas=("$@")
[ ${#areas[@]} -eq 0 ] && areas=(gemm train infer decode loader drive render)
out=$(mktemp -d)
store="${BENCH_STORE:-$out/loader.h5}"

value() { grep -E "^$2:" "$1" | tail -n 1 | sed -E "s|^$2: *||" | awk '{print $1}'; }
ratio() { # name ours peer higher_is_better
  awk -v n="$1" -v a="$2" -v b="$3" -v h="$4" 'BEGIN {
    if (a == "" || b == "" || b + 0 == 0) { printf "%-34s ours %-10s peer %-10s ratio n/a\n", n, a, b; exit }
    r = (h == "1") ? a / b : b / a
    printf "%-34s ours %-10s peer %-10s ratio %.2fx %s\n", n, a, b, r, (r >= 1 ? "(ours better)" : "(peer better)") }'
}
run() { local f=$1; shift; echo "\$ $*" >&2; "$@" > "$f" 2>&1; tail -n 3 "$f" >&2; }

summary=()
for a in "${areas[@]}"; do
  case $a in
    gemm)
      run "$out/gemm.ours" bin/Bench gemm
      run "$out/gemm.peer" "$py" Benchmarks/gemm_peer.py
      summary+=("$(ratio 'gemm GFLOP/s (model shapes)' "$(value "$out/gemm.ours" 'gemm GFLOP/s')" "$(value "$out/gemm.peer" 'numpy gemm GFLOP/s')" 1)") ;;
    train)
      run "$out/train.ours" bin/Bench train --batch-size 32 --seconds 20
      run "$out/train.peer" "$py" Benchmarks/train_peer.py --batch-size 32 --seconds 20
      for p in 'torch train img/s' 'torch channels-last train img/s' 'keras train img/s' 'keras fit train img/s'; do
        summary+=("$(ratio "train img/s vs ${p% train img/s}" "$(value "$out/train.ours" 'train img/s')" "$(value "$out/train.peer" "$p")" 1)")
      done ;;
    infer)
      run "$out/infer.ours" bin/Bench infer --seconds 10
      run "$out/infer.peer" "$py" Benchmarks/infer_peer.py --seconds 10
      ours=$(grep -E '^infer b1 ms:' "$out/infer.ours" | tail -n1 | sed -E 's/.*p50 ([0-9.]+).*/\1/')
      peer=$(grep -E '^torch infer b1 ms:' "$out/infer.peer" | tail -n1 | sed -E 's/.*p50 ([0-9.]+).*/\1/')
      summary+=("$(ratio 'infer batch-1 p50 ms vs torch' "$ours" "$peer" 0)") ;;
    decode)
      run "$out/decode.ours" bin/Bench decode --seconds 10
      run "$out/decode.peer" "$py" Benchmarks/decode_peer.py --seconds 10
      summary+=("$(ratio 'decode+resize img/s vs OpenCV' "$(value "$out/decode.ours" 'decode img/s')" "$(value "$out/decode.peer" 'opencv decode img/s')" 1)")
      summary+=("$(ratio 'decode+resize img/s vs Pillow' "$(value "$out/decode.ours" 'decode img/s')" "$(value "$out/decode.peer" 'pillow decode img/s')" 1)") ;;
    loader)
      run "$out/loader.ours" bin/Bench loader --store "$store" --images 20000 --seconds 20
      run "$out/loader.peer" "$py" Benchmarks/loader_peer.py --store "$store" --seconds 20
      summary+=("$(ratio 'shuffled loader img/s vs h5py' "$(value "$out/loader.ours" 'loader img/s')" "$(value "$out/loader.peer" 'h5py random-chunk img/s')" 1)") ;;
    drive)
      run "$out/drive.ours" bin/Bench drive
      run "$out/drive.peer" "$py" Benchmarks/drive_peer.py
      # Both sides timed the same way: a client's last telemetry byte sent -> steer received.
      backend=$(grep -oE 'backend [a-z]+' "$out/drive.peer" | head -n1 | awk '{print $2}')
      summary+=("$(ratio "drive round-trip p99 ms vs python-socketio+${backend:-?}" "$(value "$out/drive.ours" 'drive round-trip p99 ms')" "$(value "$out/drive.peer" 'python drive p99 ms')" 0)")
      summary+=("drive server-side p99 ms (target < 2): $(value "$out/drive.ours" 'drive p99 ms')") ;;
    render)
      run "$out/render.ours" bin/Bench render
      summary+=("render fps (no peer): $(value "$out/render.ours" 'render fps')") ;;
    *) echo "unknown area $a" >&2 ;;
  esac
done
echo
echo "== summary (same machine, same run; raw outputs in $out)"
printf '%s\n' "${summary[@]}"
