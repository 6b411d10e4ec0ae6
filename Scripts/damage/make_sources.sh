#!/usr/bin/env bash
# Builds the undamaged files the damaged-file corpus is made from (docs/damaged-files.md):
# a short simulator recording, its sample store, a one-epoch model.h5 we write and its training
# checkpoint, the Keras fixtures, and one PNG per model at its input size to predict with.
#
#     Scripts/damage/make_sources.sh BIN_DIR OUT_DIR
#
# BIN_DIR holds Simulate, TrainNvidia, Predict (copies, so a rebuild does not change them mid-run).
set -euo pipefail
bin=${1:?BIN_DIR}
out=${2:?OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${BC_KERAS_PYTHON:-$repo/.venv-keras/bin/python}

mkdir -p "$out"
rm -rf "$out/recording" "$out/train"
mkdir -p "$out/train"
# 8 rows x 3 cameras x 2 (flipped) = 48 samples in chunks of 8: small enough to keep every truncation in the corpus.
"$bin/Simulate" record --output "$out/recording" --laps 1 --max-rows 8 --seed 7 > "$out/record.log"
"$bin/TrainNvidia" --data "$out/recording" --store "$out/samples.h5" --epochs 1 --batch-size 16 --chunk-images 8 \
  --threads 1 --output "$out/train/model.h5" --checkpoint "$out/checkpoint.h5" > "$out/train.log"
cp "$out/train/model.h5" "$out/model.h5"

mkdir -p "$out/keras"
cp "$repo"/Tests/ConvNetTests/Fixtures/keras/*.h5 "$out/keras/"
rm -f "$out/keras/"*.expected.h5 "$out/keras/"*.keras_predictions.h5

# One input image per model, of the model's input size (Predict feeds it unchanged).
"$python" "$here/make_images.py" "$out"
echo "sources in $out:"
ls -la "$out" "$out/keras"
