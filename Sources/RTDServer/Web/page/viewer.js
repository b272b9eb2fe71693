// The viewer's page glue: DOM, WebRTC, WebSocket and canvas. WebRTC first (video + the "rtd"
// data channel), the WebSocket /api/ws (JPEG pictures + records) when WebRTC is off or does not
// start in time (WebRTC is then tried again in the background and takes the picture over once it
// plays), and a labelled offline demo while the server cannot be reached. Detection boxes
// are drawn on the frame they belong to: by RTP timestamp (requestVideoFrameCallback) or by frame
// number (WebSocket). The grid receives every camera over one peer connection (each tile on its
// own, as above, when that does not work). The server may send a viewer a smaller encode of the
// camera (a layer) when its link is slow: its {"type":"layer"} messages are shown (size and why).
// Page state for tests and curious people: window.rtdStats (its `layer`: the last such message);
// the grid's: window.rtdGrid (one such per tile) and window.rtdGridConnection.
// The decisions without DOM are in viewer/*.js (unit-tested by Tests/web).
import { pageSettings, webSocketURL, withCamera, configRefusal, isConfig } from "./viewer/settings.js";
import { recordKey, keepRecord, matchByRTP, matchByFrame, awaitedBy } from "./viewer/sync.js";
import { Pings } from "./viewer/pings.js";
import { reconnectDelay, upgradeDelay } from "./viewer/backoff.js";
import { gridColumns, trackTile, GRID_SESSION_MAX } from "./viewer/grid.js";
import { trackColor, detectionLabel, canvasPixels, labelFontPx, lineWidthPx, fitPicture, boxOnCanvas,
         labelOrigin } from "./viewer/overlay.js";
import { DEMO_WIDTH, DEMO_HEIGHT, DEMO_SHAPES, demoDetections } from "./viewer/demo.js";
import { newStats, perConnection, noteError, countMatch, readStatsReport, windowRates, latencyMs, transportBadge,
         statsPanel, notePicture, demoFigures, isLayer, layerText } from "./viewer/stats.js";

const settings = pageSettings(location.search);
const token = settings.token;
const WEBRTC_TIMEOUT_MS = settings.webrtcTimeoutMs;
const WS_TIMEOUT_MS = 5000;
const PING_EVERY_MS = 2000;
const SILENCE_LIMIT_MS = 7000;   // no pong for this long: the connection is gone

const S = window.rtdStats = newStats(settings.camera);
S.view = "single";

const $ = (id) => document.getElementById(id);
let overlayOn = settings.overlay;
let config = null;

// Every request carries the token (?token=T) the page was opened with.
function api(path, init = {}) {
  const headers = new Headers(init.headers || {});
  if (token) headers.set("Authorization", "Bearer " + token);
  return fetch(path, { ...init, headers, cache: "no-store" });
}

// {config} when the server answered, {denied} when it refused us, {offline} when there is no rtd server.
async function loadConfig() {
  try {
    const res = await api("api/config");
    const refusal = configRefusal(res.status, res.statusText, res.ok, token);
    if (refusal) return refusal;
    const c = await res.json();
    if (!isConfig(c)) return { offline: "GET /api/config did not return an rtd configuration" };
    config = c;
    fillPicker();
    return { config: c };
  } catch (e) {
    return { offline: `cannot reach the server (${e.message || e})` };
  }
}

// ---- page chrome ----------------------------------------------------------------------------

function report(message, st = S) {
  noteError(st, message);
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
    renderBadge();
  }
}

function renderBadge() {
  const badge = $("transport");
  // A grid's tiles share one connection (or, on the fallback, one story): the first tells it.
  const { text, title } = transportBadge(S.view === "grid" && grid ? grid.tiles[0].st : S);
  if (badge.textContent !== text) badge.textContent = text;
  if (badge.title !== title) badge.title = title;
}

function fillPicker() {
  const sel = $("camera");
  const have = Array.from(sel.options).map((o) => o.value).join(",");
  if (have !== config.cameras.join(",")) {
    sel.replaceChildren(...config.cameras.map((c) => new Option(c, c)));
  }
  if (mainViewer && mainViewer.camera) sel.value = mainViewer.camera;
}

function renderStats() {
  const { text, latencyTitle } = statsPanel(S);
  for (const [id, value] of Object.entries(text)) $(id).textContent = value;
  $("s-latency").title = latencyTitle;
  // Retries in the background change what the badge says without a change of state.
  renderBadge();
}
setInterval(renderStats, 500);

$("overlay-toggle").checked = overlayOn;
$("overlay-toggle").onchange = (e) => {
  overlayOn = e.target.checked;
  for (const v of allTiles()) v.repaint();
};
$("fullscreen").onclick = () => {
  const el = S.view === "grid" ? $("grid") : $("stage");
  if (document.fullscreenElement) document.exitFullscreen();
  else (el.requestFullscreen || el.webkitRequestFullscreen || (() => {})).call(el);
};
document.addEventListener("fullscreenchange", () => { for (const v of allTiles()) v.repaint(); });
window.addEventListener("resize", () => { for (const v of allTiles()) v.repaint(); });

// ---- overlay -----------------------------------------------------------------------------------

