import { test } from "node:test";
import assert from "node:assert/strict";
import { viewerModule } from "./viewer.mjs";

const stats = viewerModule("stats.js");

function report(inbound, extra = []) {
  const all = [["in", { type: "inbound-rtp", kind: "video", codecId: "c1", ...inbound }],
               ["c1", { type: "codec", mimeType: "video/H264" }], ...extra];
  return new Map(all);
}

test("bitrate and jitter-buffer delay are measured between two getStats reports", async () => {
  const { newStats, readStatsReport } = await stats;
  const st = newStats("cam0");
  const first = readStatsReport(st, report({ timestamp: 1000, bytesReceived: 10000, framesDecoded: 5, framesPerSecond: 30,
                                            frameWidth: 640, frameHeight: 360, jitterBufferEmittedCount: 10,
                                            jitterBufferDelay: 0.5 }), null);
  // One report says nothing about rates yet.
  assert.equal(st.bitrateKbps, 0);
  assert.equal(st.jitterBufferMs, null);
  assert.deepEqual([st.framesDecoded, st.fps, st.width, st.height, st.codec], [5, 30, 640, 360, "video/H264"]);
  const second = readStatsReport(st, report({ timestamp: 1500, bytesReceived: 72500, framesDecoded: 20,
                                             jitterBufferEmittedCount: 25, jitterBufferDelay: 1.1 }), first);
  assert.equal(st.bitrateKbps, 1000); // 62500 bytes in 500 ms
  assert.ok(Math.abs(st.jitterBufferMs - 40) < 1e-9); // 0.6 s over 15 frames
  assert.deepEqual(second, { bytes: 72500, at: 1500, emitted: 25, delay: 1.1 });
  // Nothing emitted in an interval: the jitter-buffer figure stays.
  readStatsReport(st, report({ timestamp: 2000, bytesReceived: 72500, jitterBufferEmittedCount: 25, jitterBufferDelay: 1.1 }), second);
  assert.equal(st.bitrateKbps, 0);
  assert.ok(Math.abs(st.jitterBufferMs - 40) < 1e-9);
  assert.equal(st.fps, 0);
});

test("the ICE round trip is the nominated, succeeded pair's", async () => {
  const { newStats, readStatsReport } = await stats;
  const st = newStats(null);
  readStatsReport(st, report({ timestamp: 1 }, [
    ["p1", { type: "candidate-pair", nominated: false, state: "succeeded", currentRoundTripTime: 0.5 }],
    ["p2", { type: "candidate-pair", nominated: true, state: "in-progress", currentRoundTripTime: 0.4 }],
  ]), null);
  assert.equal(st.iceRttMs, null);
  readStatsReport(st, report({ timestamp: 1 }, [
    ["p3", { type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.012 }],
  ]), null);
  assert.equal(st.iceRttMs, 12);
  assert.equal(st.codec, "video/H264");
  const noCodec = newStats(null);
  readStatsReport(noCodec, new Map([["in", { type: "inbound-rtp", kind: "video", codecId: "gone", timestamp: 1 }]]), null);
  assert.equal(noCodec.codec, null);
});

test("the selected pair's candidate types come from the transport's selectedCandidatePairId", async () => {
  const { newStats, readStatsReport } = await stats;
  const st = newStats(null);
  assert.equal(st.icePath, null);
  readStatsReport(st, report({ timestamp: 1 }, [
    ["t", { type: "transport", selectedCandidatePairId: "p" }],
    ["p", { type: "candidate-pair", localCandidateId: "l", remoteCandidateId: "r" }],
    ["l", { type: "local-candidate", candidateType: "relay", protocol: "udp", relayProtocol: "tcp" }],
    ["r", { type: "remote-candidate", candidateType: "host", protocol: "udp" }],
  ]), null);
  assert.deepEqual(st.icePath, { local: "relay", remote: "host", protocol: "udp", relayProtocol: "tcp" });
  // No pair selected yet (or one whose candidates are not in the report): nothing changes.
  const none = newStats(null);
  readStatsReport(none, report({ timestamp: 1 }, [["t", { type: "transport" }], ["t2", { type: "transport", selectedCandidatePairId: "gone" }]]), null);
  assert.equal(none.icePath, null);
});

