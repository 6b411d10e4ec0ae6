"""The peer Drive is compared with: drive.py's stack doing the same work.

A python-socketio 4.x server (with eventlet, as drive.py) that decodes the telemetry JPEG (Pillow), resizes it
to 128x128 (OpenCV INTER_LINEAR, as the seed), runs the seed network (PyTorch if installed, else
numpy im2col + BLAS matmul) and replies `steer`. Weights are random: only time matters here.

    python Benchmarks/drive_peer.py [--port 4568] [--backend torch|numpy]
    bin/Bench drive --peer-port 4568        # prints `drive peer p99 ms: <x>`

The Bench client connects with EIO=3: python-engineio >= 3.14 answers 400 to the simulator's EIO=4
(3.13.2 would accept it). Needs python-socketio 4.x, python-engineio 3.x, eventlet, numpy, pillow,
opencv-python-headless, and torch for the PyTorch forward (numpy otherwise).
"""
import argparse
import base64
import signal
import sys
import time
from io import BytesIO

import cv2
import eventlet
import eventlet.wsgi
import numpy as np
import socketio
from PIL import Image

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=4568)
parser.add_argument("--backend", choices=["torch", "numpy"], default=None)
args = parser.parse_args()

# The seed model: crop (43, 12), x/127.5-1, conv 24/36/48 5x5 s2, conv 64/64 3x3, dense 100/50/10/1, ELU.
CONVS = [(3, 24, 5, 2), (24, 36, 5, 2), (36, 48, 5, 2), (48, 64, 3, 1), (64, 64, 3, 1)]
DENSES = [(1152, 100), (100, 50), (50, 10), (10, 1)]
rng = np.random.default_rng(1)
conv_w = [rng.normal(0, np.sqrt(2 / (k * k * i)), (k, k, i, o)).astype(np.float32) for i, o, k, _ in CONVS]
conv_b = [np.zeros(o, np.float32) for _, o, _, _ in CONVS]
dense_w = [rng.normal(0, np.sqrt(2 / i), (i, o)).astype(np.float32) for i, o in DENSES]
dense_b = [np.zeros(o, np.float32) for _, o in DENSES]


def elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def forward_numpy(img):  # img: (128, 128, 3) uint8
    x = img[43:128 - 12].astype(np.float32) / 127.5 - 1.0  # (73, 128, 3)
    for w, b, (_, o, k, s) in zip(conv_w, conv_b, CONVS):
        win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(0, 1))[::s, ::s]  # (H', W', C, k, k)
        h, wd = win.shape[:2]
        cols = win.transpose(0, 1, 3, 4, 2).reshape(h * wd, -1)  # (H'W', k*k*C)
        x = elu(cols @ w.reshape(-1, o) + b).reshape(h, wd, o)
    x = x.reshape(-1)
    for i, (w, b) in enumerate(zip(dense_w, dense_b)):
        x = x @ w + b
        if i < len(DENSES) - 1:
            x = elu(x)
    return float(x[0])


def make_torch_forward():
    import torch

    torch.set_num_threads(1)
    layers = []
    for (i, o, k, s), w, b in zip(CONVS, conv_w, conv_b):
        conv = torch.nn.Conv2d(i, o, k, stride=s)
        conv.weight.data = torch.from_numpy(w.transpose(3, 2, 0, 1).copy())
        conv.bias.data = torch.from_numpy(b)
        layers += [conv, torch.nn.ELU()]
    layers.append(torch.nn.Flatten())
    for n, ((i, o), w, b) in enumerate(zip(DENSES, dense_w, dense_b)):
        dense = torch.nn.Linear(i, o)
        dense.weight.data = torch.from_numpy(w.T.copy())
        dense.bias.data = torch.from_numpy(b)
        layers.append(dense)
        if n < len(DENSES) - 1:
            layers.append(torch.nn.ELU())
    net = torch.nn.Sequential(*layers).eval()

    def forward(img):
        with torch.inference_mode():
            x = torch.from_numpy(img[43:116]).permute(2, 0, 1).unsqueeze(0).float() / 127.5 - 1.0
            # Flatten order differs from Keras (CHW vs HWC); irrelevant for timing.
            return float(net(x)[0, 0])

    return forward


backend = args.backend
if backend is None:
    try:
        import torch  # noqa: F401

        backend = "torch"
    except ImportError:
        backend = "numpy"
forward = make_torch_forward() if backend == "torch" else forward_numpy
print(f"drive_peer: python-socketio {socketio.__version__}, backend {backend}, port {args.port}", flush=True)

sio = socketio.Server(async_mode="eventlet")
app = socketio.WSGIApp(sio)
kp, ki, set_speed = 0.1, 0.002, 25.0
integral = 0.0
times = []


@sio.on("telemetry")
def telemetry(sid, data):
    global integral
    if not data:
        sio.emit("manual", data={}, room=sid)
        return
    start = time.perf_counter()
    image = np.asarray(Image.open(BytesIO(base64.b64decode(data["image"]))).convert("RGB"))
    image = cv2.resize(image, (128, 128), interpolation=cv2.INTER_LINEAR)
    steering = forward(image)
    error = set_speed - float(data["speed"].replace(",", "."))
    integral += error
    throttle = kp * error + ki * integral
    sio.emit("steer", data={"steering_angle": str(steering), "throttle": str(throttle)}, room=sid)
    times.append((time.perf_counter() - start) * 1000)


def report(*_):
    if times:
        t = np.array(times[100:] or times)
        print(f"drive_peer handler: p50 {np.percentile(t, 50):.3f} ms, p99 {np.percentile(t, 99):.3f} ms over {len(t)}")
    sys.exit(0)


signal.signal(signal.SIGINT, report)
signal.signal(signal.SIGTERM, report)
eventlet.wsgi.server(eventlet.listen(("127.0.0.1", args.port)), app, log_output=False)
