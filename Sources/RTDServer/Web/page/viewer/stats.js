// The page's figures (window.rtdStats and the statistics panel): what they start as, how
// browser statistics become them, and how they read.

export function newStats(camera) {
  return { connected: false, framesDecoded: 0, dcMessages: 0, codec: null, rvfcFrames: 0, offerSentAt: null, answerAt: null,
           connectedAt: null, firstFrameAt: null, error: null, lastRecord: null, replies: [],
           transport: null, state: "starting", camera, overlayBoxes: [], overlayRecord: null, exactMatches: 0,
           nearMatches: 0, unmatchedFrames: 0, wsFrames: 0, wsRecords: 0, wsDropped: 0, reconnects: 0, errors: [],
           fps: 0, bitrateKbps: 0, width: 0, height: 0, latencyMs: null, jitterBufferMs: null, rttMs: null, iceRttMs: null, demoFrames: 0,
           detector: null, fallback: null, fallbackReason: null, retrying: false, upgradeAttempts: 0, upgrades: 0,
           upgradeError: null, upgradedAt: null, pictures: 0, pictureTimes: [], icePath: null, layer: null };
}

// One more picture on screen, whatever brought it (`pictureTimes` keeps the last 120 times in
// ms, so a gap in the picture, across a change of transport too, can be seen).
export function notePicture(st, now) {
  st.pictures++;
  st.pictureTimes.push(now);
  if (st.pictureTimes.length > 120) st.pictureTimes.shift();
}

// The figures the offline demo starts from: nothing of the camera shown before it is left.
export const demoFigures = (width, height) => ({ ...perConnection("demo"), camera: null, width, height, codec: "synthetic",
                                                 detector: "demo", lastRecord: null, exactMatches: 0, nearMatches: 0,
                                                 unmatchedFrames: 0, fallback: null, fallbackReason: null, retrying: false });

// Figures of one connection that mean nothing for the next.
export const perConnection = (transport) => ({ transport, fps: 0, bitrateKbps: 0, latencyMs: null, jitterBufferMs: null, rttMs: null,
                                               iceRttMs: null, codec: null, width: 0, height: 0, overlayBoxes: [], overlayRecord: null,
                                               icePath: null, layer: null });

// Keeps at most 50 messages.
export function noteError(st, message) {
  st.error = message;
  st.errors.push(message);
  if (st.errors.length > 50) st.errors.shift();
}

export function countMatch(st, match) {
  if (match === "exact") st.exactMatches++; else if (match === "near") st.nearMatches++; else st.unmatchedFrames++;
}

// Whether inbound-rtp statistics `r` are those of `track` ({mid, trackId}: a transceiver's mid and
// its receiver's track id): by mid where the browser gives it, else by track identifier.
export const sameTrack = (r, track) => (r.mid !== undefined ? r.mid === track.mid : r.trackIdentifier === track.trackId);

// One RTCStatsReport (a map of reports) into `st`. `before` is what the previous call returned
// (null the first time): bitrate and jitter-buffer delay are over the interval between the two.
// `track` ({mid, trackId}) picks one video of a connection that receives several (the grid);
// without it the connection has one.
export function readStatsReport(st, report, before, track = null) {
  let sample = before;
  report.forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video" && (!track || sameTrack(r, track))) {
      st.framesDecoded = r.framesDecoded || 0;
      const codec = report.get(r.codecId);
      st.codec = (codec && codec.mimeType) || null;
      st.fps = r.framesPerSecond || 0;
      st.width = r.frameWidth || 0;
      st.height = r.frameHeight || 0;
      const now = r.timestamp;
      if (sample) {
        st.bitrateKbps = 8 * (r.bytesReceived - sample.bytes) / (now - sample.at);
        // The part of the latency the browser adds on purpose, over the last interval.
        const emitted = r.jitterBufferEmittedCount - sample.emitted;
        if (emitted > 0) st.jitterBufferMs = 1000 * (r.jitterBufferDelay - sample.delay) / emitted;
      }
      sample = { bytes: r.bytesReceived, at: now, emitted: r.jitterBufferEmittedCount, delay: r.jitterBufferDelay };
    } else if (r.type === "candidate-pair" && r.nominated && r.state === "succeeded" && r.currentRoundTripTime !== undefined) {
      st.iceRttMs = r.currentRoundTripTime * 1000;
    }
  });
  // The selected pair, named by the transport (Chromium) or marked selected (Firefox); its local
  // candidate's protocol is "tcp" for ICE over TCP (a network that blocks UDP).
  let selected = null;
  report.forEach((r) => {
    if (r.type === "transport" && r.selectedCandidatePairId) selected = report.get(r.selectedCandidatePairId) || selected;
    else if (r.type === "candidate-pair" && r.selected && !selected) selected = r;
  });
  const local = selected && report.get(selected.localCandidateId);
  const remote = selected && report.get(selected.remoteCandidateId);
  // Candidate types ("relay" when it goes through TURN) and protocols of that pair.
  if (local) {
    st.icePath = { local: local.candidateType || null, remote: (remote && remote.candidateType) || null,
                   protocol: local.protocol || null, relayProtocol: local.relayProtocol || null };
  }
  return sample;
}

