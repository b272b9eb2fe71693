#!/usr/bin/env python3
"""Reference for bench/ws.py: the same /api/ws protocol served the obvious Python way.
Reads Y4M (with Xts capture times) from `rtd capture` on stdin, and for each frame that the rate
cap lets through while anyone watches: I420 -> BGR with OpenCV, ONE cv2.imencode JPEG shared by all
clients, sent to each client by its own task holding only the newest picture (same drop policy as
rtd). Usage: rtd capture testsrc:stamp | bench/ws_python_ref.py PORT MAX_FPS"""
import asyncio
import json
import sys

import cv2
import numpy as np
import websockets

PORT, MAX_FPS = int(sys.argv[1]), float(sys.argv[2])
clients = set()


class Client:
    def __init__(self, ws):
        self.ws = ws
        self.slot = None
        self.ready = asyncio.Event()

    def offer(self, picture):
        self.slot = picture   # a picture not sent yet is replaced, never queued
        self.ready.set()

    async def run(self):
        while True:
            await self.ready.wait()
            self.ready.clear()
            meta, jpeg = self.slot
            await self.ws.send(meta)
            await self.ws.send(jpeg)


async def handler(ws):
    c = Client(ws)
    clients.add(c)
    await ws.send(json.dumps({"type": "hello", "camera": "cam0"}))
    sender = asyncio.create_task(c.run())
    try:
        async for _ in ws:
            pass
    finally:
        clients.discard(c)
        sender.cancel()


def read_frames(stream):
    header = stream.readline().decode().split()
    w = int(next(p[1:] for p in header if p[0] == "W"))
    h = int(next(p[1:] for p in header if p[0] == "H"))
    size = w * h * 3 // 2
    index = 0
    while True:
        line = stream.readline()
        if not line:
            return
        params = dict(p.split("=", 1) for p in line.decode().split()[1:] if "=" in p)
        data = stream.read(size)
        yield index, w, h, int(params.get("Xpts", 0)), int(params.get("Xts", 0)), data
        index += 1


async def main():
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue(maxsize=1)

    def reader():
        for frame in read_frames(sys.stdin.buffer):
            # Newest frame only: a frame the encoder has not taken yet is replaced.
            def put(f=frame):
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(f)
            loop.call_soon_threadsafe(put)

    loop.run_in_executor(None, reader)
    async with websockets.serve(handler, "127.0.0.1", PORT, max_size=None):
        print("ready", flush=True)
        last = None
        while True:
            index, w, h, pts, ts, data = await queue.get()
            if not clients or (last is not None and pts - last < 0.9e6 / MAX_FPS):
                continue
            last = pts
            yuv = np.frombuffer(data, np.uint8).reshape(h * 3 // 2, w)
            bgr = cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420)
            ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
            meta = json.dumps({"type": "frame", "frame": index, "pts_us": pts, "captured_at_us": ts, "width": w, "height": h})
            picture = (meta, jpeg.tobytes())
            for c in list(clients):
                c.offer(picture)


asyncio.run(main())
