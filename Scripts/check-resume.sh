#!/usr/bin/env bash
# Checks TrainNvidia --resume on a tiny real run: an uninterrupted run and a run stopped after
# epoch 1 (its process ends as a kill would leave it: checkpoint written, nothing after) then
# resumed must end with bit-identical weights (same "weights fingerprint").
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
work=$(mktemp -d /tmp/bc-resume.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$BIN/Simulate" record --track lake --laps 1 --max-rows 120 --seed 5 --output "$work/data" >/dev/null
common=(--data "$work/data" --store "$work/samples.h5" --epochs 3 --patience 0 --seed 5)
"$BIN/TrainNvidia" "${common[@]}" --output "$work/a.h5" 2>/dev/null | tee "$work/a.log" | grep -E "val_loss|fingerprint"
"$BIN/TrainNvidia" "${common[@]}" --output "$work/b.h5" --stop-after-epoch 1 2>/dev/null | grep -E "stopped|val_loss"
"$BIN/TrainNvidia" "${common[@]}" --output "$work/b.h5" --resume 2>/dev/null | tee "$work/b.log" | grep -E "resuming|val_loss|fingerprint"
a=$(grep "weights fingerprint" "$work/a.log")
b=$(grep "weights fingerprint" "$work/b.log")
if [[ "$a" == "$b" ]]; then echo "resume check: identical weights ($a)"; else echo "resume check: FAILED ($a vs $b)"; exit 1; fi