// Draws `record`'s boxes over a picture of mediaW x mediaH shown with object-fit: contain in
// `canvas`'s box; returns the boxes drawn, in the frame's pixels.
// Canvas sizes from a ResizeObserver: reading layout on every video frame would force a layout each time.
const canvasSizes = new WeakMap();
const sizeObserver = new ResizeObserver((entries) => {
  for (const e of entries) canvasSizes.set(e.target, { width: e.contentRect.width, height: e.contentRect.height });
  for (const v of allTiles()) v.repaint();
});
function drawOverlay(canvas, mediaW, mediaH, record) {
  if (!canvasSizes.has(canvas)) { canvasSizes.set(canvas, canvas.getBoundingClientRect()); sizeObserver.observe(canvas); }
  const rect = canvasSizes.get(canvas);
  const dpr = window.devicePixelRatio || 1;
  const { w, h } = canvasPixels(rect, dpr);
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (!overlayOn || !record || !mediaW || !mediaH || !record.width) return [];
  const fit = fitPicture(w, h, mediaW, mediaH, record.width, record.height);
  const font = labelFontPx(dpr);
  ctx.font = `600 ${font}px system-ui, "DejaVu Sans", sans-serif`;
  ctx.textBaseline = "top";
  ctx.lineWidth = lineWidthPx(dpr);
  const drawn = [];
  for (const d of record.detections || []) {
    const [bx, by, bw, bh] = d.box;
    const box = boxOnCanvas(fit, d.box);
    const color = trackColor(d.track_id);
    ctx.strokeStyle = color;
    ctx.strokeRect(box.x, box.y, box.w, box.h);
    const label = detectionLabel(d);
    const tw = ctx.measureText(label).width + 8, th = font + 6;
    const at = labelOrigin(fit, box, tw, th, ctx.lineWidth);
    ctx.fillStyle = color;
    ctx.fillRect(at.x, at.y, tw, th);
    ctx.fillStyle = "#000";
    ctx.fillText(label, at.x + 4, at.y + 3);
    drawn.push([bx, by, bw, bh]);
  }
  return drawn;
}

// ---- peer connections: what the single view and the grid do alike ---------------------------

// Why WebRTC is not even tried (short, for the badge), or null.
function webrtcUnavailable(cfg) {
  if (settings.transport === "ws") return "?transport=ws";
  if (!cfg.webrtc) return "WebRTC is off on the server";
  if (!("RTCPeerConnection" in window)) return "no WebRTC in this browser";
  return null;
}

// A data-channel message of a WebRTC attempt not shown yet: its records for `camera` are kept
// for when it is (the frames it will show first were described before); anything else can wait.
function keepAside(text, records, camera) {
  let m;
  try { m = JSON.parse(text); } catch (e) { return null; }
  if (m && m.type === "detections" && (!m.camera || m.camera === camera)) {
    const key = recordKey(m, "webrtc");
    if (key !== undefined && key !== null) keepRecord(records, key, m);
  }
  return m;
}

// A peer connection, counted in `count.peerConnections` until hangUp closes it (tests read how
// many the grid has open).
function openPeer(cfg, count) {
  const pc = new RTCPeerConnection({ iceServers: cfg.ice_servers || [], iceTransportPolicy: settings.iceTransportPolicy });
  count.peerConnections++;
  return pc;
}

// Ends a session. A lost server is gone already; otherwise say bye first (closing the peer
// connection first would end the session by DTLS alert and make the bye a 404).
function hangUp(pc, sessionID, lost, count) {
  const bye = sessionID && !lost
    ? api("api/webrtc/signal", { method: "POST", headers: { "Content-Type": "application/json" }, keepalive: true,
                                 body: JSON.stringify({ type: "bye", session_id: sessionID }) }).catch(() => {})
    : Promise.resolve();
  bye.finally(() => { pc.close(); count.peerConnections--; });
}

// Offers `pc` to the server with `fields` ({camera} or {cameras}) and sets the answer. `on.session`
// hears the session id before the answer is set (so that a connection ended meanwhile says bye);
// `on.over()` true stops it on the way. Rejects with an Error whose `short` is the badge's reason
// when the server refuses.
async function negotiate(pc, fields, on) {
  await pc.setLocalDescription(await pc.createOffer());
  // The server is ICE-lite: our own candidates come quickly; never wait forever for them.
  await new Promise((r) => {
    if (pc.iceGatheringState === "complete") return r();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r();
    setTimeout(r, 2000);
  });
  if (on.over()) return;
  on.sent();
  const body = { type: "offer", sdp: pc.localDescription.sdp, ...fields };
  if (settings.codec) body.codec = settings.codec;
  const res = await api("api/webrtc/signal", { method: "POST", headers: { "Content-Type": "application/json" },
                                               body: JSON.stringify(body) });
  let answer = {};
  try { answer = await res.json(); } catch (e) { /* reported below */ }
  if (!res.ok) {
    throw Object.assign(new Error(`signaling refused (${res.status}): ${answer.error || res.statusText}`),
                        { short: `the server refused WebRTC (${res.status})` });
  }
  if (on.over()) return;
  on.session(answer.session_id);
  await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
}

// negotiate's failure as finish(how, why, failure) takes it.
const setupFailure = (e) => (e.short ? [e.message, e.short] : [`WebRTC set-up failed: ${e.message || e}`, "WebRTC set-up failed"]);

// Round trips over the data channel: one as it opens, then every PING_EVERY_MS. `silent(why)` is
// called on each ping while no pong came for SILENCE_LIMIT_MS (since the start or `restart()`).
function dataChannelPings(dc, silent) {
  const pings = new Pings();
  let id = 0, lastPong = performance.now();
  const ping = () => {
    if (dc.readyState !== "open") return;
    id++;
    pings.sent(id, performance.now());
    dc.send(JSON.stringify({ type: "ping", id }));
    if (performance.now() - lastPong > SILENCE_LIMIT_MS) silent(`no answer from the server for ${SILENCE_LIMIT_MS / 1000} s`);
  };
  dc.onopen = ping;
  return {
    timer: setInterval(ping, PING_EVERY_MS),
    restart: () => { lastPong = performance.now(); },
    // The round trip a pong tells, or null.
    pong: (m) => { lastPong = performance.now(); return pings.answered(m.id, performance.now()); },
  };
}

