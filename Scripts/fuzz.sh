#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/<Name>/main.swift) with AddressSanitizer into .build-fuzz and
# runs them one after another, each for FUZZ_SECONDS (default 60) or, when set, FUZZ_RUNS executions.
# Leaks, crashes, timeouts (FUZZ_TIMEOUT s per input) and allocations over 2 GB all fail the run.
# Seeds come from Fuzz/Corpus/<Name>; new inputs go to .build-fuzz/corpus/<Name>, reproducers of
# failures to .build-fuzz/artifacts/. Usage: Scripts/fuzz.sh [Name ...] (default: every target).
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
RUNS=${FUZZ_RUNS:-}
TIMEOUT=${FUZZ_TIMEOUT:-10}
ALL="EngineIO WebSocket SimulatorReply TrackJSON DrivingLog KerasConfig Marshal JPEG PNG"
TARGETS=${*:-$ALL}
WORK=.build-fuzz
FLAGS=(-c release --scratch-path "$WORK" -Xswiftc -sanitize=fuzzer,address
  -Xcc -fsanitize=fuzzer-no-link,address)

# Package.swift declares the Fuzz* targets only when BC_FUZZ=1.
export BC_FUZZ=1
for t in $TARGETS; do
  "$SWIFT" build "${FLAGS[@]}" --product "Fuzz$t"
done
bin=$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)

mkdir -p "$WORK/logs" "$WORK/artifacts"
failed=()
for t in $TARGETS; do
  mkdir -p "$WORK/corpus/$t"
  options=(-detect_leaks=1 -timeout="$TIMEOUT" -rss_limit_mb=2048 -malloc_limit_mb=2048
    -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t-")
  if [ -n "$RUNS" ]; then options+=(-runs="$RUNS"); else options+=(-max_total_time="$SECONDS_EACH"); fi
  [ -f "Fuzz/Dict/$t.dict" ] && options+=(-dict="Fuzz/Dict/$t.dict")
  echo "== Fuzz$t ${options[*]}"
  if "$bin/Fuzz$t" "${options[@]}" "$WORK/corpus/$t" "Fuzz/Corpus/$t" >"$WORK/logs/$t.log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/logs/$t.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$WORK/logs/$t.log" | tail -1)
  echo "   $status: ${runs:-?} executions, ${rate:-?} exec/s (log $WORK/logs/$t.log)"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]} (reproducers in $WORK/artifacts/)"
  exit 1
fi
