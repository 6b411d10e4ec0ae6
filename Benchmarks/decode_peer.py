#!/usr/bin/env python3
"""Peers for `Bench decode`, doing the same work on one thread: decode a 320x160 JPEG to RGB, then a
bilinear resize to 128x128 with 2x2 taps at pixel centres (OpenCV's INTER_LINEAR, which ours matches).

  opencv         cv2.imdecode(IMREAD_COLOR_RGB): libjpeg-turbo writes RGB directly, as ours does (no
                 BGR->RGB copy); cv2.resize(INTER_LINEAR) into a reused output array, as ours reuses.
  pillow         Image.open + an affine transform with BILINEAR (2x2 taps, the same sample points);
                 no .convert("RGB"), which would copy an image that is already RGB. Pillow allocates
                 its decoded and resized images; it offers no way to reuse them.
  pillow-resize  Image.resize(BILINEAR): what most Pillow code calls, but it filters over the whole
                 2.5-pixel footprint (antialiasing, about 6x6 taps): more work, so listed only for
                 reference and never used for a ratio.
Each variant runs in its own process (Benchmarks/run.sh). Last line: `<variant> decode img/s: <n>`.

  python decode_peer.py --variant opencv|pillow|pillow-resize [--seconds 10] [--images DIR]
"""
import argparse
import io
import pathlib
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def frames(folder):
    if folder is None:
        return [(ROOT / "Tests/DrivingDataTests/Fixtures/frame.jpg").read_bytes()]
    paths = sorted(p for p in pathlib.Path(folder).iterdir() if p.suffix.lower() == ".jpg")[:256]
    if not paths:
        raise SystemExit(f"no .jpg files in {folder}")
    return [p.read_bytes() for p in paths]


def measure(seconds, step):
    for i in range(64):
        step(i)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(64):
            step(count)
            count += 1
    return count / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=["opencv", "pillow", "pillow-resize"], required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--images", help="folder of .jpg frames; default: the committed test frame")
    args = parser.parse_args()
    data = frames(args.images)

    if args.variant == "opencv":
        import cv2

        cv2.setNumThreads(1)
        buffers = [np.frombuffer(b, np.uint8) for b in data]
        small = np.empty((128, 128, 3), np.uint8)
        flag = getattr(cv2, "IMREAD_COLOR_RGB", None)
        if flag is None:
            raise SystemExit("decode_peer: this OpenCV has no IMREAD_COLOR_RGB (needs 4.11 or later)")

        def step(i):
            rgb = cv2.imdecode(buffers[i % len(buffers)], flag)
            cv2.resize(rgb, (128, 128), dst=small, interpolation=cv2.INTER_LINEAR)

        version = f"opencv {cv2.__version__}"
    else:
        from PIL import Image

        bilinear = Image.Resampling.BILINEAR

        def step(i):
            image = Image.open(io.BytesIO(data[i % len(data)]))
            if args.variant == "pillow":
                sx, sy = image.width / 128, image.height / 128
                image.transform((128, 128), Image.Transform.AFFINE, (sx, 0, 0, 0, sy, 0), resample=bilinear)
            else:
                image.resize((128, 128), bilinear)

        version = f"pillow {Image.__version__}"
    rate = measure(args.seconds, step)
    print(f"{version}, {len(data)} distinct frames, one thread")
    print(f"{args.variant} decode img/s: {rate:.0f}")


if __name__ == "__main__":
    main()