test("one video of several: the inbound statistics of that transceiver's mid, else of its track", async () => {
  const { newStats, readStatsReport, sameTrack } = await stats;
  const all = new Map([
    ["i1", { type: "inbound-rtp", kind: "video", mid: "1", trackIdentifier: "t1", codecId: "c1", timestamp: 1000,
             framesDecoded: 70, framesPerSecond: 30, frameWidth: 640, frameHeight: 480, bytesReceived: 5000 }],
    ["i2", { type: "inbound-rtp", kind: "video", mid: "2", trackIdentifier: "t2", codecId: "c2", timestamp: 1000,
             framesDecoded: 12, framesPerSecond: 15, frameWidth: 320, frameHeight: 240, bytesReceived: 900 }],
    ["c1", { type: "codec", mimeType: "video/H264" }],
    ["c2", { type: "codec", mimeType: "video/VP8" }],
    ["p", { type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.002 }],
  ]);
  const a = newStats("a"), b = newStats("b");
  const beforeA = readStatsReport(a, all, null, { mid: "1", trackId: "t1" });
  const beforeB = readStatsReport(b, all, null, { mid: "2", trackId: "t2" });
  assert.deepEqual([a.framesDecoded, a.fps, a.width, a.codec], [70, 30, 640, "video/H264"]);
  assert.deepEqual([b.framesDecoded, b.fps, b.width, b.codec], [12, 15, 320, "video/VP8"]);
  // The connection's own figures are every video's.
  assert.deepEqual([a.iceRttMs, b.iceRttMs], [2, 2]);
  // Rates are over each video's own bytes.
  const later = new Map(all);
  later.set("i1", { ...all.get("i1"), timestamp: 1500, bytesReceived: 67500 });
  later.set("i2", { ...all.get("i2"), timestamp: 1500, bytesReceived: 900 + 6250 });
  readStatsReport(a, later, beforeA, { mid: "1", trackId: "t1" });
  readStatsReport(b, later, beforeB, { mid: "2", trackId: "t2" });
  assert.deepEqual([a.bitrateKbps, b.bitrateKbps], [1000, 100]);
  // A mid no video has: nothing of the others is taken.
  const none = newStats("c");
  assert.equal(readStatsReport(none, all, null, { mid: "3", trackId: "t3" }), null);
  assert.deepEqual([none.framesDecoded, none.codec], [0, null]);
  // Statistics without a mid (older browsers) are matched by track identifier.
  assert.ok(sameTrack({ trackIdentifier: "t2" }, { mid: "9", trackId: "t2" }));
  assert.ok(!sameTrack({ trackIdentifier: "t2" }, { mid: "2", trackId: "t1" }));
  assert.ok(!sameTrack({ mid: "1", trackIdentifier: "t2" }, { mid: "2", trackId: "t2" }));
});

test("WebSocket rates are over the counting window", async () => {
  const { windowRates } = await stats;
  assert.deepEqual(windowRates({ at: 1000, frames: 30, bytes: 250000 }, 3000), { fps: 15, bitrateKbps: 1000 });
});

test("matches are counted by kind; errors are kept, at most 50", async () => {
  const { newStats, countMatch, noteError } = await stats;
  const st = newStats("a");
  for (const m of ["exact", "exact", "near", "none", "late"]) countMatch(st, m);
  assert.deepEqual([st.exactMatches, st.nearMatches, st.unmatchedFrames], [2, 1, 2]);
  for (let i = 0; i < 60; i++) noteError(st, `e${i}`);
  assert.equal(st.error, "e59");
  assert.equal(st.errors.length, 50);
  assert.equal(st.errors[0], "e10");
});

test("a new connection starts its figures afresh", async () => {
  const { perConnection } = await stats;
  const fresh = perConnection("ws");
  assert.equal(fresh.transport, "ws");
  assert.deepEqual([fresh.fps, fresh.latencyMs, fresh.rttMs, fresh.width, fresh.overlayBoxes], [0, null, null, 0, []]);
  assert.notEqual(perConnection("ws").overlayBoxes, fresh.overlayBoxes); // no array shared between connections
});

test("the panel reads the figures", async () => {
  const { newStats, statsPanel } = await stats;
  const st = Object.assign(newStats("cam0"), { transport: "webrtc", width: 1280, height: 720, fps: 7.26, bitrateKbps: 2345.6,
                                               latencyMs: 83.4, jitterBufferMs: 21.7, rttMs: 3.2, iceRttMs: 1.6,
                                               codec: "video/VP8", exactMatches: 2, nearMatches: 1, unmatchedFrames: 0,
                                               detector: "yolo" });
  const { text, latencyTitle } = statsPanel(st);
  assert.deepEqual(text, { "s-camera": "cam0", "s-res": "1280×720", "s-layer": "—", "s-fps": "7.3 fps", "s-bitrate": "2.35 Mbit/s",
                           "s-latency": "83 ms", "s-rtt": "3 ms (ICE 2)", "s-codec": "VP8", "s-sync": "67% exact",
                           "s-detector": "yolo" });
  assert.equal(latencyTitle, "Capture to screen (server and browser clocks); jitter buffer 22 ms");
});

test("the panel says what is unknown, and when the clocks differ", async () => {
  const { newStats, statsPanel } = await stats;
  const empty = statsPanel(newStats(null)).text;
  assert.deepEqual(Object.values(empty), ["—", "—", "—", "0.0 fps", "0 kbit/s", "—", "—", "—", "—", "—"]);
  const st = Object.assign(newStats("c"), { transport: "ws", latencyMs: -51, iceRttMs: 4, fps: 12, bitrateKbps: 999.6 });
  const { text, latencyTitle } = statsPanel(st);
  assert.equal(text["s-latency"], "n/a (clocks differ)");
  assert.equal(statsPanel(Object.assign(st, { latencyMs: -20 })).text["s-latency"], "0 ms");
  assert.equal(statsPanel(Object.assign(st, { latencyMs: 60001 })).text["s-latency"], "n/a (clocks differ)");
  assert.equal(text["s-rtt"], "ICE 4 ms");
  assert.equal(text["s-codec"], "JPEG");
  assert.equal(text["s-fps"], "12 fps");
  assert.equal(text["s-bitrate"], "1000 kbit/s");
  assert.equal(latencyTitle, "Capture to screen (server and browser clocks)");
});

