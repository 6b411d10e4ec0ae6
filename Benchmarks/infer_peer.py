#!/usr/bin/env python3
"""Batch-1 seed-model inference latency on one thread in one peer configuration, as `Bench infer`:
one uint8 128x128x3 image in (crop and rescale included), one steering angle out.

Variants, each configured as its framework's documentation recommends for CPU serving:
  torch          PyTorch eager under torch.inference_mode
  torch-compile  torch.compile (Inductor) with freezing (weights folded and prepacked, the
                 setting PyTorch's CPU inference guide recommends), channels-last, inference_mode
  keras          Keras 3 model called inside a tf.function (a graph, no per-call model.predict
                 pipeline), TensorFlow intra- and inter-op threads 1
  keras-xla      the same tf.function with jit_compile=True
Benchmarks/run.sh runs each in its own process. Last line: `<variant> infer b1 ms: p50 <x> p99 <y>`.

Usage: infer_peer.py --framework VARIANT [--seconds 10]
"""
import argparse
import os
import time

p = argparse.ArgumentParser()
p.add_argument("--framework", choices=["torch", "torch-compile", "keras", "keras-xla"], required=True)
p.add_argument("--seconds", type=float, default=10.0)
args = p.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

image = np.random.default_rng(3).integers(0, 256, (1, 128, 128, 3), dtype=np.uint8)


def latencies(predict):
    for _ in range(50):  # warm-up; the compiled variants compile on the first call
        predict()
    out, start = [], time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        t0 = time.perf_counter()
        predict()
        out.append((time.perf_counter() - t0) * 1e3)
    return np.array(out)


def torch_predict(compiled):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    c, k, s = [3, 24, 36, 48, 64, 64], [5, 5, 5, 3, 3], [2, 2, 2, 1, 1]

    class Seed(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList(nn.Conv2d(c[i], c[i + 1], k[i], s[i]) for i in range(5))
            self.fcs = nn.ModuleList([nn.Linear(1152, 100), nn.Linear(100, 50), nn.Linear(50, 10), nn.Linear(10, 1)])

        def forward(self, x):  # x: uint8 NHWC
            h = x[:, 43:116].permute(0, 3, 1, 2).float() / 127.5 - 1
            if compiled:
                h = h.contiguous(memory_format=torch.channels_last)
            for conv in self.convs:
                h = nn.functional.elu(conv(h))
            h = h.permute(0, 2, 3, 1).flatten(1)
            for fc in self.fcs[:3]:
                h = nn.functional.elu(fc(h))
            return self.fcs[3](h)

    model = Seed().eval()
    if compiled:
        import torch._inductor.config as inductor

        inductor.freezing = True
        model = torch.compile(model.to(memory_format=torch.channels_last))
    x = torch.from_numpy(image)

    def predict():
        with torch.inference_mode():
            return float(model(x)[0, 0])

    return predict, f"torch {torch.__version__} {'torch.compile (freezing)' if compiled else 'eager'}"


def keras_predict(xla):
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    L = keras.layers
    model = keras.Sequential(
        [keras.Input((128, 128, 3), dtype="uint8"), L.Cropping2D(((43, 12), (0, 0))),
         L.Rescaling(1 / 127.5, offset=-1)]
        + [L.Conv2D(f, k, strides=s, activation="elu") for f, k, s in [(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)]]
        + [L.Flatten(), L.Dense(100, activation="elu"), L.Dense(50, activation="elu"), L.Dense(10, activation="elu"), L.Dense(1)]
    )
    x = tf.constant(image)
    # A compiled direct call: model.predict adds a per-call data pipeline, which servers avoid.
    fn = tf.function(lambda a: model(a, training=False), jit_compile=xla)
    run = lambda: float(fn(x).numpy()[0, 0])  # noqa: E731
    return run, f"keras {keras.__version__}, tensorflow {tf.__version__}, tf.function jit_compile={xla}, 1 thread"


RUNS = {
    "torch": lambda: torch_predict(False),
    "torch-compile": lambda: torch_predict(True),
    "keras": lambda: keras_predict(False),
    "keras-xla": lambda: keras_predict(True),
}
predict, what = RUNS[args.framework]()
lat = latencies(predict)
print(f"{what}, {len(lat)} runs, mean {lat.mean():.3f} ms")
print(f"{args.framework} infer b1 ms: p50 {np.percentile(lat, 50):.3f} p99 {np.percentile(lat, 99):.3f}", flush=True)
