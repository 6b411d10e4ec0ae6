#!/usr/bin/env bash
# make demo: record laps of `lake` with the simulator's expert, prepare, train, drive a lap with the
# new model in closed loop, evaluate it (and on `jungle`), and write report/index.html.
# Usage: Scripts/demo.sh [SEED]. Knobs (environment): DEMO_LAPS, DEMO_RECOVERY_LAPS, DEMO_EPOCHS,
# DEMO_SPEED (mph the model drives at), DEMO_PORT, DEMO_JUNGLE (0 skips the jungle drive), DEMO_REPORT
# (report folder, default report), BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-1}
BIN=${BIN:-bin}
laps=${DEMO_LAPS:-1}
recovery_laps=${DEMO_RECOVERY_LAPS:-1}
epochs=${DEMO_EPOCHS:-1}
speed=${DEMO_SPEED:-25}
port=${DEMO_PORT:-$((4600 + seed % 100))}
jungle=${DEMO_JUNGLE:-1}
work=demo/seed-$seed
report=${DEMO_REPORT:-report}
started=$SECONDS

drive_pid=""
cleanup() {
  if [[ -n "$drive_pid" ]] && kill -0 "$drive_pid" 2>/dev/null; then
    kill "$drive_pid" 2>/dev/null || true
    wait "$drive_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

step() { printf '\n== [%3ds] %s\n' $((SECONDS - started)) "$*"; }

for exe in Simulate TrainNvidia Drive Video Report; do
  [[ -x "$BIN/$exe" ]] || { echo "demo: $BIN/$exe is missing: run make build" >&2; exit 1; }
done

echo "demo (seed $seed): record -> prepare -> train -> drive -> report; work folder $work, report in $report/"
rm -rf "$work" "$report"
mkdir -p "$work/data" "$report"

step "record: $laps lap(s) of lake at 25 mph, then $recovery_laps with recoveries and steering noise (expert driver)"
"$BIN/Simulate" record --track lake --laps "$laps" --seed "$seed" --output "$work/data/lake"
if (( recovery_laps > 0 )); then
  "$BIN/Simulate" record --track lake --laps "$recovery_laps" --seed $((seed + 1000)) --recoveries --noise 0.05 \
    --output "$work/data/lake-recoveries"
fi

step "prepare + train: $epochs epochs at most, seed $seed"
"$BIN/TrainNvidia" --data "$work/data" --store "$work/samples.h5" --epochs "$epochs" --seed "$seed" \
  --output "$work/model.h5" --report-dir "$report"

# Starts Drive with the model in the background and waits until it listens.
start_drive() {
  local frames=$1
  "$BIN/Drive" "$work/model.h5" ${frames:+"$frames"} --port "$port" --speed "$speed" --quiet &
  drive_pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
    kill -0 "$drive_pid" 2>/dev/null || { echo "demo: Drive exited before listening" >&2; exit 1; }
    sleep 0.2
  done
  echo "demo: Drive did not listen on port $port" >&2
  exit 1
}
stop_drive() { cleanup; drive_pid=""; }

step "drive: 1 lap of lake with the new model at $speed mph (Drive on port $port, Simulate drive against it)"
start_drive "$work/frames"
"$BIN/Simulate" drive --track lake --laps 1 --port "$port" --report "$report/drive.json" --picture "$report/drive.png"
stop_drive

if [[ "$jungle" != 0 ]]; then
  step "generalisation: the lake-trained model on jungle (1 lap or ${DEMO_JUNGLE_SECONDS:-120} simulated seconds)"
  start_drive ""
  "$BIN/Simulate" drive --track jungle --laps 1 --port "$port" --time-limit "${DEMO_JUNGLE_SECONDS:-120}" \
    --report "$report/jungle.json" --picture "$report/jungle.png" || echo "demo: jungle drive failed (reported, not fatal)" >&2
  stop_drive
fi

step "video and report"
if command -v ffmpeg >/dev/null; then format=mp4; else format=avi; fi
"$BIN/Video" "$work/frames" --fps 20 --format "$format" --output "$report/drive.$format"
"$BIN/Report" "$report"

step "evaluation"
status=0
"$BIN/Report" "$report" --evaluate --min-speed 20 || status=$?
step "done: $report/index.html, $report/drive.json; $((SECONDS - started)) s in all"
exit $status
