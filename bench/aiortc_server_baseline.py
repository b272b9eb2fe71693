#!/usr/bin/env python3
"""Baseline for bench/serve.py: `rtd serve`'s video job done the way aiortc's own server example does
it. Frames come as Y4M on stdin (from `rtd capture testsrc:stamp`, so the timestamp strip measures
glass-to-glass latency the same way); one source track is shared through aiortc's MediaRelay
(unbuffered: every viewer gets the newest frame, none queues stale ones) and aiortc encodes it
with its own H.264 encoder (libx264 through PyAV) once PER VIEWER: aiortc has one encoder per
sender, which is its real behaviour. Signaling is rtd's JSON contract on POST /api/webrtc/signal
(offer -> answer with session_id; bye), on a minimal asyncio HTTP server.
--detector motion also runs rtd's default detector (bench/detect_python_ref.py: the same MOG2
settings) on its own thread on the newest frame, only while a data channel is open (as rtd does),
and sends one record per processed frame on every open channel.
--x264-preset ultrafast gives aiortc's encoder rtd's preset (aiortc leaves libx264 on its default,
medium) to separate the cost of aiortc's design from that of its encoder settings.
Usage: rtd capture testsrc:stamp --size 1280x720 | aiortc_server_baseline.py PORT [--codec h264]"""
import argparse
import asyncio
import fractions
import json
import sys
import threading
import time
import types
import uuid

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.codecs import h264
from aiortc.contrib.media import MediaRelay

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--host", default="127.0.0.1", help="address of the signaling server (ICE uses every interface)")
ap.add_argument("--codec", default="h264", help="h264, vp8, or any (the viewer's preference)")
ap.add_argument("--bitrate", type=int, default=2500, help="starting kbit/s (aiortc adapts it to REMB, 500-3000)")
ap.add_argument("--detector", default="none", choices=["none", "motion"])
ap.add_argument("--x264-preset", default=None)
args = ap.parse_args()
h264.DEFAULT_BITRATE = args.bitrate * 1000
if args.x264_preset:
    class PresetContext:
        """aiortc sets libx264's options itself; this adds the preset to whatever it sets."""
        def __init__(self, ctx):
            object.__setattr__(self, "ctx", ctx)

        def __getattr__(self, k):
            return getattr(self.ctx, k)

        def __setattr__(self, k, v):
            setattr(self.ctx, k, {**v, "preset": args.x264_preset} if k == "options" else v)

    h264.av = types.ModuleType("av")
    h264.av.__dict__.update(av.__dict__)
    h264.av.CodecContext = types.SimpleNamespace(create=lambda *a: PresetContext(av.CodecContext.create(*a)))

peers, channels = {}, set()
relay = MediaRelay()


def y4m_frames(stream):
    """(width, height, Xpts µs, Xts µs, I420 bytes) for every frame of rtd's Y4M."""
    f = {t[:1]: t[1:] for t in stream.readline().split()[1:]}
    w, h = int(f[b"W"]), int(f[b"H"])
    size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    while line := stream.readline():
        params = dict(p.split(b"=", 1) for p in line.split()[1:] if b"=" in p)
        data = stream.read(size)
        if len(data) < size:
            return
        yield w, h, int(params.get(b"Xpts", 0)), int(params.get(b"Xts", 0)), data


class Y4MTrack(MediaStreamTrack):
    """The camera: a thread reads stdin at the source's pace and keeps only the newest frame."""
    kind = "video"

    def __init__(self, loop):
        super().__init__()
        self.loop, self.latest, self.fresh = loop, None, asyncio.Event()
        self.cond = threading.Condition()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for f in y4m_frames(sys.stdin.buffer):
            with self.cond:
                self.latest = f
                self.cond.notify()
            self.loop.call_soon_threadsafe(self.fresh.set)

    async def recv(self):
        await self.fresh.wait()
        self.fresh.clear()
        w, h, pts, _, data = self.latest
        frame = av.VideoFrame.from_ndarray(np.frombuffer(data, np.uint8).reshape(h * 3 // 2, w), format="yuv420p")
        frame.pts, frame.time_base = pts, fractions.Fraction(1, 1_000_000)
        return frame


def detect_forever(source, loop):
    from detect_python_ref import PARAMS, Motion
    motion, seen, n = Motion(PARAMS["motion"]), None, 0
    while True:
        with source.cond:
            while source.latest is seen or not channels:
                source.cond.wait(0.5)
            seen = source.latest
        w, h, pts, ts, data = seen
        t0 = time.perf_counter()
        found = motion.detect(np.frombuffer(data, np.uint8, w * h).reshape(h, w))
        record = json.dumps({"type": "detections", "camera": "cam0", "frame": n, "pts_us": pts, "captured_at_us": ts,
                             "width": w, "height": h, "detector": "motion",
                             "inference_us": int((time.perf_counter() - t0) * 1e6),
                             "detections": [{"label": l, "score": round(s, 3), "box": list(b)} for l, s, b in found]})
        n += 1
        loop.call_soon_threadsafe(lambda r=record: [c.send(r) for c in list(channels) if c.readyState == "open"])


async def offer(body, source):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sid = str(uuid.uuid4())
    peers[sid] = pc

    @pc.on("datachannel")
    def on_datachannel(channel):
        channels.add(channel)
        channel.on("close", lambda: channels.discard(channel))

    @pc.on("connectionstatechange")
    async def on_state():
        if pc.connectionState == "failed":
            await peers.pop(sid, pc).close()

    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="offer"))
    sender = pc.addTrack(relay.subscribe(source, buffered=False))
    codec = body.get("codec") or args.codec
    if codec != "any":
        mime = {"h264": "video/H264", "vp8": "video/VP8"}[codec.lower()]
        transceiver = next(t for t in pc.getTransceivers() if t.sender == sender)
        transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == mime])
    await pc.setLocalDescription(await pc.createAnswer())
    return {"type": "answer", "sdp": pc.localDescription.sdp, "session_id": sid}


async def handle(reader, writer, source):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next((l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")), b"0"))
        body = json.loads(await reader.readexactly(length)) if length else {}
        status, reply = 200, {"type": "ok"}
        if body.get("type") == "offer":
            reply = await offer(body, source)
        elif body.get("type") == "bye" and body.get("session_id") in peers:
            await peers.pop(body["session_id"]).close()
        elif head.startswith(b"GET /healthz"):
            reply = {"status": "ok", "peers": len(peers)}
        else:
            status, reply = 400, {"type": "error", "error": "expected an offer or a bye for a live session"}
        data = json.dumps(reply).encode()
        writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                     % (status, b"OK" if status == 200 else b"Bad Request", len(data)) + data)
        await writer.drain()
    finally:
        writer.close()


async def main():
    loop = asyncio.get_running_loop()
    source = Y4MTrack(loop)
    if args.detector == "motion":
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        threading.Thread(target=detect_forever, args=(source, loop), daemon=True).start()
    server = await asyncio.start_server(lambda r, w: handle(r, w, source), args.host, args.port)
    print(f"aiortc baseline: http://{args.host}:{args.port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
