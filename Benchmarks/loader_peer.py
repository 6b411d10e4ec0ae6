"""The least any shuffled reader must do: h5py reading a sample store chunk by chunk, in a random
chunk order, images and labels (no shuffling inside chunks, no batching). Compare with `Bench loader`.

  python loader_peer.py --store PATH [--seconds 20] [--split train]
"""
import argparse
import time

import h5py
import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--split", default="train")
    parser.add_argument("--sequential", action="store_true", help="chunks in storage order instead")
    args = parser.parse_args()

    with h5py.File(args.store, "r") as f:
        images = f[args.split]["images"]
        steering = f[args.split]["steering"]
        n = images.shape[0]
        chunk = images.chunks[0]
        chunks = (n + chunk - 1) // chunk
        print(f"store: {args.store}, {n} images {images.shape[1:]}, chunks of {chunk}, "
              f"compression {images.compression}")
        rng = np.random.default_rng(1)
        delivered = 0
        checksum = 0
        start = time.perf_counter()
        done = False
        while not done:
            order = np.arange(chunks) if args.sequential else rng.permutation(chunks)
            for c in order:
                a, b = int(c) * chunk, min((int(c) + 1) * chunk, n)
                x = images[a:b]
                y = steering[a:b]
                checksum += int(x[(b - a) // 2, 0, 0, 0]) + int(y[0] * 1000)
                delivered += b - a
                if time.perf_counter() - start >= args.seconds:
                    done = True
                    break
        elapsed = time.perf_counter() - start
    rate = delivered / elapsed
    mb = rate * int(np.prod(images.shape[1:])) / 1e6
    print(f"h5py read {delivered} images in {elapsed:.2f} s, {mb:.0f} MB/s (checksum {checksum % 1000})")
    label = "sequential-chunk" if args.sequential else "random-chunk"
    print(f"h5py {label} img/s: {rate:.0f}")


if __name__ == "__main__":
    main()
