"""Writes the Predict input for each source model and sources.json, the manifest of the corpus.

    python Scripts/damage/make_images.py OUT_DIR

Keras fixtures take 32x32 images as they are; our model.h5 carries its pipeline and takes a camera
frame (the Drive test fixture). The unknown-Lambda fixture needs --normalize, as it does in Keras.
"""
import json
import os
import shutil
import struct
import sys
import zlib


def png(path, width, height):
    rows = b"".join(
        b"\x00" + bytes((x * 7 + y * 3 + c * 50) % 256 for x in range(width) for c in range(3))
        for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def main():
    out = sys.argv[1]
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    png(os.path.join(out, "input_32x32.png"), 32, 32)
    shutil.copy(os.path.join(repo, "Tests/DriveTests/Fixtures/camera_320x160.jpg"), os.path.join(out, "camera.jpg"))
    sources = {
        "ours_model": {"file": "model.h5", "kind": "model", "image": "camera.jpg", "args": []},
        "checkpoint": {"file": "checkpoint.h5", "kind": "checkpoint"},
        "store": {"file": "samples.h5", "kind": "store"},
    }
    for name in sorted(os.listdir(os.path.join(out, "keras"))):
        stem = name[:-3]
        args = ["--normalize", "x/127.5-1"] if "unknown_lambda" in stem else []
        # Drive checks the pipeline against the simulator's 320x160 frames: these models need a resize.
        sources[stem] = {"file": "keras/" + name, "kind": "model", "image": "input_32x32.png", "args": args,
                         "drive_args": args + ["--resize", "32x32"]}
    with open(os.path.join(out, "sources.json"), "w") as f:
        json.dump(sources, f, indent=1, sort_keys=True)


main()