// Follows pc's connection state: `connected()` when it is up; `broken(why, failure)` when it
// failed or closed, or stayed disconnected for 3 s (a timer in `timers`).
function watchConnection(pc, timers, connected, broken) {
  let disconnected = null;
  pc.onconnectionstatechange = () => {
    const s = pc.connectionState;
    if (s === "connected") {
      clearTimeout(disconnected);
      connected();
    } else if (s === "disconnected") {
      disconnected = setTimeout(() => broken("WebRTC connection lost", "WebRTC connection lost"), 3000);
      timers.push(disconnected);
    } else if (s === "failed" || s === "closed") {
      broken(`WebRTC connection ${s}`, "WebRTC could not connect");
    }
  };
}

// Calls `onFrame(meta)` for every frame `video` shows (requestVideoFrameCallback's metadata, with
// the frame's rtpTimestamp) until it returns false; where there is no such callback, once.
function everyFrame(video, onFrame) {
  if (!("requestVideoFrameCallback" in HTMLVideoElement.prototype)) {
    video.addEventListener("playing", () => onFrame({}), { once: true });
    return;
  }
  const next = (now, meta) => { if (onFrame(meta) !== false) video.requestVideoFrameCallback(next); };
  video.requestVideoFrameCallback(next);
}

// ---- one tile: its picture, overlay, records and figures ------------------------------------

// What a tile shows, whichever connection feeds it (a Viewer's own, or the grid's).
class Tile {
  constructor(el, camera, st, main) {
    this.el = el;
    this.video = el.querySelector("video");
    this.frameCanvas = el.querySelector("canvas.frame");
    this.overlay = el.querySelector("canvas.overlay");
    this.camera = camera;
    this.st = st;
    if (camera) st.camera = camera;
    this.main = main;
    this.records = new Map();   // rtp_timestamp (WebRTC) or frame (WebSocket) -> record
    this.shown = null;          // what the overlay was last painted for
  }

  setTransport(t) {
    // Figures of the previous connection mean nothing for the next one.
    Object.assign(this.st, perConnection(t));
    this.showLayer();
    this.shown = null;
    this.el.dataset.transport = t || "none";
    this.paint(); // no boxes from the previous connection
  }

  caption(text) {
    const el = this.el.querySelector(".tile-state");
    if (el) el.textContent = text;
  }

  // A grid tile's caption tells its layer (the single view's panel reads st.layer).
  showLayer() {
    const el = this.el.querySelector(".caption .layer");
    if (el) el.textContent = layerText(this.st.layer);
  }

  state(text, kind) {
    setState(this.st, text, kind);
    this.caption(text);
  }

  // A WebRTC frame on screen: counted, and painted with its record.
  webrtcFrame(meta) {
    const st = this.st;
    st.rvfcFrames++;
    if (st.firstFrameAt === null) st.firstFrameAt = performance.now();
    notePicture(st, performance.now());
    this.paintWebRTC(meta);
  }

  // The record of the frame on screen, by RTP timestamp; else the newest at most ~a frame older.
  paintWebRTC(meta) {
    const st = this.st;
    const ts = meta.rtpTimestamp;
    const { record, match } = matchByRTP(this.records, ts, st.fps);
    countMatch(st, match);
    if (record && record.captured_at_us) st.latencyMs = latencyMs(record, Date.now());
    this.shown = { kind: "webrtc", rtp: ts, record, match };
    this.paint();
  }

  // The record of the picture on screen by frame number; else the newest earlier one.
  paintWS(frame) {
    const st = this.st;
    const { record, match } = matchByFrame(this.records, frame);
    countMatch(st, match);
    this.shown = { kind: "ws", frame, record, match };
    this.paint();
  }

  // Records, replies and errors from either transport. Returns the parsed message.
  message(text, via) {
    let m;
    try { m = JSON.parse(text); } catch (e) { report(`the server sent something that is not JSON over the ${via}`, this.st); return null; }
    this.take(m, via);
    return m;
  }

  take(m, via) {
    const st = this.st;
    if (m.type === "detections") {
      st.lastRecord = m;
      if (via === "ws") st.wsRecords++;
      if (m.detector) st.detector = m.detector;
      if (m.camera && m.camera !== this.camera) return;
      const key = recordKey(m, via);
      if (key === undefined || key === null) return;
      keepRecord(this.records, key, m);
      // A record that arrives after its picture is already on screen: draw it now.
      if (awaitedBy(this.shown, key, via)) {
        this.shown.record = m;
        this.shown.match = "late";
        this.paint();
      }
      return;
    }
    if (m.type === "layer") {
      if (!isLayer(m) || (m.camera && m.camera !== this.camera)) return;
      st.layer = m;
      this.showLayer();
      return;
    }
    st.replies.push(m);
    if (st.replies.length > 200) st.replies.shift();
    if (m.type === "subscribed") {
      this.camera = m.camera;
      st.camera = m.camera;
      this.records.clear();
      if (st.layer && st.layer.camera !== m.camera) { st.layer = null; this.showLayer(); }
      if (this.main) { $("camera").value = m.camera; rememberCamera(m.camera); }
    } else if (m.type === "hello") {
      this.el.style.setProperty("--ar", `${m.width} / ${m.height}`);
    } else if (m.type === "error") {
      report(`server: ${m.error}`, st);
    }
  }