// Frame rate and bitrate of the pictures counted in `window` ({at, frames, bytes}) until `now` (ms).
export function windowRates(window, now) {
  return { fps: window.frames * 1000 / (now - window.at), bitrateKbps: 8 * window.bytes / (now - window.at) };
}

// Capture time (server clock) to `now` (browser clock).
export const latencyMs = (record, now) => now - record.captured_at_us / 1000;

const fmt = (v, unit, digits = 0) => (v === null || v === undefined || Number.isNaN(v)) ? "—" : `${v.toFixed(digits)} ${unit}`;

// The transport badge's text and title. On the fallback it says why (short) and, in its title,
// the whole story and whether WebRTC is being tried again.
export function transportBadge(st) {
  const name = { webrtc: "WebRTC", ws: "WebSocket", demo: "demo" }[st.transport] || "—";
  if (st.transport === "webrtc" && st.icePath && st.icePath.protocol === "tcp") {
    return { text: `${name} (TCP)`, title: "WebRTC over TCP: this network does not carry its UDP" };
  }
  if (st.transport !== "ws" || !st.fallbackReason) return { text: name, title: "" };
  const retry = st.retrying ? "WebRTC is tried again in the background; the picture moves over when it plays" +
    (st.upgradeError ? ` (last try: ${st.upgradeError})` : "") : "";
  return { text: `${name} (fallback: ${st.fallbackReason}${st.retrying ? ", retrying" : ""})`,
           title: [st.fallback, retry].filter(Boolean).join("; ") };
}

// Whether `m` is a usable {"type":"layer"} message: which of the camera's encodes (0: full size)
// the server sends this viewer, and its size.
export const isLayer = (m) => Boolean(m) && m.type === "layer" && Number.isInteger(m.index) && m.index >= 0 &&
  Number.isInteger(m.width) && m.width > 0 && Number.isInteger(m.height) && m.height > 0;

// A layer message as the page says it: the size, and for a smaller layer why (the server's reason,
// else the link's rate it measured), e.g. "640×360 — your link carries ~410 kbit/s". "" for none.
export function layerText(m) {
  if (!isLayer(m)) return "";
  const size = `${m.width}×${m.height}`;
  if (m.index === 0) return size;
  const reason = typeof m.reason === "string" && m.reason.trim() ? m.reason.trim().slice(0, 120)
    : Number.isFinite(m.link_kbps) ? `your link carries ~${Math.round(m.link_kbps)} kbit/s`
      : `smaller picture ${m.index + 1}${Number.isInteger(m.count) ? ` of ${m.count}` : ""}`;
  return `${size} — ${reason}`;
}

// The statistics panel: text by element id, and the latency's title.
export function statsPanel(st) {
  const text = {};
  text["s-camera"] = st.camera || "—";
  text["s-res"] = st.width ? `${st.width}×${st.height}` : "—";
  // Only WebRTC has layers (the WebSocket's JPEGs are the full size).
  text["s-layer"] = (st.transport === "webrtc" && layerText(st.layer)) || "—";
  text["s-fps"] = fmt(st.fps, "fps", st.fps < 10 ? 1 : 0);
  text["s-bitrate"] = st.bitrateKbps >= 1000 ? fmt(st.bitrateKbps / 1000, "Mbit/s", 2) : fmt(st.bitrateKbps, "kbit/s");
  // Capture time is the server's clock: far off means the clocks differ, not that video is late.
  text["s-latency"] = st.latencyMs === null ? "—"
    : st.latencyMs < -50 || st.latencyMs > 60000 ? "n/a (clocks differ)" : fmt(Math.max(0, st.latencyMs), "ms");
  const latencyTitle = "Capture to screen (server and browser clocks)" +
    (st.transport === "webrtc" && st.jitterBufferMs !== null ? `; jitter buffer ${st.jitterBufferMs.toFixed(0)} ms` : "");
  // Ping over the data channel or WebSocket; ICE's own measurement (getStats) in brackets.
  const ice = st.iceRttMs !== null ? ` (ICE ${st.iceRttMs.toFixed(0)})` : "";
  text["s-rtt"] = st.rttMs !== null ? `${st.rttMs.toFixed(0)} ms${ice}` : (ice ? `ICE ${st.iceRttMs.toFixed(0)} ms` : "—");
  text["s-codec"] = st.transport === "ws" ? "JPEG" : (st.codec || "—").replace("video/", "");
  const painted = st.exactMatches + st.nearMatches + st.unmatchedFrames;
  text["s-sync"] = painted ? `${Math.round(100 * st.exactMatches / painted)}% exact` : "—";
  text["s-detector"] = st.detector || "—";
  return { text, latencyTitle };
}
