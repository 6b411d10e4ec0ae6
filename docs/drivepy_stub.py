"""drive.py's server without the model: python-socketio 4.6.1 + python-engineio 3.13.2 + eventlet,
the stack known to work with the real Udacity simulator. Steering is a constant, throttle drive.py's
PI controller. Used to check that `Simulate drive` talks to it as the Unity client does:

    python -m venv .venv-sim && .venv-sim/bin/pip install python-socketio==4.6.1 python-engineio==3.13.2 eventlet
    .venv-sim/bin/python docs/drivepy_stub.py 4567 &
    bin/Simulate drive --track lake --time-limit 20
"""
import base64
import io
import sys

import eventlet
import eventlet.wsgi
import socketio

sio = socketio.Server()
state = {"integral": 0.0, "frames": 0}


@sio.on("telemetry")
def telemetry(sid, data):
    if not data:
        sio.emit("manual", data={}, skip_sid=True)
        return
    speed = float(data["speed"])
    image = base64.b64decode(data["image"])
    assert image[:2] == b"\xff\xd8", "image is not a JPEG"
    state["frames"] += 1
    error = 9.0 - speed
    state["integral"] += error
    throttle = 0.1 * error + 0.002 * state["integral"]
    if state["frames"] % 100 == 0:
        print(f"{state['frames']} frames, speed {speed:.1f} mph, image {len(image)} bytes", flush=True)
    sio.emit("steer", data={"steering_angle": "0.0", "throttle": str(throttle)}, skip_sid=True)


@sio.on("connect")
def connect(sid, environ):
    print("connect", sid, environ.get("QUERY_STRING"), flush=True)
    sio.emit("steer", data={"steering_angle": "0", "throttle": "0"}, skip_sid=True)


app = socketio.Middleware(sio)
eventlet.wsgi.server(eventlet.listen(("127.0.0.1", int(sys.argv[1]))), app, log_output=False)