  mediaSize() {
    if (this.st.transport === "webrtc") return [this.video.videoWidth, this.video.videoHeight];
    return [this.frameCanvas.width, this.frameCanvas.height];
  }

  paint() {
    const [w, h] = this.mediaSize();
    if (w && h && this.ar !== `${w} / ${h}`) {
      this.ar = `${w} / ${h}`;
      this.el.style.setProperty("--ar", this.ar);
    }
    const record = this.shown && this.shown.record;
    this.st.overlayRecord = record ? { camera: record.camera, frame: record.frame, pts_us: record.pts_us, rtp_timestamp: record.rtp_timestamp,
                                       width: record.width, height: record.height, match: this.shown.match,
                                       detections: record.detections } : null;
    // The same record on the same-sized picture is already drawn.
    const key = [record, w, h, overlayOn, canvasSizes.get(this.overlay)];
    if (this.painted && key.every((v, i) => v === this.painted[i])) return;
    this.painted = key;
    this.st.overlayBoxes = drawOverlay(this.overlay, w, h, record);
  }

  repaint() { if (this.shown) this.paint(); }
}

// ---- a tile with its own camera connection ----------------------------------------------------

class Viewer extends Tile {
  // `count`: where its peer connections are counted (the grid's, for a grid tile on its own).
  // `wsOnly`: why the grid's WebRTC did not work, for a grid tile that shows the WebSocket while
  // the grid tries WebRTC again for every tile at once; such a tile makes no connection of its own.
  constructor(el, camera, st, main, count = { peerConnections: 0 }, wsOnly = null) {
    super(el, camera, st, main);
    this.count = count;
    this.wsOnly = wsOnly;
    this.closed = false;
    this.session = null;        // the live connection: {kind, send(obj), close(how)}
    this.probe = null;          // a WebRTC attempt made while on the WebSocket fallback: {close()}
    this.wakeProbe = null;
    this.wakeUp = null;
    this.demo = null;
  }

  repaint() { if (this.shown || this.demo) this.paint(); }

  // Closed for good because the grid's connection took the tile over: its WebSocket is
  // "replaced", so the picture stays until the video covers it.
  retire() {
    this.closed = true;
    if (this.session) this.session.close("replaced");
    if (this.wakeUp) this.wakeUp();
  }

  close() {
    this.closed = true;
    this.stopDemo();
    if (this.probe) this.probe.close();
    if (this.session) this.session.close();
    if (this.wakeUp) this.wakeUp();
  }

