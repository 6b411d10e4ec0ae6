"""The peer Drive is compared with: drive.py's stack doing the same work, timed the same way.

A python-socketio 4.x server (eventlet, as drive.py) decodes the telemetry JPEG straight to RGB
(OpenCV IMREAD_COLOR_RGB: faster than drive.py's Pillow and no conversion copy), resizes it to
128x128 (INTER_LINEAR, as ours), runs the seed network (PyTorch eager under inference_mode, one
thread, as ours serves on one model thread; numpy im2col + BLAS if torch is missing) and replies
`steer`. Weights are random: only time matters.

Benchmarks/run.sh starts `drive_peer.py --serve --port P` and times it with `bin/Bench drive
--peer-port P`, the client that times ours, on the same JPEG frames (last byte sent -> steer
received). Without --serve this script runs its own websocket-client against the server instead:

    python Benchmarks/drive_peer.py [--frames 1000] [--warmup 100] [--backend torch|numpy]

The client uses EIO=3: python-engineio >= 3.14 answers 400 to the simulator's EIO=4 URL.
Last lines: `python drive p50 ms: <x>` and `python drive p99 ms: <x>`.
"""
import argparse
import base64
import os
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
parser.add_argument("--frames", type=int, default=1000)
parser.add_argument("--warmup", type=int, default=100)
parser.add_argument("--serve", action="store_true", help="only run the server (internal)")
args = parser.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # one model thread, as `Bench drive` serves by default


def synthetic_frame():
    """A road-like 320x160 frame like Bench drive's (sky, textured grass, grey road), JPEG q75."""
    rng = np.random.default_rng(2017)
    img = np.zeros((160, 320, 3), np.int32)
    noise = rng.integers(0, 64, (160, 320))
    ys, xs = np.mgrid[0:160, 0:320]
    img[:60] = np.stack([120 + ys[:60], 160 + ys[:60], np.full((60, 320), 230)], -1)
    half = (ys - 60) * 1.5 + 10
    dx = np.abs(xs - 160)
    road, edge = (dx < half - 4) & (ys >= 60), (dx >= half - 4) & (dx < half) & (ys >= 60)
    grass = (ys >= 60) & ~road & ~edge
    img[road] = np.stack([105 + noise // 2] * 2 + [110 + noise // 2], -1)[road]
    img[edge] = (220, 200, 60)
    img[grass] = np.stack([70 + noise, 110 + noise * 2, 40 + noise], -1)[grass]
    out = BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=75)
    return out.getvalue()


if not args.serve:
    # The client side: start the server as a child process, drive it, print the numbers.
    import subprocess
    import websocket
    from websocket import ABNF

    server = subprocess.Popen([sys.executable, __file__, "--serve", "--port", str(args.port)]
                              + (["--backend", args.backend] if args.backend else []))
    try:
        for _ in range(300):
            try:
                ws = websocket.create_connection(
                    f"ws://127.0.0.1:{args.port}/socket.io/?EIO=3&transport=websocket", timeout=30)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("drive_peer: server did not start")
        jpeg = synthetic_frame()
        image = base64.b64encode(jpeg).decode("ascii")
        message = ('42["telemetry",{"steering_angle":"0.0000","throttle":"0.2000","speed":"24.9812","image":"'
                   + image + '"}]').encode()
        print(f"frame: 320x160 JPEG {len(jpeg)} bytes, telemetry message {len(message)} bytes", flush=True)
        frames = [ABNF.create_frame(message[i:i + 1016], ABNF.OPCODE_TEXT if i == 0 else ABNF.OPCODE_CONT,
                                    fin=1 if i + 1016 >= len(message) else 0) for i in range(0, len(message), 1016)]
        wire = b"".join(f.format() for f in frames)
        times = []
        for i in range(args.warmup + args.frames):
            ws.sock.sendall(wire)
            sent = time.perf_counter()
            while True:
                reply = ws.recv()
                if reply.startswith("42"):
                    break
            if not reply.startswith('42["steer"'):
                raise SystemExit(f"drive_peer: unexpected reply {reply[:60]}")
            if i >= args.warmup:
                times.append((time.perf_counter() - sent) * 1000)
        ws.close()
        t = np.array(times)
        print(f"round trip: p50 {np.percentile(t, 50):.3f} ms, p99 {np.percentile(t, 99):.3f} ms, "
              f"mean {t.mean():.3f} ms, max {t.max():.3f} ms over {len(t)} frames")
        print(f"python drive p50 ms: {np.percentile(t, 50):.3f}")
        print(f"python drive p99 ms: {np.percentile(t, 99):.3f}")
    finally:
        server.terminate()
        server.wait()
    sys.exit(0)

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
cv2.setNumThreads(1)
print(f"drive_peer server: python-socketio {socketio.__version__}, backend {backend}, port {args.port}", flush=True)

sio = socketio.Server(async_mode="eventlet")
app = socketio.WSGIApp(sio)
kp, ki, set_speed = 0.1, 0.002, 25.0
integral = 0.0
@sio.on("telemetry")
def telemetry(sid, data):
    global integral
    if not data:
        sio.emit("manual", data={}, room=sid)
        return
    jpeg = np.frombuffer(base64.b64decode(data["image"]), np.uint8)
    image = cv2.resize(cv2.imdecode(jpeg, cv2.IMREAD_COLOR_RGB), (128, 128), interpolation=cv2.INTER_LINEAR)
    steering = forward(image)
    error = set_speed - float(data["speed"].replace(",", "."))
    integral += error
    throttle = kp * error + ki * integral
    sio.emit("steer", data={"steering_angle": str(steering), "throttle": str(throttle)}, room=sid)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
eventlet.wsgi.server(eventlet.listen(("127.0.0.1", args.port)), app, log_output=False)
