#!/usr/bin/env python3
"""Drives the `Simulate serve` page in headless Chromium over the DevTools protocol.

training:   holds the throttle (and steers a little) with recording on until the page reports
            `--seconds` of simulated time recorded, then stops recording.
autonomous: switches to autonomous mode and samples what the page shows while a Drive server drives.

Prints one JSON line: what the page showed, the console errors, the screenshots written.
Waits are in simulated time as the page's state reports it, never in wall time (the machine is loaded).
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client


class DevTools:
    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.console_errors = []

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == my_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.event(message)

    def event(self, message):
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = [a.get("value", a.get("description", "")) for a in params.get("args", [])]
            self.console_errors.append("console: " + " ".join(map(str, args)))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.console_errors.append("exception: " + text)
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.console_errors.append(f"log: {entry.get('text')} {entry.get('url', '')}")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate {expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def pump(self, seconds):
        """Reads events for a while (console errors arrive as events)."""
        self.ws.settimeout(seconds)
        try:
            while True:
                self.event(json.loads(self.ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            self.ws.settimeout(60)

    KEYS = {
        "ArrowUp": 38, "ArrowDown": 40, "ArrowLeft": 37, "ArrowRight": 39, "KeyR": 82, "KeyP": 80,
    }

    def key(self, code, down):
        key = {"KeyR": "r", "KeyP": "p"}.get(code, code)
        self.call(
            "Input.dispatchKeyEvent", type="keyDown" if down else "keyUp", key=key, code=code,
            windowsVirtualKeyCode=self.KEYS[code], nativeVirtualKeyCode=self.KEYS[code])

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path


def wait_for(tools, expression, timeout, what):
    deadline = time.time() + timeout
    last_error = None
    while time.time() < deadline:
        try:
            value = tools.evaluate(expression)
        except RuntimeError as error:
            # The page may still be (re)loading: no context yet, or `window.bc` not defined yet.
            last_error, value = error, None
        if value:
            return value
        tools.pump(0.1)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what} (last error: {last_error})")


def state(tools):
    return tools.evaluate("window.bc.lastState")


def launch(chromium, url, profile):
    process = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1320,760", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 60
    while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
        if time.time() > deadline or process.poll() is not None:
            raise RuntimeError("chromium did not start its DevTools endpoint")
        time.sleep(0.1)
    port = int(open(port_file).read().split()[0])
    while True:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        pages = [t for t in targets if t.get("type") == "page" and t.get("url", "").startswith(url)]
        if pages:
            return process, pages[0]["webSocketDebuggerUrl"]
        if time.time() > deadline:
            raise RuntimeError(f"no page target for {url}: {targets}")
        time.sleep(0.1)


def training(tools, args):
    wait_for(tools, "window.bc.connected && window.bc.frames > 0 && window.bc.lastState != null", 120, "first frame")
    start = state(tools)
    tools.key("KeyR", True)
    tools.key("KeyR", False)
    wait_for(tools, "window.bc.lastState.recording", 60, "recording on")
    tools.key("ArrowUp", True)
    steered = False
    while True:
        s = state(tools)
        if not steered and s["recordedSeconds"] >= args.seconds / 2:
            tools.key("ArrowLeft", True)
            steered = True
        if steered and s["recordedSeconds"] >= args.seconds * 0.7:
            tools.key("ArrowLeft", False)
        if s["recordedSeconds"] >= args.seconds:
            break
        tools.pump(0.05)
    tools.key("KeyR", True)
    tools.key("KeyR", False)
    tools.key("ArrowUp", False)
    tools.key("ArrowLeft", False)
    wait_for(tools, "!window.bc.lastState.recording", 60, "recording off")
    end = state(tools)
    shown = tools.evaluate("document.getElementById('recline').textContent")
    # A gamepad (the Gamepad API stubbed: headless Chromium has no pads): left stick half right,
    # right trigger full; analog axes are applied as they are.
    tools.evaluate(
        "navigator.getGamepads = () => [{connected: true, axes: [0.5, 0],"
        " buttons: Array.from({length: 8}, (_, i) => ({value: i === 7 ? 1 : 0}))}]")
    wait_for(tools, "window.bc.lastState.steering === 0.5 && window.bc.lastState.throttle === 1", 60,
             "gamepad input applied")
    tools.evaluate("navigator.getGamepads = () => []")
    gamepad = True
    shot = tools.screenshot(os.path.join(args.screenshots, "serve-training.png"))
    return {"start": start, "end": end, "recline": shown, "frames": tools.evaluate("window.bc.frames"),
            "gamepad": gamepad,
            "screenshots": [shot]}


def camera_hash(tools):
    return tools.evaluate(
        "(() => { const d = document.getElementById('camera').getContext('2d').getImageData(0,0,320,160).data;"
        " let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0; return h; })()")


def autonomous(tools, args):
    wait_for(tools, "window.bc.connected && window.bc.frames > 0", 120, "first frame")
    tools.evaluate("document.getElementById('mode-autonomous').click()")
    wait_for(tools, "window.bc.lastState.mode === 'autonomous' && window.bc.lastState.replies > 5", 120,
             "autonomous replies")
    if args.saliency:
        wait_for(tools, "window.bc.saliencyDrawn > 0", 60, "saliency overlay")
    samples = []
    hashes = []
    frames = []
    walls = []
    t0 = state(tools)["time"]
    while len(samples) < 20 or state(tools)["time"] < t0 + args.seconds:
        shown = tools.evaluate(
            "[document.getElementById('server-steering').textContent, document.getElementById('steering').textContent,"
            " window.bc.lastState.serverSteering, window.bc.lastState.steering]")
        samples.append(shown)
        hashes.append(camera_hash(tools))
        frames.append(tools.evaluate("window.bc.frames"))
        walls.append(time.time())
        tools.pump(0.1)
    overlay_alpha = tools.evaluate(
        "(() => { const d = document.getElementById('saliency').getContext('2d').getImageData(0,0,320,160).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()")
    end = state(tools)
    end.pop("saliency", None)
    shot = tools.screenshot(os.path.join(args.screenshots, "serve-autonomous.png"))
    fps = (frames[-1] - frames[0]) / (walls[-1] - walls[0])
    return {"samples": samples, "cameraHashes": hashes, "frames": frames, "framesPerSecond": fps,
            "overlayPixels": overlay_alpha,
            "saliencyDrawn": tools.evaluate("window.bc.saliencyDrawn"), "end": end, "screenshots": [shot]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--mode", choices=["training", "autonomous"], required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--no-saliency", dest="saliency", action="store_false",
                        help="autonomous: the Drive server sends no saliency; do not wait for the overlay")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="bc-chromium-")
    process = None
    try:
        process, target = launch(args.chromium, args.url, profile)
        tools = DevTools(target)
        tools.call("Runtime.enable")
        tools.call("Log.enable")
        tools.call("Page.enable")
        # The whole page in the screenshots (headless windows lose some height to nothing).
        tools.call("Emulation.setDeviceMetricsOverride", width=1320, height=860, deviceScaleFactor=1, mobile=False)
        tools.call("Page.reload", ignoreCache=True)  # console events from the very start
        tools.pump(0.5)
        wait_for(tools, "document.readyState === 'complete' && window.bc !== undefined", 120, "page load")
        result = training(tools, args) if args.mode == "training" else autonomous(tools, args)
        tools.pump(0.5)
        result["consoleErrors"] = tools.console_errors
        print(json.dumps(result))
    finally:
        if process:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