  // Connect, stay until the connection is lost, wait (backoff), again; until closed. With
  // `failure` (why the grid's connection did not work) WebRTC counts as tried already: the first
  // connection is the WebSocket fallback.
  async run(failure = null) {
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
        const worked = await this.connect(got.config, failure);
        failure = null;
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
      const delay = reconnectDelay(failures, Math.random());
      failures++;
      if (!this.demo) this.state(`reconnecting in ${(delay / 1000).toFixed(1)} s`, "wait");
      await new Promise((resolve) => { this.wakeUp = resolve; setTimeout(resolve, delay); });
      this.wakeUp = null;
      if (!this.closed) this.st.reconnects++;
    }
  }

  // One connection over the best transport; resolves once it is over. True if media flowed.
  // `failure`: WebRTC was tried already and did not work, for that reason.
  async connect(cfg, failure) {
    this.records.clear();
    if (this.wsOnly) {
      Object.assign(this.st, { fallbackReason: this.wsOnly, retrying: true,
                               fallback: `the grid's WebRTC did not work (${this.wsOnly}); using the WebSocket fallback` });
      return (await this.websocket()) === "lost";
    }
    Object.assign(this.st, { fallback: null, fallbackReason: null, retrying: false, upgradeError: null });
    const unable = webrtcUnavailable(cfg);
    if (unable) {
      if (settings.transport !== "ws") Object.assign(this.st, { fallbackReason: unable, fallback: `${unable}: using the WebSocket` });
      return (await this.websocket()) === "lost";
    }
    if (failure) {
      this.failure = failure;
    } else {
      const how = await this.webrtc(cfg);
      if (how !== "failed" || this.closed) return how === "lost";
      if (settings.transport === "webrtc") return false;
    }
    this.st.fallbackReason = this.failure;
    this.st.fallback = `WebRTC did not work (${this.st.error}); using the WebSocket fallback`;
    report(this.st.fallback, this.st);
    return this.fallback(cfg);
  }

  // The WebSocket shows the picture while WebRTC is tried again in the background, with whatever
  // candidates the server's answer holds (UDP, TCP, relay); the first attempt that plays takes the
  // tile over without a gap. Resolves once the connection, whichever it ended as, is over: true
  // if media flowed.
  async fallback(cfg) {
    let over = false;
    const wsDone = this.websocket().then((how) => { over = true; if (this.wakeProbe) this.wakeProbe(); return how; });
    const upgraded = (async () => {
      for (let attempt = 0; ; attempt++) {
        this.st.retrying = true;
        await new Promise((resolve) => { this.wakeProbe = resolve; setTimeout(resolve, upgradeDelay(attempt, Math.random())); });
        this.wakeProbe = null;
        if (over || this.closed) return null;
        this.st.upgradeAttempts++;
        const how = await this.webrtc(cfg, true);
        if (how === "failed") this.st.upgradeError = this.failure;
        // Closed unseen (the camera was switched): try again, for the camera shown now.
        else if (how !== "closed" || over || this.closed) return how;
      }
    })();
    const how = await wsDone;
    if (how === "replaced") return (await upgraded) === "lost";
    // The WebSocket is over: an attempt under way goes with it (the next connection starts afresh).
    this.st.retrying = false;
    if (this.probe) this.probe.close();
    await upgraded;
    return how === "lost";
  }

  switchCamera(name) {
    if (name === this.camera) return;
    this.camera = name;
    this.st.camera = name;
    this.records.clear();
    this.repaint();
    // An attempt in the background was made for the old camera: the next one asks for this one.
    if (this.probe) this.probe.close();
    if (this.session && this.session.send({ type: "subscribe", camera: name })) return;
    if (this.session) this.session.close(); // reconnects to the new camera
  }

  // ---- WebRTC ----

  // One WebRTC connection; resolves "failed" (no media), "lost" or "closed" once it is over, and
  // leaves a short reason for a failure in this.failure. With `probe` (on the WebSocket
  // fallback) it stays out of sight, touching neither the tile nor its figures, until its video
  // has a decoded frame; then it takes over from the WebSocket and goes on as the connection.
  webrtc(cfg, probe = false) {
    const st = this.st;
    return new Promise((resolve) => {
      let done = false, working = false, connected = false, shown = !probe, sessionID = null, statsBefore = null;
      let layer = null; // the attempt's last layer message, until shown
      const timers = [];
      // Until shown: records and browser figures of the attempt, kept aside.
      const records = probe ? new Map() : this.records;
      const figures = probe ? newStats(this.camera) : st;
      const pc = openPeer(cfg, this.count);
      const finish = (how, why, failure) => {
        if (done) return;
        done = true;
        timers.forEach((t) => { clearTimeout(t); clearInterval(t); });
        if (how === "failed") this.failure = failure || "WebRTC did not work";
        if (shown) {
          if (why) report(why, st);
          st.connected = false;
        } else if (why) {
          console.warn("rtd: WebRTC attempt:", why);
        }
        hangUp(pc, sessionID, how === "lost", this.count);
        if (this.session === session) this.session = null;
        if (this.probe === attempt) this.probe = null;
        if (!shown && this.video.srcObject === stream) this.video.srcObject = null;
        resolve(how);
      };
      const dc = pc.createDataChannel("rtd");
      const session = {
        kind: "webrtc",
        send: (obj) => dc.readyState === "open" ? (dc.send(JSON.stringify(obj)), true) : false,
        close: () => finish(working ? "lost" : "closed"),
      };
      const attempt = { close: () => finish("closed") };
      let stream = null;
      if (probe) {
        this.probe = attempt;
      } else {
        this.session = session;
        if (this.main) window.rtdChannel = dc;
        this.setTransport("webrtc");
        this.state("connecting (WebRTC)…", "wait");
      }
      timers.push(setTimeout(() => finish("failed", `WebRTC did not start within ${WEBRTC_TIMEOUT_MS / 1000} s`, "WebRTC could not connect"),
                             WEBRTC_TIMEOUT_MS));
      pc.addTransceiver("video", { direction: "recvonly" });
      const pings = dataChannelPings(dc, (why) => working && finish("lost", why));
      timers.push(pings.timer);
      dc.onmessage = (e) => {
        if (shown) st.dcMessages++;
        const m = shown ? this.message(e.data, "webrtc") : keepAside(e.data, records, this.camera);
        if (!shown && m && m.type === "layer") layer = m;
        if (m && m.type === "pong") {
          const rtt = pings.pong(m);
          if (rtt !== null && shown) st.rttMs = rtt;
        }
      };
      dc.onclose = () => { if (working) finish("lost", "the server closed the data channel"); };
      pc.ontrack = (e) => {
        stream = e.streams[0] || new MediaStream([e.track]);
        // While on the fallback the video element is hidden (the canvas shows the WebSocket's pictures).
        this.video.srcObject = stream;
        this.video.play().catch(() => {});
      };
      watchConnection(pc, timers, () => {
        connected = true;
        if (shown) { st.connected = true; st.connectedAt = performance.now(); }
      }, (why, failure) => finish(working ? "lost" : "failed", why, failure));
      // The attempt plays: the video element has a picture to show, so it takes the tile over from
      // the WebSocket in one step (the canvas is hidden as the video is revealed).
      const takeOver = () => {
        if (this.closed || this.video.readyState < 2 || this.video.srcObject !== stream) return false;
        shown = true;
        const previous = this.session;
        this.session = session;
        if (this.probe === attempt) this.probe = null;
        if (this.main) window.rtdChannel = dc;
        this.setTransport("webrtc");
        if (layer) this.take(layer, "webrtc");
        if (previous) previous.close("replaced");
        this.records = records;
        Object.assign(st, { connected: true, connectedAt: performance.now(), fallback: null, fallbackReason: null, retrying: false,
                            upgradeError: null, upgradedAt: performance.now(), framesDecoded: figures.framesDecoded });
        st.upgrades++;
        return true;
      };
      const live = () => {
        if (working || !connected || done) return;
        if (!shown && !takeOver()) return;
        working = true;
        clearTimeout(timers[0]);
        clearError();
        pings.restart();
        this.state("live", "ok");
      };
      everyFrame(this.video, (meta) => {
        if (done) return false;
        live();
        if (shown) this.webrtcFrame(meta);
        return true;
      });
      // Oftener while hidden: the switch to a playing attempt waits for this check at most.
      timers.push(setInterval(async () => {
        if (done) return;
        statsBefore = readStatsReport(shown ? st : figures, await pc.getStats(), statsBefore);
        if (shown) renderBadge(); // the pair may be TCP, known only from the statistics
        // Decoding counts as live even where nothing is painted (a hidden tab, a hidden video).
        if ((shown ? st : figures).framesDecoded > 0) live();
      }, probe ? 200 : 500));
      negotiate(pc, { camera: this.camera }, {
        over: () => done,
        sent: () => { if (shown) st.offerSentAt = performance.now(); },
        session: (id) => { sessionID = id; if (shown) st.answerAt = performance.now(); },
      }).catch((e) => finish("failed", ...setupFailure(e)));
    });
  }

  // ---- WebSocket fallback ----

  websocket() {
    const st = this.st;
    return new Promise((resolve) => {
      let done = false, working = false, meta = null, pingID = 0, lastPong = performance.now();
      let decoding = false, waiting = null, second = { at: performance.now(), frames: 0, bytes: 0 };
      const pings = new Pings();
      const timers = [];
      const ws = new WebSocket(webSocketURL(location.href, this.camera, token));
      ws.binaryType = "arraybuffer";
      const finish = (how, why) => {
        if (done) return;
        done = true;
        timers.forEach((t) => { clearTimeout(t); clearInterval(t); });
        if (why) report(why, st);
        if (how !== "replaced") st.connected = false;
        try { ws.close(); } catch (e) { /* already closed */ }
        if (this.session === session) this.session = null;
        resolve(how);
      };
      // close("replaced"): WebRTC has taken the picture over.
      const session = this.session = {
        kind: "ws",
        send: (obj) => ws.readyState === WebSocket.OPEN ? (ws.send(JSON.stringify(obj)), true) : false,
        close: (how) => finish(how || (working ? "lost" : "closed")),
      };
      this.setTransport("ws");
      this.state("connecting (WebSocket)…", "wait");
      timers.push(setTimeout(() => finish("failed", `the WebSocket did not start within ${WS_TIMEOUT_MS / 1000} s`), WS_TIMEOUT_MS));
      ws.onopen = () => {
        st.connected = true;
        st.connectedAt = performance.now();
        pings.sent(0, performance.now());
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
          notePicture(st, performance.now());
          st.width = c.width; st.height = c.height;
          second.frames++; second.bytes += buf.byteLength;
          if (m.captured_at_us) st.latencyMs = latencyMs(m, Date.now());
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
          const rtt = pings.answered(m.id, performance.now());
          if (rtt !== null) st.rttMs = rtt;
        }
      };
      timers.push(setInterval(() => {
        const now = performance.now();
        Object.assign(st, windowRates(second, now));
        second = { at: now, frames: 0, bytes: 0 };
        if (ws.readyState !== WebSocket.OPEN) return;
        pingID++;
        pings.sent(pingID, now);
        ws.send(JSON.stringify({ type: "ping", id: pingID }));
        if (working && now - lastPong > SILENCE_LIMIT_MS) finish("lost", `no answer from the server for ${SILENCE_LIMIT_MS / 1000} s`);
      }, PING_EVERY_MS));
    });
  }

  // ---- offline demo ----

  startDemo() {
    if (this.demo) return;
    this.setTransport("demo");
    this.state("offline demo (retrying)", "bad");
    if (this.main) $("demo-banner").hidden = false;
    const c = this.frameCanvas, ctx = c.getContext("2d");
    c.width = DEMO_WIDTH; c.height = DEMO_HEIGHT;
    Object.assign(this.st, demoFigures(c.width, c.height));
    let second = { at: performance.now(), frames: 0 };
    const start = performance.now();
    const step = () => {
      if (!this.demo) return;
      const t = (performance.now() - start) / 1000;
      ctx.fillStyle = "#1d2630";
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.strokeStyle = "#2b3846";
      for (let x = 0; x < c.width; x += 40) { ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, c.height); ctx.stroke(); }
      for (let y = 0; y < c.height; y += 40) { ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(c.width, y); ctx.stroke(); }
      const detections = demoDetections(t, c.width, c.height);
      DEMO_SHAPES.forEach((s, i) => {
        const [x, y] = detections[i].box;
        ctx.fillStyle = s.color;
        if (s.label === "disc") { ctx.beginPath(); ctx.arc(x + s.w / 2, y + s.h / 2, s.w / 2, 0, 2 * Math.PI); ctx.fill(); }
        else ctx.fillRect(x, y, s.w, s.h);
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
    this.st.camera = this.camera;
    this.setTransport(null);
  }
}

// ---- the grid: every camera over one peer connection ----------------------------------------

// One peer connection for all tiles: a receiving video transceiver per tile and the one "rtd"
// data channel, whose records name their camera. Lost: again after the backoff. When that
// connection does not work (or WebRTC cannot be tried, or there are more cameras than one
// connection carries), each tile becomes a Viewer of its own, as a single view is: the WebSocket,
// with WebRTC retried in the background per tile. Deliberately simple: the grid does not go back
// to one connection by itself; opening it again does.
class Grid {
  constructor(cameras, elements) {
    this.tiles = cameras.map((name, i) => new Tile(elements[i], name, newStats(name), false));
    this.viewers = [];
    this.closed = false;
    this.session = null;
    this.wakeUp = null;
    // For tests: peer connections this grid (or its tiles on their own) has open.
    this.info = window.rtdGridConnection = { peerConnections: 0, sessionID: null, state: "starting" };
    window.rtdGrid = this.tiles.map((t) => t.st);
  }

  parts() { return this.viewers.length ? this.viewers : this.tiles; }

  close() {
    this.closed = true;
    if (this.session) this.session.close();
    for (const v of this.viewers) v.close();
    if (this.wakeUp) this.wakeUp();
    this.info.state = "closed";
  }

  tilesState(text, kind) { for (const t of this.tiles) t.state(text, kind); }

  async run() {
    let failures = 0;
    while (!this.closed) {
      const got = await loadConfig();
      if (this.closed) return;
      if (got.config) {
        if (webrtcUnavailable(got.config) || this.tiles.length > GRID_SESSION_MAX) return this.onTheirOwn(null);
        let how = await this.webrtc(got.config);
        if (this.closed) return;
        if (how === "failed" && settings.transport !== "webrtc") {
          report(`the grid's WebRTC connection did not work (${this.failure}): every tile on its WebSocket while it is tried again`);
          how = await this.onTheirOwn(this.failure, got.config);
          if (this.closed || how === null) return;
        }
        if (how === "lost") failures = 0;
      } else if (got.denied) {
        report(got.denied);
        this.tilesState("access denied", "bad");
      } else {
        this.tilesState("offline", "bad");
      }
      const delay = reconnectDelay(failures, Math.random());
      failures++;
      this.info.state = "reconnecting";
      this.tilesState(`reconnecting in ${(delay / 1000).toFixed(1)} s`, "wait");
      await new Promise((resolve) => { this.wakeUp = resolve; setTimeout(resolve, delay); });
      this.wakeUp = null;
      if (!this.closed) for (const t of this.tiles) t.st.reconnects++;
    }
  }

  // Each tile a Viewer of its own. With `failure` (why the grid's WebRTC did not work) they show
  // their WebSockets while the grid's one connection is tried again in the background, with the
  // single view's schedule; the first attempt whose every tile has a picture takes the grid over
  // without a gap, and this resolves when that connection is over ("lost" or "closed"). Without
  // (WebRTC off, ?transport=ws, too many cameras for one connection) each Viewer goes its own way
  // for good, and this resolves null at once.
  async onTheirOwn(failure, cfg) {
    this.info.state = "per tile";
    this.viewers = this.tiles.map((t) => {
      const v = new Viewer(t.el, t.camera, t.st, false, this.info, failure);
      v.run();
      return v;
    });
    if (!failure) return null;
    for (let attempt = 0; ; attempt++) {
      await new Promise((resolve) => { this.wakeUp = resolve; setTimeout(resolve, upgradeDelay(attempt, Math.random())); });
      this.wakeUp = null;
      if (this.closed) return null;
      for (const t of this.tiles) t.st.upgradeAttempts++;
      const how = await this.webrtc(cfg, true);
      if (this.closed) return null;
      if (how !== "failed") return how;
      for (const t of this.tiles) t.st.upgradeError = this.failure;
    }
  }

  // The one connection; resolves "failed" (no media), "lost" or "closed" once it is over, and
  // leaves a short reason for a failure in this.failure. With `probe` (the tiles are on their
  // WebSockets) it touches no tile until every tile's video has a picture, keeping records and
  // browser figures aside; then it retires the tiles' Viewers and goes on as the connection.
  webrtc(cfg, probe = false) {
    const tiles = this.tiles, info = this.info;
    const cameras = tiles.map((t) => t.camera);
    return new Promise((resolve) => {
      let done = false, working = false, connected = false, sessionID = null, shown = !probe;
      const timers = [];
      const live = new Set();   // tiles with a decoded frame
      const statsBefore = new Map();
      const streams = [];
      // Until shown: each tile's records and figures of the attempt.
      const records = tiles.map((t) => (probe ? new Map() : t.records));
      const figures = tiles.map((t) => (probe ? newStats(t.camera) : t.st));
      const layers = tiles.map(() => null); // each tile's last layer message, until shown
      const pc = openPeer(cfg, info);
      const finish = (how, why, failure) => {
        if (done) return;
        done = true;
        timers.forEach((t) => { clearTimeout(t); clearInterval(t); });
        if (how === "failed") this.failure = failure || "WebRTC did not work";
        if (shown) {
          for (const t of tiles) {
            if (why) report(why, t.st);
            t.st.connected = false;
          }
        } else {
          if (why) console.warn("rtd: the grid's WebRTC attempt:", why);
          tiles.forEach((t, i) => { if (t.video.srcObject === streams[i]) t.video.srcObject = null; });
        }
        hangUp(pc, sessionID, how === "lost", info);
        if (shown) info.sessionID = null;
        if (this.session === session) this.session = null;
        resolve(how);
      };
      // Closed when the grid is: the server hears a bye.
      const session = this.session = { close: () => finish("closed") };
      if (!probe) {
        info.state = "connecting";
        for (const t of tiles) {
          t.records.clear();
          // No decoded frames of a previous connection: they would count as live at once.
          Object.assign(t.st, { fallback: null, fallbackReason: null, retrying: false, upgradeError: null, framesDecoded: 0 });
          t.setTransport("webrtc");
          t.state("connecting (WebRTC)…", "wait");
        }
      }
      // The attempt has a picture for every tile: it takes the grid over from the Viewers in one step.
      const takeOver = () => {
        if (this.closed || !tiles.every((t, i) => t.video.readyState >= 2 && t.video.srcObject === streams[i])) return false;
        shown = true;
        const viewers = this.viewers;
        this.viewers = [];
        for (const v of viewers) v.retire();
        info.sessionID = sessionID;
        const now = performance.now();
        tiles.forEach((t, i) => {
          t.records = records[i];
          t.setTransport("webrtc");
          if (layers[i]) t.take(layers[i], "webrtc");
          Object.assign(t.st, { connected: true, connectedAt: now, fallback: null, fallbackReason: null, retrying: false,
                                upgradeError: null, upgradedAt: now, framesDecoded: figures[i].framesDecoded });
          t.st.upgrades++;
        });
        return true;
      };
      timers.push(setTimeout(() => finish("failed", `WebRTC did not start within ${WEBRTC_TIMEOUT_MS / 1000} s`, "WebRTC could not connect"),
                             WEBRTC_TIMEOUT_MS));
      const dc = pc.createDataChannel("rtd");
      // In the cameras' order: the server gives the i-th receiving video cameras[i].
      const transceivers = tiles.map(() => pc.addTransceiver("video", { direction: "recvonly" }));
      const pings = dataChannelPings(dc, (why) => working && finish("lost", why));
      timers.push(pings.timer);
      // Records and layer messages go to their camera's tile; anything else (replies, errors)
      // concerns every tile.
      dc.onmessage = (e) => {
        let m;
        try { m = JSON.parse(e.data); } catch (err) { return report("the server sent something that is not JSON over the data channel"); }
        if (m.type === "layer") {
          const i = tiles.findIndex((t) => t.camera === m.camera);
          if (i >= 0 && shown) tiles[i].take(m, "webrtc");
          if (i >= 0 && !shown) layers[i] = m;
          return;
        }
        if (m.type === "detections") {
          const i = tiles.findIndex((t) => t.camera === m.camera);
          if (i >= 0 && shown) { tiles[i].st.dcMessages++; tiles[i].take(m, "webrtc"); }
          if (i >= 0 && !shown) keepAside(e.data, records[i], m.camera);
          return;
        }
        if (shown) for (const t of tiles) t.take(m, "webrtc");
        if (m.type === "pong") {
          const rtt = pings.pong(m);
          if (rtt !== null && shown) for (const t of tiles) t.st.rttMs = rtt;
        }
      };
      dc.onclose = () => { if (working) finish("lost", "the server closed the data channel"); };
      const tileLive = (t) => {
        if (!connected || done || live.has(t)) return;
        if (!shown && !takeOver()) return;
        live.add(t);
        if (!working) {
          working = true;
          clearTimeout(timers[0]);
          pings.restart();
          info.state = "live";
        }
        t.state("live", "ok");
      };
      pc.ontrack = (e) => {
        const mid = e.transceiver && e.transceiver.mid;
        const i = trackTile(cameras, transceivers.map((x) => x.mid), mid, e.streams.map((s) => s.id));
        if (i < 0) return console.warn("rtd: a track for no tile of the grid", mid, e.streams.map((s) => s.id));
        const t = tiles[i];
        const stream = streams[i] = e.streams[0] || new MediaStream([e.track]);
        Object.assign(t.st, { mid, streamId: stream.id }); // what the grid's tile was given, for tests
        // While the tiles are on their WebSockets the video is hidden (the canvas shows their pictures).
        t.video.srcObject = stream;
        t.video.play().catch(() => {});
        everyFrame(t.video, (meta) => {
          if (done || t.video.srcObject !== stream) return false;
          tileLive(t);
          if (shown) t.webrtcFrame(meta);
          return true;
        });
      };
      watchConnection(pc, timers, () => {
        connected = true;
        if (shown) for (const t of tiles) Object.assign(t.st, { connected: true, connectedAt: performance.now() });
      }, (why, failure) => finish(working ? "lost" : "failed", why, failure));
      // One report for all tiles, each reading its own video from it.
      timers.push(setInterval(async () => {
        if (done) return;
        const all = await pc.getStats();
        if (done) return;
        tiles.forEach((t, i) => {
          const track = { mid: transceivers[i].mid, trackId: transceivers[i].receiver.track.id };
          const st = shown ? t.st : figures[i];
          statsBefore.set(t, readStatsReport(st, all, statsBefore.get(t) || null, track));
          // Decoding counts as live even where nothing is painted (a hidden tab, a hidden video).
          if (st.framesDecoded > 0) tileLive(t);
        });
      }, probe ? 200 : 500)); // oftener while hidden: the switch waits for this check at most
      negotiate(pc, { cameras }, {
        over: () => done,
        sent: () => { if (shown) for (const t of tiles) t.st.offerSentAt = performance.now(); },
        session: (id) => {
          sessionID = id;
          if (!shown) return;
          info.sessionID = id;
          for (const t of tiles) t.st.answerAt = performance.now();
        },
      }).catch((e) => finish("failed", ...setupFailure(e)));
    });
  }
}

// ---- views ----------------------------------------------------------------------------------

let mainViewer = null;
let grid = null;
const allTiles = () => (mainViewer ? [mainViewer] : []).concat(grid ? grid.parts() : []);
window.rtdGrid = [];

function rememberCamera(name) {
  history.replaceState(null, "", withCamera(location.href, name));
}

function showSingle(camera) {
  if (grid) { grid.close(); grid = null; }
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
                     overlayRecord: null, layer: null });
  setState(S, `grid of ${config.cameras.length} cameras`, "ok");
  $("grid").style.setProperty("--cols", gridColumns(config.cameras.length));
  $("grid").style.setProperty("--rows", Math.ceil(config.cameras.length / gridColumns(config.cameras.length)));
  const template = $("tile-template");
  const elements = config.cameras.map((name) => {
    const tile = template.content.firstElementChild.cloneNode(true);
    tile.querySelector(".name").textContent = name;
    tile.setAttribute("aria-label", `camera ${name}: open`);
    const open = () => { rememberCamera(name); showSingle(name); };
    tile.onclick = open;
    tile.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } };
    $("grid").appendChild(tile);
    return tile;
  });
  grid = new Grid(config.cameras, elements);
  grid.run();
}

$("grid-toggle").onclick = () => (S.view === "grid" ? showSingle() : showGrid());
$("camera").onchange = (e) => { rememberCamera(e.target.value); showSingle(e.target.value); };

if (settings.view === "grid") {
  loadConfig().then((got) => (got.config ? showGrid() : showSingle()));
} else {
  showSingle(settings.camera);
}
