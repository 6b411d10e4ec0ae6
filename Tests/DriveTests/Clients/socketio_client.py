"""A python-socketio client (4.6.1/EIO3 or 5.x/EIO4, whichever this Python has) driving a chain.

Like drive.py's counterpart: on connect it sends telemetry (string values); each steer triggers the
next frame; a null telemetry and an argument-less one must come back as `manual`.
Prints one JSON object; exits non-zero on any failure.

usage: socketio_client.py PORT JPEG FRAMES websocket|polling
"""
import base64
import json
import sys
import threading

import socketio

port, jpeg_path, frames, transport = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
image = base64.b64encode(open(jpeg_path, "rb").read()).decode("ascii")
sio = socketio.Client(reconnection=False)
done = threading.Event()
state = {"steers": [], "manuals": 0, "sent": 0, "connected": 0, "fail": [], "transport": None}


def send_next():
    n = state["sent"]
    state["sent"] += 1
    if n == frames:
        sio.emit("telemetry", (None,))  # manual mode, as the simulator's null
    elif n == frames + 1:
        sio.emit("telemetry")  # python-socketio's argument-less form
    else:
        speed = f"{n * 0.75:.4f}"
        sio.emit("telemetry", {"steering_angle": "0.0000", "throttle": "0.1000", "speed": speed, "image": image})


@sio.event
def connect():
    state["connected"] += 1
    send_next()


@sio.on("steer")
def on_steer(data):
    if not all(isinstance(data.get(k), str) for k in ("steering_angle", "throttle")):
        state["fail"].append(f"steer values must be strings: {data}")
    state["steers"].append([float(data["steering_angle"]), float(data["throttle"])])
    send_next()


@sio.on("manual")
def on_manual(data):
    if data != {}:
        state["fail"].append(f"manual payload {data}")
    state["manuals"] += 1
    if state["manuals"] == 2:
        done.set()
    else:
        send_next()


sio.connect(f"http://127.0.0.1:{port}", transports=[transport] if transport == "websocket" else ["polling", "websocket"])
if not done.wait(60):
    state["fail"].append(f"timed out after {len(state['steers'])} steers")
state["transport"] = sio.transport()
sio.disconnect()
if state["connected"] != 1:
    state["fail"].append(f"connect fired {state['connected']} times")
if len(state["steers"]) != frames:
    state["fail"].append(f"{len(state['steers'])} steers for {frames} frames")
print(json.dumps(state))
sys.exit(1 if state["fail"] else 0)
