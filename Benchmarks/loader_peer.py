#!/usr/bin/env python3
"""Peers for `Bench loader`: read the same HDF5 sample store in a shuffled chunk order, with as many
readers as ours has (--workers, default 2 = `Bench loader --readers`).

  h5py-threads  a thread pool; each thread `read_direct`s whole chunks (images and labels) into
                arrays it reuses, in a shuffled chunk order. No batching or in-chunk shuffle: the
                least any shuffled reader must do. (h5py serialises HDF5 calls under one lock, so
                the threads overlap only outside the library.)
  torch         a PyTorch DataLoader, what a PyTorch user writes: a Dataset whose item is one chunk
                (h5py opened once per worker process, read into shared-memory tensors), shuffle=True,
                the same worker count, persistent workers; the main process cuts each chunk into
                shuffled batches of 32 (index_select), as ours delivers them. A per-sample Dataset
                would read the store one image at a time: far slower, so not what we compare with.
Each runs in its own process (Benchmarks/run.sh). Last line: `<variant> loader img/s: <n>`.

  python loader_peer.py --variant h5py-threads|torch --store PATH [--seconds 20] [--workers 2]
"""
import argparse
import threading
import time

import h5py
import numpy as np


def chunk_layout(path, split):
    with h5py.File(path, "r") as f:
        images = f[split]["images"]
        n, chunk = images.shape[0], images.chunks[0]
        print(f"store: {path}, {n} images {images.shape[1:]}, chunks of {chunk}, compression {images.compression}")
        return n, chunk, images.shape[1:]


def h5py_threads(args):
    n, chunk, shape = chunk_layout(args.store, args.split)
    chunks = (n + chunk - 1) // chunk
    f = h5py.File(args.store, "r")
    images, steering = f[args.split]["images"], f[args.split]["steering"]
    delivered = [0] * args.workers
    stop = threading.Event()

    def reader(worker):
        x = np.empty((chunk,) + shape, np.uint8)  # reused for every chunk
        y = np.empty((chunk,), np.float32)
        rng = np.random.default_rng(worker)
        while not stop.is_set():
            # Worker w takes every workers-th chunk of a fresh shuffled order each epoch.
            for c in rng.permutation(chunks)[worker::args.workers]:
                a, b = int(c) * chunk, min((int(c) + 1) * chunk, n)
                images.read_direct(x, np.s_[a:b], np.s_[0:b - a])
                steering.read_direct(y, np.s_[a:b], np.s_[0:b - a])
                delivered[worker] += b - a
                if stop.is_set():
                    return

    threads = [threading.Thread(target=reader, args=(w,)) for w in range(args.workers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    total = sum(delivered)
    elapsed = time.perf_counter() - start
    for t in threads:
        t.join()
    f.close()
    return total, elapsed, shape


class ChunkDataset:
    """Item i: chunk i of the store as (images uint8 (m, h, w, 3), steering float32 (m,))."""

    def __init__(self, path, split, n, chunk, shape):
        self.path, self.split, self.n, self.chunk, self.shape = path, split, n, chunk, shape
        self.file = None

    def __len__(self):
        return (self.n + self.chunk - 1) // self.chunk

    def __getitem__(self, i):
        if self.file is None:  # opened lazily, once per worker process (h5py handles do not fork)
            self.file = h5py.File(self.path, "r")
            self.images, self.steering = self.file[self.split]["images"], self.file[self.split]["steering"]
        import torch

        a, b = i * self.chunk, min((i + 1) * self.chunk, self.n)
        # Allocated in shared memory and read into directly: the DataLoader then hands the worker's
        # tensors to the main process without copying them again (a plain array costs one more copy).
        x = torch.empty((b - a,) + self.shape, dtype=torch.uint8).share_memory_()
        y = torch.empty((b - a,), dtype=torch.float32).share_memory_()
        self.images.read_direct(x.numpy(), np.s_[a:b])
        self.steering.read_direct(y.numpy(), np.s_[a:b])
        return x, y


def torch_loader(args):
    import torch

    n, chunk, shape = chunk_layout(args.store, args.split)
    torch.set_num_threads(1)
    loader = torch.utils.data.DataLoader(
        ChunkDataset(args.store, args.split, n, chunk, shape), batch_size=None, shuffle=True,
        num_workers=args.workers, persistent_workers=True, prefetch_factor=4)
    delivered, checksum = 0, 0
    g = torch.Generator().manual_seed(1)
    start = time.perf_counter()
    while True:
        for x, y in loader:
            order = torch.randperm(x.shape[0], generator=g)
            for k in range(0, x.shape[0] - args.batch_size + 1, args.batch_size):
                pick = order[k:k + args.batch_size]
                # A batch of gathered copies, as ours delivers (index_select: 10x faster than x[pick]).
                bx, by = torch.index_select(x, 0, pick), torch.index_select(y, 0, pick)
                checksum += int(bx[0, 0, 0, 0]) + int(by[0] * 1000)
                delivered += args.batch_size
            if time.perf_counter() - start >= args.seconds:
                return delivered, time.perf_counter() - start, shape


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=["h5py-threads", "torch"], required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--split", default="train")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    delivered, elapsed, shape = (h5py_threads if args.variant == "h5py-threads" else torch_loader)(args)
    rate = delivered / elapsed
    mb = rate * int(np.prod(shape)) / 1e6
    print(f"{args.variant}: {delivered} images in {elapsed:.2f} s, {mb:.0f} MB/s, {args.workers} workers, h5py {h5py.__version__}")
    print(f"{args.variant} loader img/s: {rate:.0f}")


if __name__ == "__main__":
    main()