test("the transport badge says why the page is on the fallback and whether WebRTC is tried again", async () => {
  const { newStats, transportBadge } = await stats;
  const st = newStats(null);
  assert.deepEqual(transportBadge(st), { text: "—", title: "" });
  Object.assign(st, { transport: "ws", fallback: "WebRTC did not work (no answer); using the WebSocket fallback",
                      fallbackReason: "WebRTC could not connect" });
  assert.deepEqual(transportBadge(st), { text: "WebSocket (fallback: WebRTC could not connect)",
                                         title: "WebRTC did not work (no answer); using the WebSocket fallback" });
  Object.assign(st, { retrying: true, upgradeError: "the server refused WebRTC (503)" });
  const retrying = transportBadge(st);
  assert.equal(retrying.text, "WebSocket (fallback: WebRTC could not connect, retrying)");
  assert.match(retrying.title, /^WebRTC did not work .*; WebRTC is tried again in the background.*\(last try: the server refused WebRTC \(503\)\)$/);
  Object.assign(st, { transport: "webrtc" });
  assert.deepEqual(transportBadge(st), { text: "WebRTC", title: "" });
  Object.assign(st, { transport: "ws", fallback: null, fallbackReason: null, retrying: false });
  assert.deepEqual(transportBadge(st), { text: "WebSocket", title: "" });
  Object.assign(st, { transport: "webrtc", icePath: { protocol: "tcp" } });
  assert.deepEqual(transportBadge(st), { text: "WebRTC (TCP)", title: "WebRTC over TCP: this network does not carry its UDP" });
  Object.assign(st, { transport: "ws", fallback: "x", fallbackReason: "x" });
  assert.equal(transportBadge(st).text, "WebSocket (fallback: x)", "TCP is WebRTC's, not the WebSocket's");
});

test("the ICE protocol is the selected pair's local candidate's", async () => {
  const { newStats, readStatsReport } = await stats;
  const chromium = newStats(null);
  readStatsReport(chromium, report({ timestamp: 1 }, [
    ["T", { type: "transport", selectedCandidatePairId: "p2" }],
    ["p1", { type: "candidate-pair", localCandidateId: "l1", nominated: false, state: "failed" }],
    ["p2", { type: "candidate-pair", localCandidateId: "l2", nominated: true, state: "succeeded" }],
    ["l1", { type: "local-candidate", protocol: "udp" }],
    ["l2", { type: "local-candidate", protocol: "tcp" }],
  ]), null);
  assert.equal(chromium.icePath.protocol, "tcp");
  const firefox = newStats(null);
  readStatsReport(firefox, report({ timestamp: 1 }, [
    ["p1", { type: "candidate-pair", localCandidateId: "l1", selected: true }],
    ["l1", { type: "local-candidate", protocol: "udp" }],
  ]), null);
  assert.equal(firefox.icePath.protocol, "udp");
  const none = newStats(null);
  readStatsReport(none, report({ timestamp: 1 }, [["T", { type: "transport" }]]), null);
  assert.equal(none.icePath, null);
});

test("the offline demo leaves nothing of the camera shown before it", async () => {
  const { newStats, demoFigures, statsPanel } = await stats;
  const st = Object.assign(newStats("cam0"), { transport: "webrtc", latencyMs: 80, rttMs: 3, iceRttMs: 2, bitrateKbps: 900,
                                               codec: "video/VP8", exactMatches: 40, nearMatches: 2, detector: "yolo",
                                               lastRecord: { camera: "cam0" }, fallbackReason: "x" });
  Object.assign(st, demoFigures(640, 360));
  const { text } = statsPanel(st);
  assert.deepEqual([text["s-camera"], text["s-latency"], text["s-rtt"], text["s-bitrate"], text["s-sync"], text["s-detector"],
                    text["s-res"], text["s-codec"]], ["—", "—", "—", "0 kbit/s", "—", "demo", "640×360", "synthetic"]);
  assert.equal(st.transport, "demo");
  assert.equal(st.lastRecord, null);
});

test("pictures on screen are counted with their times, the last 120 kept", async () => {
  const { newStats, notePicture } = await stats;
  const st = newStats("cam0");
  for (let i = 0; i < 130; i++) notePicture(st, i * 33);
  assert.equal(st.pictures, 130);
  assert.equal(st.pictureTimes.length, 120);
  assert.deepEqual([st.pictureTimes[0], st.pictureTimes.at(-1)], [10 * 33, 129 * 33]);
});

test("latency is from capture (server microseconds) to now (browser milliseconds)", async () => {
  const { latencyMs } = await stats;
  assert.equal(latencyMs({ captured_at_us: 1700000000000000 }, 1700000000250), 250);
});
