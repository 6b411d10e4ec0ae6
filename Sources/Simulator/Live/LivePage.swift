// The live page of `Simulate serve`: one HTML document, inline CSS and JS, no external assets and
// no build step (works offline). It draws what the WebSocket brings (JPEG frames, JSON state) and
// sends keyboard / gamepad input and button presses back. `window.bc` exposes counters for tests.

enum LivePage {
  static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>BehavioralCloning simulator</title>
    <link rel="icon" href="data:,">
    <style>
    body { font: 14px system-ui, sans-serif; margin: 12px; background: #1d2024; color: #e6e6e6; }
    h1 { font-size: 18px; margin: 0 0 8px; }
    button, select { font: inherit; margin-right: 4px; padding: 3px 8px; }
    button.on { background: #c0392b; color: #fff; }
    button.sel { background: #2e86de; color: #fff; }
    .row { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; margin-bottom: 8px; }
    .panel { background: #2a2e33; padding: 8px; border-radius: 6px; }
    #view { position: relative; width: 640px; height: 320px; }
    #view canvas { position: absolute; left: 0; top: 0; width: 640px; height: 320px; image-rendering: pixelated; }
    table td { padding: 1px 8px 1px 0; font-variant-numeric: tabular-nums; }
    #error { color: #ff7b6b; min-height: 1.2em; }
    .help { color: #9aa0a6; }
    </style>
    </head>
    <body>
    <h1>BehavioralCloning simulator <span id="conn">(connecting)</span></h1>
    <div class="row">
      <button id="mode-training" class="sel">Training</button>
      <button id="mode-autonomous">Autonomous</button>
      <select id="track"></select>
      <button id="record">Record</button>
      <button id="pause">Pause</button>
      <button id="reset">Reset</button>
      <label><input type="checkbox" id="show-saliency" checked> saliency</label>
    </div>
    <div id="recline">not recording</div>
    <div id="error"></div>
    <div class="row">
      <div class="panel"><div id="view"><canvas id="camera" width="320" height="160"></canvas>
        <canvas id="saliency" width="320" height="160"></canvas></div></div>
      <div class="panel"><table>
        <tr><td>mode</td><td id="mode">-</td></tr>
        <tr><td>time</td><td id="time">-</td></tr>
        <tr><td>speed</td><td id="speed">-</td></tr>
        <tr><td>steering</td><td id="steering">-</td></tr>
        <tr><td>server steering</td><td id="server-steering">-</td></tr>
        <tr><td>throttle</td><td id="throttle">-</td></tr>
        <tr><td>from centre</td><td id="cte">-</td></tr>
        <tr><td>laps</td><td id="laps">-</td></tr>
        <tr><td>off-road</td><td id="offroad">-</td></tr>
        <tr><td>frames</td><td id="frames">0</td></tr>
      </table></div>
      <div class="panel"><canvas id="map" width="320" height="320"></canvas></div>
    </div>
    <div class="row">
      <div class="panel"><canvas id="chart" width="640" height="160"></canvas>
        <div class="help">steering (blue) and distance from centre / half width (orange), last 20 s</div></div>
    </div>
    <div class="help">Arrows or WASD drive (R records, P pauses); a gamepad's left stick steers, its triggers drive.</div>
    <script>
    "use strict";
    const bc = window.bc = { connected: false, frames: 0, states: 0, saliencyDrawn: 0, lastState: null };
    const $ = (id) => document.getElementById(id);
    const camera = $("camera").getContext("2d");
    const sal = $("saliency").getContext("2d");
    const chart = $("chart").getContext("2d");
    const mapc = $("map").getContext("2d");
    let ws = null, map = null, trail = [], history = [], lastTime = -1, lastSaliency = null;

    function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }

    function connect() {
      ws = new WebSocket(`ws://${location.host}/ws`);
      ws.binaryType = "blob";
      ws.onopen = () => { bc.connected = true; $("conn").textContent = ""; sendInput(true); };
      ws.onclose = () => {
        bc.connected = false; $("conn").textContent = "(disconnected, retrying)";
        setTimeout(connect, 1000);
      };
      ws.onmessage = (event) => {
        if (typeof event.data === "string") { onText(JSON.parse(event.data)); return; }
        createImageBitmap(event.data).then((bitmap) => {
          camera.drawImage(bitmap, 0, 0); bitmap.close();
          bc.frames += 1; $("frames").textContent = bc.frames;
        }, () => {});
      };
    }

    function onText(m) {
      if (m.type === "hello") {
        const select = $("track");
        select.innerHTML = "";
        for (const t of m.tracks) { const o = document.createElement("option"); o.value = o.textContent = t; select.appendChild(o); }
      } else if (m.type === "map") {
        map = m; trail = []; history = []; $("track").value = m.track; drawMap();
      } else if (m.type === "state") {
        onState(m);
      }
    }

    const fmt = (v, d) => Number(v).toFixed(d);
    function onState(s) {
      bc.states += 1; bc.lastState = s;
      if (s.time < lastTime) { trail = []; history = []; }
      lastTime = s.time;
      $("mode").textContent = s.mode + (s.paused ? " (paused)" : "");
      $("mode-training").className = s.mode === "training" ? "sel" : "";
      $("mode-autonomous").className = s.mode === "autonomous" ? "sel" : "";
      $("record").className = s.recording ? "on" : "";
      $("pause").className = s.paused ? "on" : "";
      $("time").textContent = fmt(s.time, 1) + " s";
      $("speed").textContent = fmt(s.speedMph, 1) + " mph";
      $("steering").textContent = fmt(s.steering, 4);
      $("server-steering").textContent = s.serverSteering == null ? "-" : s.serverSteering;
      $("throttle").textContent = fmt(s.throttle, 3);
      $("cte").textContent = fmt(s.cte, 2) + " m";
      $("laps").textContent = s.laps;
      $("offroad").textContent = s.offRoad;
      $("recline").textContent = (s.recording ? "RECORDING: " : "not recording: ") +
        `${s.rows} rows, ${fmt(s.recordedSeconds, 1)} s recorded`;
      $("error").textContent = s.error || "";
      history.push({ t: s.time, steering: s.steering, cte: s.halfWidth > 0 ? s.cte / s.halfWidth : 0 });
      while (history.length && history[0].t < s.time - 20) history.shift();
      trail.push({ x: s.x, y: s.y, cte: s.halfWidth > 0 ? Math.abs(s.cte) / s.halfWidth : 0 });
      if (trail.length > 20000) trail.splice(0, trail.length - 20000);
      drawChart(); drawMap(s);
      drawSaliency(s.saliency);
    }

    // Grey saliency (255 = most salient) as a red-to-yellow heat overlay whose opacity follows the value.
    function drawSaliency(b64) {
      if (!$("show-saliency").checked || !b64) { sal.clearRect(0, 0, 320, 160); lastSaliency = null; return; }
      if (b64 === lastSaliency) return;
      lastSaliency = b64;
      const img = new Image();
      img.onload = () => {
        const off = document.createElement("canvas"); off.width = 320; off.height = 160;
        const o = off.getContext("2d"); o.drawImage(img, 0, 0, 320, 160);
        const data = o.getImageData(0, 0, 320, 160);
        const p = data.data;
        for (let i = 0; i < p.length; i += 4) {
          const v = p[i];
          p[i] = 255; p[i + 1] = v; p[i + 2] = 0; p[i + 3] = Math.round(v * 0.6);
        }
        sal.putImageData(data, 0, 0);
        bc.saliencyDrawn += 1;
      };
      img.src = "data:image/png;base64," + b64;
    }

    function drawChart() {
      const w = 640, h = 160;
      chart.fillStyle = "#15171a"; chart.fillRect(0, 0, w, h);
      chart.strokeStyle = "#444"; chart.beginPath(); chart.moveTo(0, h / 2); chart.lineTo(w, h / 2); chart.stroke();
      if (!history.length) return;
      const t1 = history[history.length - 1].t, t0 = t1 - 20;
      for (const [key, color] of [["steering", "#4aa3ff"], ["cte", "#ff9f43"]]) {
        chart.strokeStyle = color; chart.beginPath();
        history.forEach((p, i) => {
          const x = (p.t - t0) / 20 * w, y = h / 2 - Math.max(-1, Math.min(1, p[key])) * (h / 2 - 4);
          if (i === 0) chart.moveTo(x, y); else chart.lineTo(x, y);
        });
        chart.stroke();
      }
    }

    function cteColor(u) {
      u = Math.max(0, Math.min(1, u));
      return u < 0.5 ? `rgb(${Math.round(40 + 430 * u)},215,40)` : `rgb(255,${Math.round(215 - 400 * (u - 0.5))},40)`;
    }

    function drawMap(s) {
      const w = 320, h = 320;
      mapc.fillStyle = "#2f4f2f"; mapc.fillRect(0, 0, w, h);
      if (!map || !map.points.length) return;
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const [x, y] of map.points) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      const k = (w - 20) / Math.max(x1 - x0, y1 - y0);
      const px = (x) => 10 + (x - x0) * k, py = (y) => h - 10 - (y - y0) * k;
      mapc.strokeStyle = "#777"; mapc.lineWidth = Math.max(2, map.halfWidth * 2 * k); mapc.beginPath();
      map.points.forEach(([x, y], i) => { if (i === 0) mapc.moveTo(px(x), py(y)); else mapc.lineTo(px(x), py(y)); });
      mapc.closePath(); mapc.stroke(); mapc.lineWidth = 1;
      for (const p of trail) { mapc.fillStyle = cteColor(p.cte); mapc.fillRect(px(p.x) - 1, py(p.y) - 1, 2, 2); }
      if (s) { mapc.fillStyle = "#fff"; mapc.beginPath(); mapc.arc(px(s.x), py(s.y), 4, 0, 2 * Math.PI); mapc.fill(); }
    }

    // Keyboard: targets -1/0/1; the simulator smooths them like Unity's input axes.
    const keys = new Set();
    let gamepadActive = false, lastSent = "";
    function sendInput(force) {
      if (gamepadActive) return;
      const right = keys.has("ArrowRight") || keys.has("KeyD"), left = keys.has("ArrowLeft") || keys.has("KeyA");
      const up = keys.has("ArrowUp") || keys.has("KeyW"), down = keys.has("ArrowDown") || keys.has("KeyS");
      const msg = { type: "input", steering: (right ? 1 : 0) - (left ? 1 : 0), throttle: (up ? 1 : 0) - (down ? 1 : 0), analog: false };
      const text = JSON.stringify(msg);
      if (force || text !== lastSent) { lastSent = text; send(msg); }
    }
    const driveKeys = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "KeyW", "KeyA", "KeyS", "KeyD"]);
    window.addEventListener("keydown", (e) => {
      if (driveKeys.has(e.code)) { e.preventDefault(); keys.add(e.code); sendInput(false); }
      else if (e.code === "KeyR" && !e.repeat) $("record").click();
      else if (e.code === "KeyP" && !e.repeat) $("pause").click();
    });
    window.addEventListener("keyup", (e) => { if (driveKeys.has(e.code)) { keys.delete(e.code); sendInput(false); } });
    window.addEventListener("blur", () => { keys.clear(); sendInput(false); });

    // Gamepad (standard mapping): left stick x steers, right trigger accelerates, left trigger brakes.
    function pollGamepad() {
      const pads = navigator.getGamepads ? navigator.getGamepads() : [];
      const pad = Array.from(pads || []).find((p) => p && p.connected);
      if (pad) {
        const steer = Math.abs(pad.axes[0] || 0) > 0.05 ? pad.axes[0] : 0;
        const gas = pad.buttons[7] ? pad.buttons[7].value : 0, brake = pad.buttons[6] ? pad.buttons[6].value : 0;
        const moved = steer !== 0 || gas > 0.02 || brake > 0.02;
        if (moved || gamepadActive) {
          gamepadActive = moved;
          const msg = { type: "input", steering: Math.max(-1, Math.min(1, steer)), throttle: Math.max(-1, Math.min(1, gas - brake)), analog: true };
          const text = JSON.stringify(msg);
          if (text !== lastSent) { lastSent = text; send(msg); }
          if (!moved) sendInput(true);
        }
      } else if (gamepadActive) {
        gamepadActive = false; sendInput(true);  // unplugged: back to the keyboard
      }
      requestAnimationFrame(pollGamepad);
    }

    $("mode-training").onclick = () => send({ type: "mode", mode: "training" });
    $("mode-autonomous").onclick = () => send({ type: "mode", mode: "autonomous" });
    $("record").onclick = () => send({ type: "record", on: !(bc.lastState && bc.lastState.recording) });
    $("pause").onclick = () => send({ type: "pause", on: !(bc.lastState && bc.lastState.paused) });
    $("reset").onclick = () => send({ type: "reset" });
    $("track").onchange = (e) => { send({ type: "track", name: e.target.value }); e.target.blur(); };
    for (const b of document.querySelectorAll("button")) b.addEventListener("mouseup", () => b.blur());
    drawChart(); drawMap();
    connect();
    requestAnimationFrame(pollGamepad);
    </script>
    </body>
    </html>
    """#
}
