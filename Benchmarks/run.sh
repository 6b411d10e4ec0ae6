#!/usr/bin/env bash
# Same-run benchmarks a skeptic can check: every area for --rounds rounds; in each round ours
# (bin/Bench) and every tuned peer variant run one after another, each in its own process, with the
# order reversed in every other round so neither side always runs first on a warm (or loaded) CPU.
# All raw outputs, the load before/after each round and a machine summary go to
# Benchmarks/results/<UTC time>-<sha>/ (or --out DIR); Benchmarks/table.py then reports each
# metric's median [min-max] over rounds and ours against the best peer variant.
#
# Usage: Benchmarks/run.sh VENV [--rounds N] [--short] [--out DIR] [area ...]
#   areas: peak gemm train train-bf16 infer loader decode drive render (default: all, in that order;
#   train-bf16 needs AVX-512 BF16 and is left out of the default where the CPU lacks it)
#   --short: a few seconds per program, for trying the harness; never for quoted figures.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=${1:?usage: Benchmarks/run.sh VENV [--rounds N] [--short] [--out DIR] [area ...]}
shift
rounds=3
short=0
out=""
areas=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --short) short=1; shift ;;
    --out) out=$2; shift 2 ;;
    *) areas+=("$1"); shift ;;
  esac
done
if [ ${#areas[@]} -eq 0 ]; then
  areas=(peak gemm train infer loader decode drive render)
  grep -qw avx512_bf16 /proc/cpuinfo && areas=(peak gemm train train-bf16 infer loader decode drive render)
fi
py="$(cd "$venv" && pwd)/bin/python"
[ -x "$py" ] || { echo "run.sh: no python in $venv (make bench creates it)" >&2; exit 2; }
[ -x bin/Bench ] || { echo "run.sh: bin/Bench missing (make build)" >&2; exit 2; }
threads=$(nproc)
sha=$(git rev-parse --short=10 HEAD)
out=${out:-Benchmarks/results/$(date -u +%Y-%m-%dT%H%MZ)-$sha}
mkdir -p "$out"
# The loader's store (~1 GB) stays out of the results directory.
store=${BENCH_STORE:-${TMPDIR:-/tmp}/bc-bench-loader.h5}

if [ $short = 1 ]; then
  train_s=4; infer_s=3; loader_s=3; decode_s=2; peak_s=0.5; frames=200; client_frames=50; paced_frames=40
else
  train_s=20; infer_s=10; loader_s=15; decode_s=8; peak_s=2; frames=1000; client_frames=200; paced_frames=200
fi

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
load_snapshot() { # the load average and the busiest processes right now, to show what else ran
  echo "== $1 $(date -u +%FT%TZ)"
  top -b -n 1 -o %CPU | sed -n '1p;3p;7,12p'
}
# run FILE CMD...: one program, its own process, output to $out/FILE (the command line first).
run() {
  local file=$out/$1
  shift
  log "$*"
  # The load and the busiest other process as this program starts: what it shared the CPU with.
  { echo "# \$ $*"; echo "# started $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)," \
    "busiest: $(top -b -n 1 -o %CPU | sed -n '8p' | awk '{print $12, $9 "%"}')"; } > "$file"
  timeout 1200 "$@" >> "$file" 2>&1
  local rc=$?
  echo "# exit $rc, ended $(date -u +%FT%TZ)" >> "$file"
  [ $rc -eq 0 ] || log "exit $rc: see $file"
  grep -E '^[a-z0-9 -]+(img/s|ms|GFLOP/s|fps): ' "$file" | tail -n 2 | sed 's/^/    /' >&2
}

# The python-socketio peer server, timed with the client that times ours.
drive_peer() {
  local file=$1 port=$((20000 + RANDOM % 20000))
  "$py" Benchmarks/drive_peer.py --serve --port $port > "$out/${file%.txt}.server.log" 2>&1 &
  local server=$!
  for _ in $(seq 600); do
    (exec 3<> /dev/tcp/127.0.0.1/$port) 2> /dev/null && break
    sleep 0.1
  done
  run "$file" bin/Bench drive --peer-port $port --frames $frames
  kill $server 2> /dev/null
  wait $server 2> /dev/null
}

variants() { # the variants of an area, ours first
  case $1 in
    peak | render) echo ours ;;
    gemm) echo ours numpy ;;
    train) echo ours torch torch-cl torch-compile keras keras-spe keras-xla ;;
    train-bf16) echo ours torch-autocast torch-compile-autocast keras-bf16 ;;
    infer) echo ours torch torch-compile keras keras-xla ;;
    loader) echo ours h5py-threads torch ;;
    decode) echo ours opencv pillow pillow-resize ;;
    drive) echo ours python-socketio ours-clients ours-paced ;;
  esac
}

