#!/usr/bin/env python3
"""Batch-1 seed-model inference latency on one thread in PyTorch (eager) or Keras, as `Bench infer`.

Usage: infer_peer.py [--framework all|torch|keras] [--seconds 10]
One line per framework: `<framework> infer b1 ms: p50 <x> p99 <y>`. Missing frameworks are skipped.
"""
import argparse
import os
import time

p = argparse.ArgumentParser()
p.add_argument("--framework", choices=["all", "torch", "keras"], default="all")
p.add_argument("--seconds", type=float, default=10.0)
args = p.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
import numpy as np  # noqa: E402

image = np.random.default_rng(3).integers(0, 256, (1, 128, 128, 3), dtype=np.uint8)


def latencies(predict):
    for _ in range(20):
        predict()
    out, start = [], time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        t0 = time.perf_counter()
        predict()
        out.append((time.perf_counter() - t0) * 1e3)
    return np.array(out)


def torch_predict():
    import torch
    from torch import nn

    torch.set_num_threads(1)
    c, k, s = [3, 24, 36, 48, 64, 64], [5, 5, 5, 3, 3], [2, 2, 2, 1, 1]
    convs = nn.ModuleList(nn.Conv2d(c[i], c[i + 1], k[i], s[i]) for i in range(5))
    fcs = nn.ModuleList([nn.Linear(1152, 100), nn.Linear(100, 50), nn.Linear(50, 10), nn.Linear(10, 1)])
    x = torch.from_numpy(image)

    @torch.inference_mode()
    def predict():
        h = x[:, 43:116].permute(0, 3, 1, 2).float() / 127.5 - 1
        for conv in convs:
            h = nn.functional.elu(conv(h))
        h = h.permute(0, 2, 3, 1).flatten(1)
        for fc in fcs[:3]:
            h = nn.functional.elu(fc(h))
        return float(fcs[3](h)[0, 0])

    return predict, f"torch {torch.__version__}"


def keras_predict():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except ImportError:
        os.environ["KERAS_BACKEND"] = "jax"
    import keras

    L = keras.layers
    model = keras.Sequential(
        [keras.Input((128, 128, 3)), L.Cropping2D(((43, 12), (0, 0))), L.Rescaling(1 / 127.5, offset=-1)]
        + [L.Conv2D(f, k, strides=s, activation="elu") for f, k, s in [(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)]]
        + [L.Flatten(), L.Dense(100, activation="elu"), L.Dense(50, activation="elu"), L.Dense(10, activation="elu"), L.Dense(1)]
    )
    x = image.astype(np.float32)
    # A compiled direct call (model.predict adds per-call data-pipeline overhead).
    if keras.backend.backend() == "jax":
        import jax

        tv = [v.value for v in model.trainable_variables]
        fn = jax.jit(lambda t, a: model.stateless_call(t, [], a, training=False)[0])
        run = lambda: float(np.asarray(fn(tv, x))[0, 0])  # noqa: E731
    else:
        import tensorflow as tf

        fn = tf.function(lambda a: model(a, training=False))
        run = lambda: float(fn(x).numpy()[0, 0])  # noqa: E731
    return run, f"keras {keras.__version__} ({keras.backend.backend()})"


for name in ["torch", "keras"] if args.framework == "all" else [args.framework]:
    try:
        predict, what = torch_predict() if name == "torch" else keras_predict()
    except ImportError as e:
        print(f"{name}: not installed ({e}); skipped")
        continue
    lat = latencies(predict)
    print(f"{what}, {len(lat)} runs, mean {lat.mean():.3f} ms")
    print(f"{name} infer b1 ms: p50 {np.percentile(lat, 50):.3f} p99 {np.percentile(lat, 99):.3f}", flush=True)
