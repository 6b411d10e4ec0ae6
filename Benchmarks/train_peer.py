#!/usr/bin/env python3
"""The seed model trained on random uint8 images in PyTorch (eager, CPU) and/or Keras, the same work
as `Bench train`: batch 32 of 128x128x3 uint8, crop, rescale, 5 ELU convs, 4 dense, MSE, Adam 1e-3.

Usage: train_peer.py [--framework all|torch|torch-cl|keras|keras-fit] [--batch-size 32] [--seconds 20]
Prints one line per framework: `torch train img/s: <n>`, `torch channels-last train img/s: <n>`,
`keras train img/s: <n>` (train_on_batch) and `keras fit train img/s: <n>` (model.fit over a
repeated, prefetched tf.data dataset: the compiled loop a Keras user runs), which Benchmarks/run.sh
reads. Missing frameworks are reported and skipped.
"""
import argparse
import os
import time

p = argparse.ArgumentParser()
p.add_argument("--framework", choices=["all", "torch", "torch-cl", "keras", "keras-fit"], default="all")
p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--seconds", type=float, default=20.0)
p.add_argument("--warmup", type=int, default=3)
args = p.parse_args()

import numpy as np  # noqa: E402

rng = np.random.default_rng(2)
images = rng.integers(0, 256, (args.batch_size, 128, 128, 3), dtype=np.uint8)
labels = rng.uniform(-0.5, 0.5, (args.batch_size, 1)).astype(np.float32)


def timed(step):
    for _ in range(args.warmup):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        step()
        n += 1
    return n * args.batch_size / (time.perf_counter() - start)


def torch_rate(channels_last):
    import torch
    from torch import nn

    class Seed(nn.Module):
        def __init__(self):
            super().__init__()
            c = [3, 24, 36, 48, 64, 64]
            k = [5, 5, 5, 3, 3]
            s = [2, 2, 2, 1, 1]
            self.convs = nn.ModuleList(nn.Conv2d(c[i], c[i + 1], k[i], s[i]) for i in range(5))
            self.drop = nn.Dropout(0.5)
            self.fc = nn.ModuleList([nn.Linear(1152, 100), nn.Linear(100, 50), nn.Linear(50, 10), nn.Linear(10, 1)])

        def forward(self, x):  # x: uint8 NHWC
            x = x[:, 43:116].permute(0, 3, 1, 2).float() / 127.5 - 1
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            for conv in self.convs:
                x = nn.functional.elu(conv(x))
            x = self.drop(x).permute(0, 2, 3, 1).flatten(1)  # Keras's flatten order
            x = self.drop(nn.functional.elu(self.fc[0](x)))
            x = nn.functional.elu(self.fc[1](x))
            x = nn.functional.elu(self.fc[2](x))
            return self.fc[3](x)

    model = Seed()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x = torch.from_numpy(images)
    y = torch.from_numpy(labels)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()

    return timed(step), f"torch {torch.__version__}, {torch.get_num_threads()} threads"


def keras_rate(fit=False):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        os.environ["KERAS_BACKEND"] = "jax"
    import keras

    L = keras.layers
    model = keras.Sequential(
        [keras.Input((128, 128, 3)), L.Cropping2D(((43, 12), (0, 0))), L.Rescaling(1 / 127.5, offset=-1)]
        + [L.Conv2D(f, k, strides=s, activation="elu") for f, k, s in [(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)]]
        + [L.Dropout(0.5), L.Flatten(), L.Dense(100, activation="elu"), L.Dropout(0.5),
           L.Dense(50, activation="elu"), L.Dense(10, activation="elu"), L.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    x = images.astype(np.float32)
    if fit and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensors((tf.constant(x), tf.constant(labels))).repeat().prefetch(4)
        model.fit(ds, steps_per_epoch=max(args.warmup, 1), epochs=1, verbose=0)  # traces and warms up
        # Size one epoch from a short probe so the timed fit lasts about --seconds.
        start = time.perf_counter()
        model.fit(ds, steps_per_epoch=10, epochs=1, verbose=0)
        steps = max(10, int(10 * args.seconds / (time.perf_counter() - start)))
        start = time.perf_counter()
        model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
        rate = steps * args.batch_size / (time.perf_counter() - start)
        return rate, f"keras {keras.__version__} model.fit on tf.data"
    # train_on_batch runs the compiled step once per call.
    rate = timed(lambda: model.train_on_batch(x, labels))
    return rate, f"keras {keras.__version__} ({keras.backend.backend()}) train_on_batch"


RUNS = {
    "torch": ("torch", lambda: torch_rate(False)),
    "torch-cl": ("torch channels-last", lambda: torch_rate(True)),
    "keras": ("keras", keras_rate),
    "keras-fit": ("keras fit", lambda: keras_rate(fit=True)),
}
for key in ["torch", "torch-cl", "keras", "keras-fit"] if args.framework == "all" else [args.framework]:
    label, fn = RUNS[key]
    try:
        rate, what = fn()
    except ImportError as e:
        print(f"{label}: not installed ({e}); skipped")
        continue
    print(f"{what}, batch {args.batch_size}")
    print(f"{label} train img/s: {rate:.0f}", flush=True)
