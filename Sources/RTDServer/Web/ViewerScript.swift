/// The viewer's JavaScript. WebRTC first (video + the "rtd" data channel), the WebSocket
/// /api/ws (JPEG pictures + records) when WebRTC is off or does not start in time, and a labelled
/// offline demo while the server cannot be reached. Detection boxes are drawn on the frame they
/// belong to: by RTP timestamp (requestVideoFrameCallback) or by frame number (WebSocket).
/// Page state for tests and curious people: window.rtdStats.
enum ViewerScript {
    static let js = #"""
"use strict";
(() => {
const params = new URLSearchParams(location.search);
const token = params.get("token");
const codec = params.get("codec");
const forcedTransport = params.get("transport"); // "webrtc" | "ws" | null (automatic)
const WEBRTC_TIMEOUT_MS = Number(params.get("webrtc_timeout_ms")) || 6000;
const WS_TIMEOUT_MS = 5000;
const PING_EVERY_MS = 2000;
const SILENCE_LIMIT_MS = 7000;   // no pong for this long: the connection is gone
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const RECORDS_KEPT = 90;

function newStats(camera) {
  return { connected: false, framesDecoded: 0, dcMessages: 0, codec: null, rvfcFrames: 0, offerSentAt: null, answerAt: null,
           connectedAt: null, firstFrameAt: null, error: null, lastRecord: null, replies: [],
           transport: null, state: "starting", camera, overlayBoxes: [], overlayRecord: null, exactMatches: 0,
           nearMatches: 0, unmatchedFrames: 0, wsFrames: 0, wsRecords: 0, wsDropped: 0, reconnects: 0, errors: [],
           fps: 0, bitrateKbps: 0, width: 0, height: 0, latencyMs: null, jitterBufferMs: null, rttMs: null, iceRttMs: null, demoFrames: 0,
           detector: null, fallback: null };
}
const S = window.rtdStats = newStats(params.get("camera"));
S.view = "single";

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let overlayOn = params.get("overlay") !== "0";
let config = null;

// Every request carries the token (?token=T) the page was opened with.
function api(path, init = {}) {
  const headers = new Headers(init.headers || {});
  if (token) headers.set("Authorization", "Bearer " + token);
  return fetch(path, { ...init, headers, cache: "no-store" });
}

function wsURL(camera) {
  const u = new URL("api/ws", location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  u.search = "";
  u.searchParams.set("camera", camera);
  if (token) u.searchParams.set("token", token);
  return u.href;
}

// {config} when the server answered, {denied} when it refused us, {offline} when there is no rtd server.
async function loadConfig() {
  try {
    const res = await api("api/config");
    if (res.status === 401 || res.status === 403) {
      return { denied: `the server refused access (${res.status})` + (token ? ": check ?token=" : ": open the page with ?token=…") };
    }
    if (!res.ok) return { offline: `no rtd server here (GET /api/config: ${res.status} ${res.statusText})` };
    const c = await res.json();
    if (!Array.isArray(c.cameras)) return { offline: "GET /api/config did not return an rtd configuration" };
    config = c;
    fillPicker();
    return { config: c };
  } catch (e) {
    return { offline: `cannot reach the server (${e.message || e})` };
  }
}

// ---- page chrome ----------------------------------------------------------------------------

function report(message, st = S) {
  st.error = message;
  st.errors.push(message);
  if (st.errors.length > 50) st.errors.shift();
  if (st === S) {
    $("error-text").textContent = message;
    $("error").hidden = false;
  }
  console.warn("rtd:", message);
}
function clearError() { $("error").hidden = true; }
$("error-close").onclick = clearError;

function setState(st, state, kind) {
  st.state = state;
  if (st === S) {
    const el = $("state");
    el.textContent = state;
    el.dataset.kind = kind || "wait";
    const badge = $("transport");
    badge.textContent = ({ webrtc: "WebRTC", ws: "WebSocket", demo: "demo" }[st.transport] || "—") +
      (st.transport === "ws" && st.fallback ? " (fallback)" : "");
    badge.title = st.transport === "ws" && st.fallback ? st.fallback : "";
  }
}

function fillPicker() {
  const sel = $("camera");
  const have = Array.from(sel.options).map((o) => o.value).join(",");
  if (have !== config.cameras.join(",")) {
    sel.replaceChildren(...config.cameras.map((c) => new Option(c, c)));
  }
  if (mainViewer && mainViewer.camera) sel.value = mainViewer.camera;
}

const fmt = (v, unit, digits = 0) => (v === null || v === undefined || Number.isNaN(v)) ? "—" : `${v.toFixed(digits)} ${unit}`;
function renderStats() {
  const st = S;
  $("s-camera").textContent = st.camera || "—";
  $("s-res").textContent = st.width ? `${st.width}×${st.height}` : "—";
  $("s-fps").textContent = fmt(st.fps, "fps", st.fps < 10 ? 1 : 0);
  $("s-bitrate").textContent = st.bitrateKbps >= 1000 ? fmt(st.bitrateKbps / 1000, "Mbit/s", 2) : fmt(st.bitrateKbps, "kbit/s");
  // Capture time is the server's clock: far off means the clocks differ, not that video is late.
  $("s-latency").textContent = st.latencyMs === null ? "—"
    : st.latencyMs < -50 || st.latencyMs > 60000 ? "n/a (clocks differ)" : fmt(Math.max(0, st.latencyMs), "ms");
  $("s-latency").title = "Capture to screen (server and browser clocks)" +
    (st.transport === "webrtc" && st.jitterBufferMs !== null ? `; jitter buffer ${st.jitterBufferMs.toFixed(0)} ms` : "");
  // Ping over the data channel or WebSocket; ICE's own measurement (getStats) in brackets.
  const ice = st.iceRttMs !== null ? ` (ICE ${st.iceRttMs.toFixed(0)})` : "";
  $("s-rtt").textContent = st.rttMs !== null ? `${st.rttMs.toFixed(0)} ms${ice}` : (ice ? `ICE ${st.iceRttMs.toFixed(0)} ms` : "—");
  $("s-codec").textContent = st.transport === "ws" ? "JPEG" : (st.codec || "—").replace("video/", "");
  const painted = st.exactMatches + st.nearMatches + st.unmatchedFrames;
  $("s-sync").textContent = painted ? `${Math.round(100 * st.exactMatches / painted)}% exact` : "—";
  $("s-detector").textContent = st.detector || "—";
}
setInterval(renderStats, 500);

$("overlay-toggle").checked = overlayOn;
$("overlay-toggle").onchange = (e) => {
  overlayOn = e.target.checked;
  for (const v of allViewers()) v.repaint();
};
$("fullscreen").onclick = () => {
  const el = S.view === "grid" ? $("grid") : $("stage");
  if (document.fullscreenElement) document.exitFullscreen();
  else (el.requestFullscreen || el.webkitRequestFullscreen || (() => {})).call(el);
};
document.addEventListener("fullscreenchange", () => { for (const v of allViewers()) v.repaint(); });
window.addEventListener("resize", () => { for (const v of allViewers()) v.repaint(); });

// ---- overlay -----------------------------------------------------------------------------------

const trackColor = (id) => id === undefined || id === null ? "#ffd23f" : `hsl(${(id * 67) % 360} 90% 58%)`;

// Draws `record`'s boxes over a picture of mediaW x mediaH shown with object-fit: contain in
// `canvas`'s box; returns the boxes drawn, in the frame's pixels.
// Canvas sizes from a ResizeObserver: reading layout on every video frame would force a layout each time.
const canvasSizes = new WeakMap();
const sizeObserver = new ResizeObserver((entries) => {
  for (const e of entries) canvasSizes.set(e.target, { width: e.contentRect.width, height: e.contentRect.height });
  for (const v of allViewers()) v.repaint();
});
function drawOverlay(canvas, mediaW, mediaH, record) {
  if (!canvasSizes.has(canvas)) { canvasSizes.set(canvas, canvas.getBoundingClientRect()); sizeObserver.observe(canvas); }
  const rect = canvasSizes.get(canvas);
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(rect.width * dpr)), h = Math.max(1, Math.round(rect.height * dpr));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (!overlayOn || !record || !mediaW || !mediaH || !record.width) return [];
  // Letterboxing of object-fit: contain, then frame pixels to picture pixels (they differ only
  // if the record's frame was scaled for detection).
  const scale = Math.min(w / mediaW, h / mediaH);
  const ox = (w - mediaW * scale) / 2, oy = (h - mediaH * scale) / 2;
  const sx = scale * mediaW / record.width, sy = scale * mediaH / record.height;
  const font = Math.max(11, Math.round(12 * dpr));
  ctx.font = `600 ${font}px system-ui, "DejaVu Sans", sans-serif`;
  ctx.textBaseline = "top";
  ctx.lineWidth = Math.max(2, 2 * dpr);
  const drawn = [];
  for (const d of record.detections || []) {
    const [bx, by, bw, bh] = d.box;
    const x = ox + bx * sx, y = oy + by * sy, bwp = bw * sx, bhp = bh * sy;
    const color = trackColor(d.track_id);
    ctx.strokeStyle = color;
    ctx.strokeRect(x, y, bwp, bhp);
    const label = `${d.label}${d.track_id !== undefined && d.track_id !== null ? " #" + d.track_id : ""} ${Number(d.score).toFixed(2)}`;
    const tw = ctx.measureText(label).width + 8, th = font + 6;
    // The label sits above the box, inside the picture.
    const ty = y - th >= oy ? y - th : y;
    const tx = Math.max(ox, Math.min(x - ctx.lineWidth / 2, ox + mediaW * scale - tw));
    ctx.fillStyle = color;
    ctx.fillRect(tx, ty, tw, th);
    ctx.fillStyle = "#000";
    ctx.fillText(label, tx + 4, ty + 3);
    drawn.push([bx, by, bw, bh]);
  }
  return drawn;
}

// ---- one camera connection in one tile --------------------------------------------------------

class Viewer {
  constructor(tile, camera, st, main) {
    this.tile = tile;
    this.video = tile.querySelector("video");
    this.frameCanvas = tile.querySelector("canvas.frame");
    this.overlay = tile.querySelector("canvas.overlay");
    this.camera = camera;
    this.st = st;
    if (camera) st.camera = camera;
    this.main = main;
    this.closed = false;
    this.records = new Map();   // rtp_timestamp (WebRTC) or frame (WebSocket) -> record
    this.shown = null;          // what the overlay was last painted for
    this.session = null;        // the live connection: {kind, send(obj), close()}
    this.wakeUp = null;
    this.demo = null;
  }

  setTransport(t) {
    // Figures of the previous connection mean nothing for the next one.
    Object.assign(this.st, { transport: t, fps: 0, bitrateKbps: 0, latencyMs: null, jitterBufferMs: null, rttMs: null,
                             iceRttMs: null, codec: null, width: 0, height: 0, overlayBoxes: [], overlayRecord: null });
    this.shown = null;
    this.tile.dataset.transport = t || "none";
    this.paint(); // no boxes from the previous connection
  }

  caption(text) {
    const el = this.tile.querySelector(".tile-state");
    if (el) el.textContent = text;
  }

  state(text, kind) {
    setState(this.st, text, kind);
    this.caption(text);
  }

  close() {
    this.closed = true;
    this.stopDemo();
    if (this.session) this.session.close();
    if (this.wakeUp) this.wakeUp();
  }

  // Connect, stay until the connection is lost, wait (backoff), again; until closed.
  async run() {
    let failures = 0;
    while (!this.closed) {
      const got = await loadConfig();
      if (this.closed) return;
      if (got.config) {
        this.stopDemo();
        if (!this.camera || !got.config.cameras.includes(this.camera)) {
          if (this.camera) report(`camera '${this.camera}' does not exist on this server; showing ${got.config.default_camera}`, this.st);
          this.camera = got.config.default_camera;
          this.st.camera = this.camera;
          if (this.main) fillPicker();
        }
        const worked = await this.connect(got.config);
        if (worked) failures = 0;
      } else if (got.denied) {
        report(got.denied, this.st);
        this.state("access denied", "bad");
      } else if (this.main) {
        if (!this.demo) report(`${got.offline}: showing the offline demo and retrying`, this.st);
        this.startDemo();
      } else {
        this.state("offline", "bad");
      }
      if (this.closed) return;
      const base = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
      failures++;
      const delay = Math.round(base * (0.8 + 0.4 * Math.random()));
      if (!this.demo) this.state(`reconnecting in ${(delay / 1000).toFixed(1)} s`, "wait");
      await new Promise((resolve) => { this.wakeUp = resolve; setTimeout(resolve, delay); });
      this.wakeUp = null;
      if (!this.closed) this.st.reconnects++;
    }
  }

  // One connection over the best transport; resolves once it is over. True if media flowed.
  async connect(cfg) {
    this.records.clear();
    const webrtcAllowed = cfg.webrtc && forcedTransport !== "ws" && "RTCPeerConnection" in window;
    this.st.fallback = null;
    if (webrtcAllowed) {
      const how = await this.webrtc(cfg);
      if (how !== "failed" || this.closed) return how === "lost";
      if (forcedTransport === "webrtc") return false;
      this.st.fallback = `WebRTC did not work (${this.st.error}); using the WebSocket fallback`;
      report(this.st.fallback, this.st);
    }
    return (await this.websocket()) === "lost";
  }

  switchCamera(name) {
    if (name === this.camera) return;
    this.camera = name;
    this.st.camera = name;
    this.records.clear();
    this.repaint();
    if (this.session && this.session.send({ type: "subscribe", camera: name })) return;
    if (this.session) this.session.close(); // reconnects to the new camera
  }

  // ---- WebRTC ----

  webrtc(cfg) {
    const st = this.st;
    return new Promise((resolve) => {
      let done = false, working = false, sessionID = null, lastPong = performance.now(), pingID = 0, bytesBefore = null;
      const pings = new Map();
      const timers = [];
      const pc = new RTCPeerConnection({ iceServers: cfg.ice_servers || [] });
      const finish = (how, why) => {
        if (done) return;
        done = true;
        timers.forEach((t) => { clearTimeout(t); clearInterval(t); });
        if (why) report(why, st);
        st.connected = false;
        // A lost server is gone already; otherwise say bye first (closing the peer connection
        // first would end the session by DTLS alert and make the bye a 404).
        const bye = sessionID && how !== "lost"
          ? api("api/webrtc/signal", { method: "POST", headers: { "Content-Type": "application/json" }, keepalive: true,
                                       body: JSON.stringify({ type: "bye", session_id: sessionID }) }).catch(() => {})
          : Promise.resolve();
        bye.finally(() => pc.close());
        this.session = null;
        resolve(how);
      };
      const dc = pc.createDataChannel("rtd");
      if (this.main) window.rtdChannel = dc;
      this.session = {
        kind: "webrtc",
        send: (obj) => dc.readyState === "open" ? (dc.send(JSON.stringify(obj)), true) : false,
        close: () => finish(working ? "lost" : "closed"),
      };
      this.setTransport("webrtc");
      this.state("connecting (WebRTC)…", "wait");
      timers.push(setTimeout(() => finish("failed", `WebRTC did not start within ${WEBRTC_TIMEOUT_MS / 1000} s`), WEBRTC_TIMEOUT_MS));
      pc.addTransceiver("video", { direction: "recvonly" });
      dc.onmessage = (e) => {
        st.dcMessages++;
        const m = this.message(e.data, "webrtc");
        if (m && m.type === "pong") {
          lastPong = performance.now();
          if (pings.has(m.id)) { st.rttMs = performance.now() - pings.get(m.id); pings.delete(m.id); }
        }
      };
      dc.onclose = () => { if (working) finish("lost", "the server closed the data channel"); };
      pc.ontrack = (e) => {
        this.video.srcObject = e.streams[0] || new MediaStream([e.track]);
        this.video.play().catch(() => {});
      };
      let disconnected = null;
      pc.onconnectionstatechange = () => {
        const s = pc.connectionState;
        if (s === "connected") {
          st.connected = true;
          st.connectedAt = performance.now();
          clearTimeout(disconnected);
        } else if (s === "disconnected") {
          disconnected = setTimeout(() => finish(working ? "lost" : "failed", "WebRTC connection lost"), 3000);
          timers.push(disconnected);
        } else if (s === "failed" || s === "closed") {
          finish(working ? "lost" : "failed", `WebRTC connection ${s}`);
        }
      };
      const live = () => {
        if (working || !st.connected) return;
        working = true;
        clearTimeout(timers[0]);
        clearError();
        lastPong = performance.now();
        this.state("live", "ok");
      };
      const onFrame = (now, meta) => {
        if (done) return;
        st.rvfcFrames++;
        if (st.firstFrameAt === null) st.firstFrameAt = performance.now();
        live();
        this.paintWebRTC(meta);
        this.video.requestVideoFrameCallback(onFrame);
      };
      if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) this.video.requestVideoFrameCallback(onFrame);
      else this.video.addEventListener("playing", () => onFrame(0, {}), { once: true });
      const ping = () => {
        if (dc.readyState !== "open") return;
        pingID++;
        pings.set(pingID, performance.now());
        if (pings.size > 10) pings.delete(pings.keys().next().value);
        dc.send(JSON.stringify({ type: "ping", id: pingID }));
        if (working && performance.now() - lastPong > SILENCE_LIMIT_MS) finish("lost", `no answer from the server for ${SILENCE_LIMIT_MS / 1000} s`);
      };
      dc.onopen = ping; // a round trip to show at once, then every PING_EVERY_MS
      timers.push(setInterval(ping, PING_EVERY_MS));
      timers.push(setInterval(async () => {
        if (done) return;
        const stats = await pc.getStats();
        stats.forEach((r) => {
          if (r.type === "inbound-rtp" && r.kind === "video") {
            st.framesDecoded = r.framesDecoded || 0;
            // Decoding counts as live even where nothing is painted (a hidden tab has no frame callbacks).
            if (st.framesDecoded > 0) live();
            st.codec = stats.get(r.codecId)?.mimeType || null;
            st.fps = r.framesPerSecond || 0;
            st.width = r.frameWidth || 0;
            st.height = r.frameHeight || 0;
            const now = r.timestamp;
            if (bytesBefore) {
              st.bitrateKbps = 8 * (r.bytesReceived - bytesBefore.bytes) / (now - bytesBefore.at);
              // The part of the latency the browser adds on purpose, over the last interval.
              const emitted = r.jitterBufferEmittedCount - bytesBefore.emitted;
              if (emitted > 0) st.jitterBufferMs = 1000 * (r.jitterBufferDelay - bytesBefore.delay) / emitted;
            }
            bytesBefore = { bytes: r.bytesReceived, at: now, emitted: r.jitterBufferEmittedCount, delay: r.jitterBufferDelay };
          } else if (r.type === "candidate-pair" && r.nominated && r.state === "succeeded" && r.currentRoundTripTime !== undefined) {
            st.iceRttMs = r.currentRoundTripTime * 1000;
          }
        });
      }, 500));
      (async () => {
        await pc.setLocalDescription(await pc.createOffer());
        // The server is ICE-lite: our own candidates come quickly; never wait forever for them.
        await new Promise((r) => {
          if (pc.iceGatheringState === "complete") return r();
          pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r();
          setTimeout(r, 2000);
        });
        if (done) return;
        st.offerSentAt = performance.now();
        const body = { type: "offer", sdp: pc.localDescription.sdp, camera: this.camera };
        if (codec) body.codec = codec;
        const res = await api("api/webrtc/signal", { method: "POST", headers: { "Content-Type": "application/json" },
                                                     body: JSON.stringify(body) });
        let answer = {};
        try { answer = await res.json(); } catch (e) { /* reported below */ }
        if (!res.ok) return finish("failed", `signaling refused (${res.status}): ${answer.error || res.statusText}`);
        if (done) return;
        sessionID = answer.session_id;
        st.answerAt = performance.now();
        await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      })().catch((e) => finish("failed", `WebRTC set-up failed: ${e.message || e}`));
    });
  }

  // The record of the frame on screen, by RTP timestamp; else the newest at most ~a frame older.
  paintWebRTC(meta) {
    const st = this.st;
    const ts = meta.rtpTimestamp;
    let record = null, match = "none";
    if (ts !== undefined) {
      record = this.records.get(ts) || null;
      if (record) match = "exact";
      else {
        const limit = 90000 / (st.fps || 30) * 1.5;
        let bestAge = Infinity;
        for (const r of this.records.values()) {
          const age = (ts - r.rtp_timestamp) >>> 0; // 32-bit RTP timestamps wrap around
          if (age > 0 && age <= limit && age < bestAge) { record = r; bestAge = age; }
        }
        if (record) match = "near";
      }
    }
    if (match === "exact") st.exactMatches++; else if (match === "near") st.nearMatches++; else st.unmatchedFrames++;
    if (record && record.captured_at_us) st.latencyMs = Date.now() - record.captured_at_us / 1000;
    this.shown = { kind: "webrtc", rtp: ts, record, match };
    this.paint();
  }

  // ---- WebSocket fallback ----

  websocket() {
    const st = this.st;
    return new Promise((resolve) => {
      let done = false, working = false, meta = null, pingID = 0, lastPong = performance.now();
      let decoding = false, waiting = null, second = { at: performance.now(), frames: 0, bytes: 0 };
      const pings = new Map();
      const timers = [];
      const ws = new WebSocket(wsURL(this.camera));
      ws.binaryType = "arraybuffer";
      const finish = (how, why) => {
        if (done) return;
        done = true;
        timers.forEach((t) => { clearTimeout(t); clearInterval(t); });
        if (why) report(why, st);
        st.connected = false;
        try { ws.close(); } catch (e) { /* already closed */ }
        this.session = null;
        resolve(how);
      };
      this.session = {
        kind: "ws",
        send: (obj) => ws.readyState === WebSocket.OPEN ? (ws.send(JSON.stringify(obj)), true) : false,
        close: () => finish(working ? "lost" : "closed"),
      };
      this.setTransport("ws");
      this.state("connecting (WebSocket)…", "wait");
      timers.push(setTimeout(() => finish("failed", `the WebSocket did not start within ${WS_TIMEOUT_MS / 1000} s`), WS_TIMEOUT_MS));
      ws.onopen = () => {
        st.connected = true;
        st.connectedAt = performance.now();
        pings.set(0, performance.now());
        ws.send(JSON.stringify({ type: "ping", id: 0 }));
      };
      ws.onclose = (e) => {
        const why = e.reason ? `the server closed the WebSocket (${e.code}): ${e.reason}` : `the WebSocket closed (${e.code})`;
        if (e.code === 4404) this.camera = null; // unknown camera: the next attempt uses the default
        finish(working ? "lost" : "failed", why);
      };
      const show = async (buf, m) => {
        if (decoding) { if (waiting) st.wsDropped++; waiting = [buf, m]; return; }
        decoding = true;
        try {
          const bmp = await createImageBitmap(new Blob([buf], { type: "image/jpeg" }));
          if (done) return bmp.close();
          const c = this.frameCanvas;
          if (c.width !== bmp.width || c.height !== bmp.height) { c.width = bmp.width; c.height = bmp.height; }
          c.getContext("2d").drawImage(bmp, 0, 0);
          bmp.close();
          st.wsFrames++;
          st.width = c.width; st.height = c.height;
          second.frames++; second.bytes += buf.byteLength;
          if (m.captured_at_us) st.latencyMs = Date.now() - m.captured_at_us / 1000;
          if (!working) {
            working = true;
            clearTimeout(timers[0]);
            clearError();
            if (st.firstFrameAt === null) st.firstFrameAt = performance.now();
            this.state("live", "ok");
          }
          this.paintWS(m.frame);
        } catch (e) {
          report(`a JPEG picture could not be decoded: ${e.message || e}`, st);
        } finally {
          decoding = false;
          if (waiting && !done) { const [b, mm] = waiting; waiting = null; show(b, mm); }
        }
      };
      ws.onmessage = (e) => {
        if (typeof e.data !== "string") {
          if (meta) show(e.data, meta);
          meta = null;
          return;
        }
        const m = this.message(e.data, "ws");
        if (!m) return;
        if (m.type === "frame") meta = m;
        else if (m.type === "pong") {
          lastPong = performance.now();
          if (pings.has(m.id)) { st.rttMs = performance.now() - pings.get(m.id); pings.delete(m.id); }
        }
      };
      timers.push(setInterval(() => {
        const now = performance.now();
        st.fps = second.frames * 1000 / (now - second.at);
        st.bitrateKbps = 8 * second.bytes / (now - second.at);
        second = { at: now, frames: 0, bytes: 0 };
        if (ws.readyState !== WebSocket.OPEN) return;
        pingID++;
        pings.set(pingID, now);
        if (pings.size > 10) pings.delete(pings.keys().next().value);
        ws.send(JSON.stringify({ type: "ping", id: pingID }));
        if (working && now - lastPong > SILENCE_LIMIT_MS) finish("lost", `no answer from the server for ${SILENCE_LIMIT_MS / 1000} s`);
      }, PING_EVERY_MS));
    });
  }

  // The record of the picture on screen by frame number; else the newest earlier one.
  paintWS(frame) {
    const st = this.st;
    let record = this.records.get(frame) || null, match = record ? "exact" : "none";
    if (!record) {
      for (const r of this.records.values()) if (r.frame < frame && (!record || r.frame > record.frame)) record = r;
      if (record) match = "near";
    }
    if (match === "exact") st.exactMatches++; else if (match === "near") st.nearMatches++; else st.unmatchedFrames++;
    this.shown = { kind: "ws", frame, record, match };
    this.paint();
  }

  // Records, replies and errors from either transport. Returns the parsed message.
  message(text, via) {
    const st = this.st;
    let m;
    try { m = JSON.parse(text); } catch (e) { report(`the server sent something that is not JSON over the ${via}`, st); return null; }
    if (m.type === "detections") {
      st.lastRecord = m;
      if (via === "ws") st.wsRecords++;
      if (m.detector) st.detector = m.detector;
      if (m.camera && m.camera !== this.camera) return m;
      const key = via === "ws" ? m.frame : m.rtp_timestamp;
      if (key === undefined || key === null) return m;
      this.records.set(key, m);
      if (this.records.size > RECORDS_KEPT) this.records.delete(this.records.keys().next().value);
      // A record that arrives after its picture is already on screen: draw it now.
      if (this.shown && this.shown.match !== "exact" && (via === "ws" ? this.shown.frame === key : this.shown.rtp === key)) {
        this.shown.record = m;
        this.shown.match = "late";
        this.paint();
      }
      return m;
    }
    st.replies.push(m);
    if (st.replies.length > 200) st.replies.shift();
    if (m.type === "subscribed") {
      this.camera = m.camera;
      st.camera = m.camera;
      this.records.clear();
      if (this.main) { $("camera").value = m.camera; rememberCamera(m.camera); }
    } else if (m.type === "hello") {
      this.fps = m.fps;
      this.tile.style.setProperty("--ar", `${m.width} / ${m.height}`);
    } else if (m.type === "error") {
      report(`server: ${m.error}`, st);
    }
    return m;
  }

  mediaSize() {
    if (this.st.transport === "webrtc") return [this.video.videoWidth, this.video.videoHeight];
    return [this.frameCanvas.width, this.frameCanvas.height];
  }

  paint() {
    const [w, h] = this.mediaSize();
    if (w && h && this.ar !== `${w} / ${h}`) {
      this.ar = `${w} / ${h}`;
      this.tile.style.setProperty("--ar", this.ar);
    }
    const record = this.shown && this.shown.record;
    this.st.overlayRecord = record ? { frame: record.frame, pts_us: record.pts_us, rtp_timestamp: record.rtp_timestamp,
                                       width: record.width, height: record.height, match: this.shown.match,
                                       detections: record.detections } : null;
    // The same record on the same-sized picture is already drawn.
    const key = [record, w, h, overlayOn, canvasSizes.get(this.overlay)];
    if (this.painted && key.every((v, i) => v === this.painted[i])) return;
    this.painted = key;
    this.st.overlayBoxes = drawOverlay(this.overlay, w, h, record);
  }

  repaint() { if (this.shown || this.demo) this.paint(); }

  // ---- offline demo ----

  startDemo() {
    if (this.demo) return;
    this.setTransport("demo");
    this.state("offline demo (retrying)", "bad");
    if (this.main) $("demo-banner").hidden = false;
    const c = this.frameCanvas, ctx = c.getContext("2d");
    c.width = 640; c.height = 360;
    Object.assign(this.st, { width: c.width, height: c.height, codec: "synthetic", detector: "demo" });
    const top = 100; // below the banner, labels included
    let second = { at: performance.now(), frames: 0 };
    const start = performance.now();
    const shapes = [
      { label: "square", track: 1, w: 70, h: 70, fx: 0.35, fy: 0.13, px: 0, py: 0.2, color: "#d8a040" },
      { label: "disc", track: 2, w: 80, h: 80, fx: 0.23, fy: 0.31, px: 0.5, py: 0, color: "#50a0e0" },
      { label: "bar", track: 3, w: 52, h: 120, fx: 0.11, fy: 0.4, px: 1.4, py: 1.2, color: "#e0e0e0" },
    ];
    const tri = (u) => { const m = ((u % 2) + 2) % 2; return m < 1 ? m : 2 - m; };
    const step = () => {
      if (!this.demo) return;
      const t = (performance.now() - start) / 1000;
      ctx.fillStyle = "#1d2630";
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.strokeStyle = "#2b3846";
      for (let x = 0; x < c.width; x += 40) { ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, c.height); ctx.stroke(); }
      for (let y = 0; y < c.height; y += 40) { ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(c.width, y); ctx.stroke(); }
      const detections = shapes.map((s, i) => {
        const x = Math.round(tri(t * s.fx + s.px) * (c.width - s.w));
        const y = top + Math.round(tri(t * s.fy + s.py) * (c.height - top - s.h - 28));
        ctx.fillStyle = s.color;
        if (s.label === "disc") { ctx.beginPath(); ctx.arc(x + s.w / 2, y + s.h / 2, s.w / 2, 0, 2 * Math.PI); ctx.fill(); }
        else ctx.fillRect(x, y, s.w, s.h);
        return { label: s.label, score: 0.9 - 0.05 * i, box: [x, y, s.w, s.h], track_id: s.track };
      });
      ctx.fillStyle = "#9aa3ad";
      ctx.font = "16px system-ui, 'DejaVu Sans', sans-serif";
      ctx.fillText("synthetic scene — no camera", 12, c.height - 14);
      this.st.demoFrames++;
      if (++second.frames >= 30) {
        const now = performance.now();
        this.st.fps = second.frames * 1000 / (now - second.at);
        second = { at: now, frames: 0 };
      }
      const record = { type: "detections", frame: this.st.demoFrames, pts_us: Math.round(t * 1e6), width: c.width,
                       height: c.height, detector: "demo", detections };
      this.shown = { kind: "demo", frame: record.frame, record, match: "exact" };
      this.paint();
      this.demo = requestAnimationFrame(step);
    };
    this.demo = requestAnimationFrame(step);
  }

  stopDemo() {
    if (!this.demo) return;
    cancelAnimationFrame(this.demo);
    this.demo = null;
    this.shown = null;
    if (this.main) $("demo-banner").hidden = true;
    this.setTransport(null);
  }
}

// ---- views ----------------------------------------------------------------------------------

let mainViewer = null;
let gridViewers = [];
const allViewers = () => (mainViewer ? [mainViewer] : []).concat(gridViewers);
window.rtdGrid = [];

function rememberCamera(name) {
  const u = new URL(location.href);
  u.searchParams.set("camera", name);
  history.replaceState(null, "", u);
}

function showSingle(camera) {
  for (const v of gridViewers) v.close();
  gridViewers = [];
  window.rtdGrid = [];
  $("grid").replaceChildren();
  $("grid").hidden = true;
  $("single").hidden = false;
  $("grid-toggle").setAttribute("aria-pressed", "false");
  $("camera").disabled = false;
  S.view = "single";
  if (mainViewer) { if (camera) mainViewer.switchCamera(camera); return; }
  mainViewer = new Viewer($("stage"), camera || S.camera, S, true);
  mainViewer.run();
}

function showGrid() {
  if (!config) return report("the camera list is not known yet: the server has not answered");
  if (mainViewer) { mainViewer.close(); mainViewer = null; }
  $("single").hidden = true;
  $("grid").hidden = false;
  $("grid-toggle").setAttribute("aria-pressed", "true");
  $("camera").disabled = true;
  S.view = "grid";
  Object.assign(S, { transport: null, connected: false, framesDecoded: 0, rvfcFrames: 0, wsFrames: 0, overlayBoxes: [],
                     overlayRecord: null });
  setState(S, `grid of ${config.cameras.length} cameras`, "ok");
  const template = $("tile-template");
  gridViewers = config.cameras.map((name) => {
    const tile = template.content.firstElementChild.cloneNode(true);
    tile.querySelector(".name").textContent = name;
    tile.setAttribute("aria-label", `camera ${name}: open`);
    const open = () => { rememberCamera(name); showSingle(name); };
    tile.onclick = open;
    tile.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } };
    $("grid").appendChild(tile);
    const st = newStats(name);
    window.rtdGrid.push(st);
    const v = new Viewer(tile, name, st, false);
    v.run();
    return v;
  });
}

$("grid-toggle").onclick = () => (S.view === "grid" ? showSingle() : showGrid());
$("camera").onchange = (e) => { rememberCamera(e.target.value); showSingle(e.target.value); };

if (params.get("view") === "grid") {
  loadConfig().then((got) => (got.config ? showGrid() : showSingle()));
} else {
  showSingle(params.get("camera"));
}
})();
"""#
}
