#!/usr/bin/env python3
"""Probes the `Simulate serve` HTTP + WebSocket server as hostile and slow clients would.

Prints one JSON line with what happened; the Swift test (ServePageTests) judges it.
"""
import argparse
import base64
import json
import os
import socket
import time
import urllib.error
import urllib.request

import websocket  # websocket-client


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), ""


def open_viewer(ws_url, origin):
    return websocket.create_connection(ws_url, timeout=30, origin=origin)


def read_for(ws, seconds):
    """Messages received in `seconds`: (texts parsed, binary count); stops early if closed."""
    texts, binary, closed = [], 0, None
    end = time.time() + seconds
    while time.time() < end:
        ws.settimeout(max(end - time.time(), 0.01))
        try:
            opcode, data = ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            break
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            closed = closed or "reset"
            break
        if opcode == websocket.ABNF.OPCODE_TEXT:
            texts.append(json.loads(data.decode()))
        elif opcode == websocket.ABNF.OPCODE_BINARY:
            binary += 1
        elif opcode == websocket.ABNF.OPCODE_CLOSE:
            closed = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
            break
    return texts, binary, closed


def abused(ws_url, origin, payload, binary=False):
    ws = open_viewer(ws_url, origin)
    read_for(ws, 0.3)
    if binary:
        ws.send_binary(payload)
    else:
        ws.send(payload)
    _, _, closed = read_for(ws, 10)
    ws.close()
    return closed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stall-seconds", type=float, default=4)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    ws_url = f"ws://127.0.0.1:{args.port}/ws"
    origin = base
    result = {}

    status, ctype, body = http_get(base + "/")
    result["page"] = {"status": status, "type": ctype, "length": len(body),
                      "external": [s for s in ("http://", "https://", "src=\"/", "href=\"/") if s in body]}
    result["missing"] = http_get(base + "/missing")[0]

    try:
        websocket.create_connection(ws_url, timeout=10, origin="http://evil.example").close()
        result["foreignOrigin"] = "accepted"
    except websocket.WebSocketBadStatusException as e:
        result["foreignOrigin"] = e.status_code

    try:
        # DNS rebinding: a foreign name resolved to 127.0.0.1, same-origin from its own point of view.
        websocket.create_connection(ws_url, timeout=10, origin=f"http://evil.example:{args.port}",
                                    host=f"evil.example:{args.port}").close()
        result["rebinding"] = "accepted"
    except websocket.WebSocketBadStatusException as e:
        result["rebinding"] = e.status_code
    localhost = websocket.create_connection(f"ws://localhost:{args.port}/ws", timeout=10,
                                            origin=f"http://localhost:{args.port}")
    result["localhostName"] = "accepted"
    localhost.close()

    good = open_viewer(ws_url, origin)
    texts, frames, _ = read_for(good, 1.5)
    result["hello"] = [t["type"] for t in texts if t["type"] in ("hello", "map")]
    result["framesBefore"] = frames

    result["garbageClose"] = abused(ws_url, origin, "this is not json {")
    result["unknownCommandClose"] = abused(ws_url, origin, json.dumps({"type": "launch", "missiles": 3}))
    result["outOfRangeClose"] = abused(ws_url, origin, json.dumps({"type": "input", "steering": 7, "throttle": 0}))
    result["oversizeClose"] = abused(ws_url, origin, json.dumps({"type": "reset", "pad": "x" * 20000}))
    result["binaryClose"] = abused(ws_url, origin, b"\x00\x01\x02", binary=True)

    # The good viewer survived all of that and still gets frames.
    texts, frames, closed = read_for(good, 1.5)
    result["framesAfterAbuse"] = frames
    result["goodClosed"] = closed

    # A viewer that completes the handshake and then never reads a byte.
    stalled = socket.create_connection(("127.0.0.1", args.port))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    stalled.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                     f"Origin: {origin}\r\n\r\n").encode())
    wall0 = time.time()
    texts, frames, closed = read_for(good, args.stall_seconds)
    wall = time.time() - wall0
    times = [t["time"] for t in texts if t.get("type") == "state"]
    result["stall"] = {"wallSeconds": wall, "simSeconds": (times[-1] - times[0]) if len(times) > 1 else 0,
                       "frames": frames, "closed": closed}

    # A valid command takes effect.
    good.send(json.dumps({"type": "pause", "on": True}))
    texts, _, _ = read_for(good, 1.0)
    result["paused"] = any(t.get("type") == "state" and t.get("paused") for t in texts)
    good.send(json.dumps({"type": "pause", "on": False}))

    # Track choice: a new map, then states on the new track (its renderer may take a while to build).
    good.send(json.dumps({"type": "track", "name": "jungle"}))
    maps, tracks = [], set()
    end = time.time() + 90
    while time.time() < end and "jungle" not in tracks:
        texts, _, _ = read_for(good, 1.0)
        maps += [t["track"] for t in texts if t.get("type") == "map"]
        tracks |= {t["track"] for t in texts if t.get("type") == "state"}
    result["trackSwitch"] = {"maps": maps, "stateTracks": sorted(tracks)}

    # Reset: back to the start line, time from 0.
    texts, _, _ = read_for(good, 1.5)
    before = max([t["time"] for t in texts if t.get("type") == "state"] or [0])
    good.send(json.dumps({"type": "reset"}))
    texts, _, _ = read_for(good, 1.0)
    after = [t["time"] for t in texts if t.get("type") == "state"]
    result["reset"] = {"before": before, "after": min(after) if after else None}
    good.close()
    stalled.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
