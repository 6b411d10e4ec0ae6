#!/usr/bin/env bash
# make demo: record 3 laps of `lake` with the simulator's expert under varied conditions, prepare,
# train, drive 10 laps of lake with the new model in closed loop with 150 +- 30 ms of latency, then 3
# laps of `jungle` (never trained on), evaluate, and write report/index.html.
# Usage: Scripts/demo.sh [SEED]. Knobs (environment): DEMO_LAPS, DEMO_RECOVERY_LAPS, DEMO_EPOCHS,
# DEMO_SPEED (mph the model drives at), DEMO_DRIVE_LAPS, DEMO_JUNGLE_LAPS, DEMO_LATENCY_MS,
# DEMO_CONDITIONS (0: record at noon without shadows), DEMO_DAGGER (DAgger rounds after training, 0),
# DEMO_DAGGER_LAPS (laps each round records), DEMO_PORT, DEMO_JUNGLE (0 skips the jungle drive),
# DEMO_REPORT (report folder, default report), DEMO_WORK (work folder, default demo/seed-SEED),
# DEMO_SERVE (1: afterwards the model drives lake live in `Simulate serve` and the URL is printed;
# DEMO_SERVE_PORT, default 8080), DEMO_CURVE_ACCEL (Drive --curve-accel: slow for curves, m/s^2;
# empty: drive.py's constant set speed), DEMO_LEARNING_RATE (Adam's, 0.001), DEMO_CORRECTION (the
# side cameras' steering correction, the seed's 0.1), DEMO_PRECISION (TrainNvidia --precision: fp32, or
# bf16 on a CPU with AVX-512 BF16), BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-1}
BIN=${BIN:-bin}
laps=${DEMO_LAPS:-2}
recovery_laps=${DEMO_RECOVERY_LAPS:-1}
epochs=${DEMO_EPOCHS:-2}
learning_rate=${DEMO_LEARNING_RATE:-0.001}
correction=${DEMO_CORRECTION:-0.1}
precision=${DEMO_PRECISION:-fp32}
speed=${DEMO_SPEED:-30}
drive_laps=${DEMO_DRIVE_LAPS:-10}
jungle_laps=${DEMO_JUNGLE_LAPS:-3}
latency=${DEMO_LATENCY_MS:-150}
conditions=()
[[ "${DEMO_CONDITIONS:-1}" == 0 ]] || conditions=(--conditions)
port=${DEMO_PORT:-$((4600 + seed % 100))}
jungle=${DEMO_JUNGLE:-1}
dagger=${DEMO_DAGGER:-0}
dagger_laps=${DEMO_DAGGER_LAPS:-0.5}
dagger_args=()
(( dagger == 0 )) || dagger_args=(--dagger "$dagger" --dagger-laps "$dagger_laps" --dagger-speed "$speed" \
  --dagger-latency-ms "$latency" --dagger-jitter-ms 30)
curve_accel=${DEMO_CURVE_ACCEL-}
curve_args=()
if [[ -n "$curve_accel" ]]; then
  curve_args=(--curve-accel "$curve_accel")
  (( dagger == 0 )) || dagger_args+=(--dagger-curve-accel "$curve_accel")
fi
work=${DEMO_WORK:-demo/seed-$seed}
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

step "record: $laps lap(s) of lake at 25 mph, then $recovery_laps with recoveries and steering noise (expert driver${conditions:+, varied light, shadows, pitch})"
"$BIN/Simulate" record --track lake --laps "$laps" --seed "$seed" "${conditions[@]}" --output "$work/data/lake"
if (( recovery_laps > 0 )); then
  "$BIN/Simulate" record --track lake --laps "$recovery_laps" --seed $((seed + 1000)) --recoveries --noise 0.05 \
    "${conditions[@]}" --output "$work/data/lake-recoveries"
fi

step "prepare + train: $epochs epochs at most at learning rate $learning_rate in $precision, side cameras +-$correction, one augmented copy per sample, seed $seed${dagger_args:+, then $dagger DAgger rounds of $dagger_laps laps}"
"$BIN/TrainNvidia" --data "$work/data" --store "$work/samples.h5" --epochs "$epochs" --seed "$seed" \
  --learning-rate "$learning_rate" --correction "$correction" --precision "$precision" \
  --augment 1 --output "$work/model.h5" --report-dir "$report" "${dagger_args[@]}"

# Starts Drive with the model in the background (frames folder, then extra flags) and waits until it listens.
start_drive() {
  local frames=$1
  shift
  "$BIN/Drive" "$work/model.h5" ${frames:+"$frames"} --port "$port" --speed "$speed" "${curve_args[@]}" --quiet "$@" &
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

step "drive: $drive_laps laps of lake with the new model at $speed mph, $latency +- 30 ms latency (Drive on port $port, Simulate drive against it)"
start_drive "$work/frames"
"$BIN/Simulate" drive --track lake --laps "$drive_laps" --port "$port" --latency-ms "$latency" --latency-jitter-ms 30 \
  --seed "$seed" --time-limit $((drive_laps * 120)) --report "$report/drive.json" --picture "$report/drive.png"
stop_drive

if [[ "$jungle" != 0 ]]; then
  step "generalisation: the lake-trained model on jungle, $jungle_laps laps, same latency"
  start_drive ""
  "$BIN/Simulate" drive --track jungle --laps "$jungle_laps" --port "$port" --latency-ms "$latency" \
    --latency-jitter-ms 30 --seed "$seed" --time-limit $((jungle_laps * 120)) \
    --report "$report/jungle.json" --picture "$report/jungle.png" || echo "demo: jungle drive failed (reported, not fatal)" >&2
  stop_drive
fi

step "video and report"
if command -v ffmpeg >/dev/null; then format=mp4; else format=avi; fi
"$BIN/Video" "$work/frames" --fps 20 --format "$format" --output "$report/drive.$format"
"$BIN/Report" "$report" --saliency-model "$work/model.h5" --frames "$work/frames"

step "evaluation"
status=0
jungle_bar=()
[[ "$jungle" == 0 ]] || jungle_bar=(--jungle-laps "$jungle_laps")
"$BIN/Report" "$report" --evaluate --min-speed 20 --min-laps "$drive_laps" "${jungle_bar[@]}" || status=$?
step "done: $report/index.html, $report/drive.json; $((SECONDS - started)) s in all"
if [[ "${DEMO_SERVE:-0}" == 1 ]]; then
  serve_port=${DEMO_SERVE_PORT:-8080}
  step "live: the trained model drives lake in Simulate serve (docs/browser.md); Ctrl-C ends the demo"
  echo "watch the drive live at http://127.0.0.1:$serve_port/"
  start_drive "" --saliency
  "$BIN/Simulate" serve --track lake --port "$serve_port" --drive-server "127.0.0.1:$port" --autonomous \
    --output "$work/serve-recording"
  stop_drive
fi
exit $status
