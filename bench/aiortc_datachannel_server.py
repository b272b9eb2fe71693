#!/usr/bin/env python3
"""Baseline for bench/datachannel.py: a Python aiortc server doing rtd's data-channel job the usual
way. It reads Y4M frames on stdin (from `rtd capture testsrc`), runs the same MOG2 motion detector
(bench/detect_python_ref.py, same parameters) on a worker thread, and sends one detection record
per processed frame to every open data channel. Signaling is rtd's JSON contract on
POST /api/webrtc/signal (offer -> answer with session_id), on a minimal asyncio HTTP server.
Usage: rtd capture testsrc | aiortc_datachannel_server.py PORT"""
import asyncio
import json
import sys
import threading
import time
import uuid

import cv2
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from detect_python_ref import PARAMS, Motion  # noqa: E402
import numpy as np  # noqa: E402

cv2.setNumThreads(1)
channels = set()
peers = {}


def frames(stream):
    """(frame number, pts µs, capture µs, width, height, luma) from a Y4M stream with rtd's Xpts/Xts."""
    header = stream.readline()
    f = {t[:1]: t[1:] for t in header.split()[1:]}
    w, h = int(f[b"W"]), int(f[b"H"])
    size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    n = 0
    while True:
        line = stream.readline()
        if not line:
            return
        params = dict(p.split(b"=", 1) for p in line.split()[1:] if b"=" in p)
        data = stream.read(size)
        if len(data) < size:
            return
        yield n, int(params.get(b"Xpts", 0)), int(params.get(b"Xts", 0)), w, h, np.frombuffer(data, np.uint8, w * h).reshape(h, w)
        n += 1


def detect_forever(loop):
    motion = Motion(PARAMS["motion"])
    latest = {"frame": None}
    cond = threading.Condition()

    def reader():
        for f in frames(sys.stdin.buffer):
            with cond:
                latest["frame"] = f  # newest frame wins, like rtd
                cond.notify()

    threading.Thread(target=reader, daemon=True).start()
    while True:
        with cond:
            while latest["frame"] is None:
                cond.wait()
            n, pts, ts, w, h, gray = latest["frame"]
            latest["frame"] = None
        t0 = time.perf_counter()
        found = motion.detect(gray)
        us = int((time.perf_counter() - t0) * 1e6)
        record = json.dumps({"type": "detections", "camera": "cam0", "frame": n, "pts_us": pts, "captured_at_us": ts,
                             "width": w, "height": h, "detector": "motion", "inference_us": us,
                             "detections": [{"label": l, "score": round(s, 3), "box": list(b)} for l, s, b in found]})
        loop.call_soon_threadsafe(broadcast, record)


def broadcast(record):
    for ch in list(channels):
        if ch.readyState == "open":
            ch.send(record)


async def offer(body):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sid = str(uuid.uuid4())
    peers[sid] = pc

    @pc.on("datachannel")
    def on_dc(ch):
        channels.add(ch)

    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    return {"type": "answer", "sdp": pc.localDescription.sdp, "session_id": sid}


async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next((l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")), b"0"))
        body = json.loads(await reader.readexactly(length)) if length else {}
        if body.get("type") == "offer":
            reply = await offer(body)
        elif body.get("type") == "bye" and body.get("session_id") in peers:
            await peers.pop(body["session_id"]).close()
            reply = {"type": "ok"}
        else:
            reply = {"type": "ok"}
        data = json.dumps(reply).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data)
        await writer.drain()
    finally:
        writer.close()


async def main():
    loop = asyncio.get_running_loop()
    threading.Thread(target=detect_forever, args=(loop,), daemon=True).start()
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    print("READY", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
