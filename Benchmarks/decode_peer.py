#!/usr/bin/env python3
"""Peers for `Bench decode`: decode the same 320x160 JPEGs and resize to 128x128 on one thread,
with OpenCV (cv2.imdecode + cv2.resize INTER_LINEAR) and with Pillow (open + RGB + BILINEAR resize)."""
import argparse
import io
import pathlib
import time

import cv2
import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]


def frames(folder):
    if folder is None:
        return [(ROOT / "Tests/DrivingDataTests/Fixtures/frame.jpg").read_bytes()]
    paths = sorted(p for p in pathlib.Path(folder).iterdir() if p.suffix.lower() == ".jpg")[:256]
    if not paths:
        raise SystemExit(f"no .jpg files in {folder}")
    return [p.read_bytes() for p in paths]


def measure(seconds, step):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(64):
            step(count)
            count += 1
    return count / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--images", help="folder of .jpg frames; default: the committed test frame")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    data = frames(args.images)
    buffers = [np.frombuffer(b, np.uint8) for b in data]

    def opencv(i):
        bgr = cv2.imdecode(buffers[i % len(buffers)], cv2.IMREAD_COLOR)
        cv2.resize(bgr, (128, 128), interpolation=cv2.INTER_LINEAR)

    def pillow(i):
        image = Image.open(io.BytesIO(data[i % len(data)])).convert("RGB")
        image.resize((128, 128), Image.BILINEAR)

    half = args.seconds / 2
    print(f"opencv decode img/s: {measure(half, opencv):.0f}")
    print(f"pillow decode img/s: {measure(half, pillow):.0f}")


if __name__ == "__main__":
    main()
