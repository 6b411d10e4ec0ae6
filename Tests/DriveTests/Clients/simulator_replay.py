"""Replays the Udacity simulator's exact frames against a Drive server (websocket-client).

What the simulator does (docs/simulator-protocol.md): the EIO=4 URL, websocket-sharp's headers,
no `40`, a ping `2` right after connecting, telemetry with string values split into 1016-byte
fragments, a null telemetry in manual mode, and `3` answers to server pings. Prints one JSON
object with what came back; exits non-zero on any protocol violation.

usage: simulator_replay.py PORT JPEG FRAMES [--comma]
"""
import base64
import json
import sys

import websocket
from websocket import ABNF

port, jpeg_path, frames = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
comma = "--comma" in sys.argv
image = base64.b64encode(open(jpeg_path, "rb").read()).decode("ascii")

ws = websocket.create_connection(
    f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket",
    header=["User-Agent: websocket-sharp/1.0"], suppress_origin=True, timeout=20)
handshake_headers = {k.lower(): v for k, v in ws.getheaders().items()}
fail = []
if "sec-websocket-protocol" in handshake_headers or "sec-websocket-extensions" in handshake_headers:
    fail.append(f"101 carries subprotocol/extension headers: {handshake_headers}")


def send_fragmented(text, size=1016):
    data = text.encode("utf-8")
    chunks = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
    for i, chunk in enumerate(chunks):
        opcode = ABNF.OPCODE_TEXT if i == 0 else ABNF.OPCODE_CONT
        ws.send_frame(ABNF.create_frame(chunk, opcode, fin=1 if i == len(chunks) - 1 else 0))


def number(x, decimals=4):
    s = f"{x:.{decimals}f}"
    return s.replace(".", ",") if comma else s


def telemetry(speed):
    fields = {"steering_angle": number(-3.125), "throttle": number(0.2), "speed": number(speed), "image": image}
    return "42" + json.dumps(["telemetry", fields], separators=(",", ":"))


ws.send("2")  # the simulator pings right after connecting, before it has seen the open packet
received = []
pongs = 0
steers = []
manuals = 0
sent = 0
speed = 0.0
open_packet = None


def next_text():
    global pongs
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == ABNF.OPCODE_BINARY:
            fail.append("server sent a binary frame")
            continue
        if opcode != ABNF.OPCODE_TEXT:
            continue
        text = data.decode("utf-8")
        received.append(text[:80])
        if text == "2":  # server ping: answer like the simulator
            ws.send("3")
            continue
        if text == "3":
            pongs += 1
            continue
        return text


# One chain: each reply triggers the next telemetry; every 5th frame is a manual-mode null.
while sent < frames:
    if sent % 5 == 4:
        send_fragmented('42["telemetry",null]')
    else:
        send_fragmented(telemetry(speed))
        speed += 0.5
    sent += 1
    while True:
        text = next_text()
        if text.startswith("0{"):
            open_packet = json.loads(text[1:])
            continue
        if text.startswith("40"):
            fail.append("unsolicited 40 on EIO=4")
            continue
        break
    if not text.startswith("42"):
        fail.append(f"unexpected packet {text[:60]}")
        break
    name, *args = json.loads(text[2:])
    if name == "manual":
        manuals += 1
        if args != [{}]:
            fail.append(f"manual args {args}")
        if sent % 5 != 0:
            fail.append(f"manual answer to a real frame #{sent}")
    elif name == "steer":
        fields = args[0]
        if not all(isinstance(fields.get(k), str) for k in ("steering_angle", "throttle")):
            fail.append(f"steer values must be strings: {fields}")
        steers.append([float(fields["steering_angle"]), float(fields["throttle"])])
        if "\\/" in text or ", " in text or ": " in text:
            fail.append(f"steer not compact: {text}")
    else:
        fail.append(f"unexpected event {name}")

# The ping sent before the open packet must have been answered by now (or right after).
while pongs == 0 and len(received) < frames + 10:
    next_text()
ws.close()
if open_packet is None or "sid" not in open_packet:
    fail.append(f"no open packet with sid: {open_packet}")
print(json.dumps({"steers": steers, "manuals": manuals, "pongs": pongs, "open": open_packet, "fail": fail}))
sys.exit(1 if fail else 0)
