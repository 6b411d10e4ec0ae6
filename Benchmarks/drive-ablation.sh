#!/usr/bin/env bash
# What Drive's defaults are made of (issue #14, section 4): one client with and without the
# batch-1 split, and 20 clients at the simulator's 20 Hz with one or two predictors, with or
# without the split, and at 25 Hz. Same protocol as run.sh: every configuration in its own
# process, --rounds rounds, the order reversed every other round; raw outputs and a median
# [min-max] summary go to Benchmarks/results/<UTC time>-<sha>-drive-ablation/ (or --out DIR).
#
# Usage: Benchmarks/drive-ablation.sh [--rounds N] [--short] [--out DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=3
frames=1000
paced_frames=200
out=""
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --short) frames=200; paced_frames=40; shift ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: Benchmarks/drive-ablation.sh [--rounds N] [--short] [--out DIR]" >&2; exit 2 ;;
  esac
done
[ -x bin/Bench ] || { echo "drive-ablation.sh: bin/Bench missing (make build)" >&2; exit 2; }
out=${out:-Benchmarks/results/$(date -u +%Y-%m-%dT%H%MZ)-$(git rev-parse --short=10 HEAD)-drive-ablation}
mkdir -p "$out"

# name|arguments of bin/Bench drive
configs=(
  "one-client-split1|--frames $frames --split-threads 1"
  "one-client-split2|--frames $frames --split-threads 2"
  "paced20-predictors1-split1|--clients 20 --rate 20 --frames $paced_frames --predictors 1 --split-threads 1"
  "paced20-predictors2-split1|--clients 20 --rate 20 --frames $paced_frames --predictors 2 --split-threads 1"
  "paced20-predictors2-split2|--clients 20 --rate 20 --frames $paced_frames --predictors 2 --split-threads 2"
  "paced25-predictors2-split1|--clients 20 --rate 25 --frames $paced_frames --predictors 2 --split-threads 1"
  "saturated-predictors1-split1|--clients 20 --frames $paced_frames --predictors 1 --split-threads 1"
  "saturated-predictors2-split1|--clients 20 --frames $paced_frames --predictors 2 --split-threads 1"
)
{
  echo "date_utc: $(date -u +%FT%TZ)"
  echo "git_sha: $(git rev-parse HEAD)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo "rounds: $rounds; frames: one client $frames, 20 clients $paced_frames each"
} > "$out/machine.txt"

for round in $(seq 1 "$rounds"); do
  order=("${configs[@]}")
  if (( round % 2 == 0 )); then
    order=()
    for (( i=${#configs[@]}-1; i>=0; i-- )); do order+=("${configs[$i]}"); done
  fi
  echo "== round $round $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
  for entry in "${order[@]}"; do
    name=${entry%%|*}
    read -r -a args <<< "${entry#*|}"
    file=$out/${name}__r$round.txt
    echo "[$(date -u +%H:%M:%S)] bin/Bench drive ${args[*]}" >&2
    { echo "# \$ bin/Bench drive ${args[*]}"; echo "# started $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"; } > "$file"
    timeout 600 bin/Bench drive "${args[@]}" >> "$file" 2>&1
    echo "# exit $?, ended $(date -u +%FT%TZ)" >> "$file"
  done
done

# Summary: p50 and p99 (ms) per configuration, median [min-max] over rounds; the 20-client runs
# also the unanswered frames and, saturated, the frames/s.
python3 - "$out" "${configs[@]}" > "$out/summary.md" <<'EOF'
import glob, re, statistics, sys
out, configs = sys.argv[1], [c.split("|")[0] for c in sys.argv[2:]]
def values(name, pattern, group=lambda m: float(m.group(1))):
    found = []
    for path in sorted(glob.glob(f"{out}/{name}__r*.txt")):
        m = re.search(pattern, open(path).read(), re.M)
        if m: found.append(group(m))
    return found
def cell(v, digits=3):
    if not v: return "-"
    return f"{statistics.median(v):.{digits}f} [{min(v):.{digits}f}-{max(v):.{digits}f}]"
print("Medians over rounds [min-max]. One client: server-side (last byte in -> steer out) and the")
print("forward stage alone; 20 clients: round trip timed by the clients.\n")
print("| configuration | rounds | p50 ms | p99 ms | forward ms | unanswered | frames/s |")
print("|---|---|---|---|---|---|---|")
for name in configs:
    kind = "" if name.startswith("one-client") else "(?:clients|paced) "
    p50 = values(name, rf"^drive {kind}p50 ms: ([\d.]+)")
    p99 = values(name, rf"^drive {kind}p99 ms: ([\d.]+)")
    forward = values(name, r"^stages \(median ms\):.*forward ([\d.]+)")
    lost = values(name, r"^answered (\d+)/(\d+) telemetry", lambda m: float(int(m.group(2)) - int(m.group(1))))
    fps = values(name, r"^drive clients frames/s: ([\d.]+)") if name.startswith("saturated") else []
    print(f"| {name} | {len(p99)} | {cell(p50)} | {cell(p99)} | {cell(forward)} | {cell(lost, 0)} | {cell(fps, 0)} |")
EOF
cat "$out/summary.md"
echo "raw outputs, machine.txt, load.txt and summary.md in $out" >&2