run_variant() { # area variant round
  local a=$1 v=$2 f="$1__$2__r$3.txt"
  case $a:$v in
    peak:ours) run "$f" bin/Bench peak --seconds $peak_s ;;
    gemm:ours) run "$f" bin/Bench gemm ;;
    gemm:numpy) run "$f" "$py" Benchmarks/gemm_peer.py ;;
    train:ours) run "$f" bin/Bench train --batch-size 32 --seconds $train_s --threads $threads ;;
    train-bf16:ours) run "$f" bin/Bench train --precision bf16 --batch-size 32 --seconds $train_s --threads $threads ;;
    train*:*) run "$f" "$py" Benchmarks/train_peer.py --framework "$v" --batch-size 32 --seconds $train_s \
      --threads $threads ;;
    infer:ours) run "$f" bin/Bench infer --seconds $infer_s ;;
    infer:*) run "$f" "$py" Benchmarks/infer_peer.py --framework "$v" --seconds $infer_s ;;
    loader:ours) run "$f" bin/Bench loader --store "$store" --seconds $loader_s --readers 2 ;;
    loader:*) run "$f" "$py" Benchmarks/loader_peer.py --variant "$v" --store "$store" --seconds $loader_s \
      --workers 2 ;;
    decode:ours) run "$f" bin/Bench decode --seconds $decode_s ;;
    decode:*) run "$f" "$py" Benchmarks/decode_peer.py --variant "$v" --seconds $decode_s ;;
    drive:ours) run "$f" bin/Bench drive --frames $frames ;;
    drive:python-socketio) drive_peer "$f" ;;
    drive:ours-clients) run "drive-clients__ours__r$3.txt" bin/Bench drive --clients 20 --frames $client_frames ;;
    # The simulator's pace: each client sends a frame every 50 ms (20 Hz), one in flight.
    drive:ours-paced) run "drive-paced__ours__r$3.txt" bin/Bench drive --clients 20 --rate 20 \
      --frames $paced_frames ;;
    render:ours) run "$f" bin/Bench render ;;
  esac
}

# Machine summary: what a reader needs to judge the figures.
{
  echo "date_utc: $(date -u +%FT%TZ)"
  echo "git_sha: $(git rev-parse HEAD)$(git diff --quiet HEAD -- Sources Examples Package.swift || echo ' (with uncommitted changes)')"
  echo "cpu_model: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
  echo "cpu_simd: $(grep -m1 -ow -E 'avx2|fma' /proc/cpuinfo | sort -u | xargs) $(grep -m1 '^flags' /proc/cpuinfo | grep -ow -E 'avx512f|avx512_bf16|avx512_vnni' | sort -u | xargs)"
  echo "nproc: $threads"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GB"}')"
  echo "kernel: $(uname -r)"
  echo "swift: $(swift --version 2>&1 | grep -m1 -i 'swift version')"
  echo "load_before: $(uptime)"
  echo "rounds: $rounds"
  echo "areas: ${areas[*]}"
  echo "seconds: train $train_s, infer $infer_s, loader $loader_s, decode $decode_s, peak $peak_s; drive frames $frames, 20 clients x $client_frames frames, 20 clients at 20 Hz x $paced_frames frames"
  echo "threads: ours and peers $threads for train (torch.set_num_threads, TF intra-op, OMP_NUM_THREADS), loader 2 readers/workers each; 1 for infer, decode, gemm; drive: Drive's defaults (a predictor per core, a frame alone in flight split across 2 cores)"
  # The version probe's stderr (TensorFlow's start-up log) stays out of machine.txt.
  TF_CPP_MIN_LOG_LEVEL=3 "$py" - 2> /dev/null << 'EOF'
import importlib, platform
print(f"python: {platform.python_version()}")
for name, module in [("numpy", "numpy"), ("torch", "torch"), ("tensorflow", "tensorflow"), ("keras", "keras"),
                     ("h5py", "h5py"), ("opencv", "cv2"), ("pillow", "PIL"), ("python-socketio", "socketio"),
                     ("eventlet", "eventlet")]:
    try:
        print(f"{name}: {importlib.import_module(module).__version__}")
    except Exception as e:
        print(f"{name}: not available ({type(e).__name__})")
EOF
} > "$out/machine.txt" 2>&1
load_snapshot "before" > "$out/load.txt"
log "results: $out"

if [[ " ${areas[*]} " == *" loader "* ]] && [ ! -f "$store" ]; then
  log "creating the loader store $store (not timed)"
  bin/Bench loader --store "$store" --images 20000 --seconds 0.1 > /dev/null
fi

for r in $(seq 1 "$rounds"); do
  load_snapshot "round $r start" >> "$out/load.txt"
  for a in "${areas[@]}"; do
    read -r -a vs <<< "$(variants "$a")"
    if [ ${#vs[@]} -eq 0 ]; then log "unknown area $a"; continue; fi
    # Even rounds run the list backwards: ours last.
    if [ $((r % 2)) -eq 0 ]; then
      for ((i = ${#vs[@]} - 1; i >= 0; i--)); do run_variant "$a" "${vs[i]}" "$r"; done
    else
      for v in "${vs[@]}"; do run_variant "$a" "$v" "$r"; done
    fi
  done
done

# Where ours spends a training step (per-layer times and GFLOP/s), quoted by the README's analysis.
if [[ " ${areas[*]} " == *" train "* ]]; then
  run train-profile.txt bin/Bench train --profile --batch-size 32 --seconds $train_s --threads $threads
fi
if [[ " ${areas[*]} " == *" train-bf16 "* ]]; then
  run train-bf16-profile.txt bin/Bench train --profile --precision bf16 --batch-size 32 --seconds $train_s \
    --threads $threads
fi
load_snapshot "after" >> "$out/load.txt"
echo "load_after: $(uptime)" >> "$out/machine.txt"
python3 Benchmarks/table.py "$out" | tee "$out/summary.txt"
python3 Benchmarks/table.py --markdown "$out" > "$out/table.md"
log "raw outputs, machine.txt, load.txt, summary.txt and table.md in $out"
