#!/usr/bin/env python3
"""The seed model trained on random uint8 images in one peer configuration, the same work as
`Bench train`: batch 32 of 128x128x3 uint8, crop, rescale, 5 ELU convs, dropout, 4 dense, MSE, Adam.

Each variant is configured the way its framework's documentation recommends for fast CPU training,
with the same number of threads as `Bench train` (--threads, default: all cores):
  torch          PyTorch eager, NCHW
  torch-cl       PyTorch eager, channels-last (the layout oneDNN's convolutions prefer on CPU)
  torch-compile  torch.compile (Inductor), channels-last
  keras          Keras 3 `model.fit` over a prefetched tf.data pipeline of uint8 images (cast to
                 float inside the model, as ours converts inside the first layer)
  keras-spe      the same with steps_per_execution=32 (several steps per compiled call: Keras's advice
                 for models whose per-step overhead matters)
  keras-xla      the same as keras with jit_compile=True (XLA)
BF16 mixed precision, the peers of `Bench train --precision bf16` (area train-bf16 of run.sh):
  torch-autocast          torch-cl's step with forward and loss under
                          torch.autocast("cpu", dtype=torch.bfloat16) (PyTorch's AMP recipe for CPU:
                          oneDNN BF16 convolutions, FP32 weights and optimizer; no GradScaler, which
                          BF16's FP32 exponent range makes unnecessary)
  torch-compile-autocast  the same through torch.compile
  keras-bf16              keras with the "mixed_bfloat16" policy (Keras's mixed-precision guide:
                          bfloat16 compute, float32 variables; the output layer kept float32)
Benchmarks/run.sh runs each in its own process. Last line: `<variant> train img/s: <n>`.

Usage: train_peer.py --framework VARIANT [--batch-size 32] [--seconds 20] [--threads N]
"""
import argparse
import os
import time

p = argparse.ArgumentParser()
p.add_argument("--framework", choices=["torch", "torch-cl", "torch-compile", "keras", "keras-spe", "keras-xla",
                                      "torch-autocast", "torch-compile-autocast", "keras-bf16"], required=True)
p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--seconds", type=float, default=20.0)
p.add_argument("--threads", type=int, default=os.cpu_count())
p.add_argument("--warmup", type=int, default=5, help="untimed steps (compilation happens here)")
p.add_argument("--inter-op", type=int, default=1, help="Keras: TensorFlow inter-op threads")
p.add_argument("--steps-per-execution", type=int, help="Keras: training steps per compiled call (keras-spe: 32)")
args = p.parse_args()
# Thread pools read these when the libraries load: set them before any import.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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


def torch_rate(channels_last, compiled, autocast=False):
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)

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
    # fused=True: one kernel for all parameters (the documented fastest Adam on CPU since 2.4).
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, fused=True)
    forward = torch.compile(model) if compiled else model
    x = torch.from_numpy(images)
    y = torch.from_numpy(labels)

    def step():
        opt.zero_grad(set_to_none=True)
        # Autocast covers the forward and the loss only; backward runs in the dtypes forward chose.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = nn.functional.mse_loss(forward(x).float(), y)
        loss.backward()
        opt.step()

    layout = "channels-last" if channels_last else "NCHW"
    how = "torch.compile" if compiled else "eager"
    amp = ", autocast bf16" if autocast else ""
    return timed(step), f"torch {torch.__version__} {how} {layout}{amp}, {torch.get_num_threads()} threads"


def keras_rate(xla, spe, bf16=False):
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import tensorflow as tf

    # TensorFlow's CPU guide: intra-op threads = cores; one inter-op thread for a sequential model
    # (more would compete with the intra-op pool for the same cores).
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
    import keras

    if bf16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    L = keras.layers
    model = keras.Sequential(
        # uint8 in; Rescaling casts to float32 after the crop, inside the compiled step.
        [keras.Input((128, 128, 3), dtype="uint8"), L.Cropping2D(((43, 12), (0, 0))),
         L.Rescaling(1 / 127.5, offset=-1)]
        + [L.Conv2D(f, k, strides=s, activation="elu") for f, k, s in [(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)]]
        + [L.Dropout(0.5), L.Flatten(), L.Dense(100, activation="elu"), L.Dropout(0.5),
           L.Dense(50, activation="elu"), L.Dense(10, activation="elu"),
           L.Dense(1, dtype="float32" if bf16 else None)]
    )
    # jit_compile explicit: Keras's "auto" turns XLA off on CPU-only machines.
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", jit_compile=xla, steps_per_execution=spe)
    ds = tf.data.Dataset.from_tensors((images, labels)).repeat().prefetch(tf.data.AUTOTUNE)
    def whole(n):  # a multiple of steps_per_execution, at least one execution
        return max(spe, n // spe * spe)

    model.fit(ds, steps_per_epoch=whole(args.warmup + spe - 1), epochs=1, verbose=0)  # traces, compiles, warms up
    # Size one epoch from a short probe so the timed fit lasts about --seconds.
    probe = whole(max(10, spe))
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=probe, epochs=1, verbose=0)
    steps = whole(max(probe, int(probe * args.seconds / (time.perf_counter() - start))))
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    rate = steps * args.batch_size / (time.perf_counter() - start)
    what = f"keras {keras.__version__}, tensorflow {tf.__version__}, model.fit on tf.data (uint8), jit_compile={xla}"
    what += f", policy {keras.mixed_precision.global_policy().name}"
    return rate, f"{what}, intra-op threads {args.threads}, inter-op {args.inter_op}, steps_per_execution {spe}"


RUNS = {
    "torch": lambda: torch_rate(False, False),
    "torch-cl": lambda: torch_rate(True, False),
    "torch-compile": lambda: torch_rate(True, True),
    "keras": lambda: keras_rate(False, args.steps_per_execution or 1),
    "keras-spe": lambda: keras_rate(False, args.steps_per_execution or 32),
    "keras-xla": lambda: keras_rate(True, args.steps_per_execution or 1),
    "torch-autocast": lambda: torch_rate(True, False, autocast=True),
    "torch-compile-autocast": lambda: torch_rate(True, True, autocast=True),
    "keras-bf16": lambda: keras_rate(False, args.steps_per_execution or 1, bf16=True),
}
rate, what = RUNS[args.framework]()
print(f"{what}, batch {args.batch_size}")
print(f"{args.framework} train img/s: {rate:.0f}", flush=True)
