/// The browser viewer, embedded in the binary: plain HTML/JS, no build step.
enum ViewerPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rtd viewer</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; background: #111; color: #ddd; }
  header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; background: #1b1b1b; }
  #state { font-weight: 600; }
  main { display: flex; justify-content: center; padding: 1em; }
  video { max-width: 100%; background: #000; }
</style>
</head>
<body>
<header><strong>rtd</strong><span id="state">connecting…</span><span id="stats"></span></header>
<main><video id="video" autoplay muted playsinline></video></main>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const camera = params.get("camera") || "cam0";
const codec = params.get("codec");
const S = window.rtdStats = { connected: false, framesDecoded: 0, dcMessages: 0, codec: null, rvfcFrames: 0,
                              offerSentAt: null, answerAt: null, connectedAt: null, firstFrameAt: null, error: null,
                              lastRecord: null, replies: [] };
const stateEl = document.getElementById("state"), statsEl = document.getElementById("stats");
const video = document.getElementById("video");

async function connect() {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  // Detection records arrive on this channel; it also carries control messages (subscribe, ping).
  const dc = window.rtdChannel = pc.createDataChannel("rtd");
  dc.onmessage = (e) => {
    S.dcMessages++;
    const m = JSON.parse(e.data);
    if (m.type === "detections") S.lastRecord = m; else S.replies.push(m);
  };
  pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); };
  pc.onconnectionstatechange = () => {
    stateEl.textContent = pc.connectionState;
    if (pc.connectionState === "connected") { S.connected = true; S.connectedAt = performance.now(); }
  };
  await pc.setLocalDescription(await pc.createOffer());
  // ICE-lite server: our own candidates are gathered quickly; never wait forever for them.
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    setTimeout(resolve, 2000);
  });
  S.offerSentAt = performance.now();
  const body = { type: "offer", sdp: pc.localDescription.sdp, camera };
  if (codec) body.codec = codec;
  const res = await fetch("/api/webrtc/signal", { method: "POST", headers: { "Content-Type": "application/json" },
                                                   body: JSON.stringify(body) });
  const answer = await res.json();
  if (!res.ok) throw new Error(answer.error || res.statusText);
  S.answerAt = performance.now();
  await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  const onFrame = (now, meta) => {
    S.rvfcFrames++;
    if (S.firstFrameAt === null) S.firstFrameAt = performance.now();
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  setInterval(async () => (await pc.getStats()).forEach((r, _, all) => {
    if (r.type === "inbound-rtp" && r.kind === "video") {
      S.framesDecoded = r.framesDecoded || 0;
      S.codec = all.get(r.codecId)?.mimeType || null;
      statsEl.textContent = `${S.codec || ""} ${r.frameWidth || 0}x${r.frameHeight || 0} ${Math.round(r.framesPerSecond || 0)} fps`;
    }
  }), 250);
}
connect().catch((e) => { S.error = String(e); stateEl.textContent = "error: " + e.message; });
</script>
</body>
</html>
"""#
}
