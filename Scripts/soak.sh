#!/usr/bin/env bash
# Runs `make test` N times in a row (default 20) while two busy loops keep two cores loaded, so
# tests that depend on timing show up as failures. Each run's output is kept in $SOAK_LOGS
# (default .build/soak/run-<i>.log); one line per run, then the totals. Exits non-zero if any run
# failed. The busy loops are killed on exit, Ctrl-C included. Arguments after N go to make
# (`Scripts/soak.sh 20 TEST_FLAGS="--skip someTest"`).
set -uo pipefail
runs=${1:-20}
shift || true
logs=${SOAK_LOGS:-.build/soak}
mkdir -p "$logs"
busy=()
stop_busy() { [ ${#busy[@]} -eq 0 ] || kill "${busy[@]}" 2>/dev/null; }
trap stop_busy EXIT
trap 'exit 130' INT TERM
for _ in 1 2; do
  sh -c 'while :; do :; done' &
  busy+=($!)
done
echo "soak: $runs runs of make test $*, busy loops ${busy[*]}, logs in $logs ($(date -u +%FT%TZ))"
passed=0
failed=0
for i in $(seq 1 "$runs"); do
  log=$logs/run-$i.log
  start=$(date +%s)
  if make test "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    result=pass
  else
    failed=$((failed + 1))
    result=FAIL
  fi
  # swift-testing's summary line, e.g. "Test run with 320 tests in 40 suites passed after 95 s".
  summary=$(grep -a "Test run with" "$log" | tail -1 | sed 's/^[^A-Za-z]*//')
  echo "run $i/$runs: $result in $(($(date +%s) - start)) s: ${summary:-no summary}"
  [ $result = pass ] || grep -a "✘" "$log" | head -20 | sed 's/^/    /'
done
echo "soak: $passed passed, $failed failed ($(date -u +%FT%TZ))"
[ $failed -eq 0 ]
