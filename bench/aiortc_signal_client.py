#!/usr/bin/env python3
"""The reference client for bench/signal_client.py: an aiortc peer doing what `rtd signal` does (recvonly
video + a data channel, rtd's JSON signaling), decoding every frame (aiortc decodes in its
receiver), and printing one JSON line: time from start to first decoded frame and frames decoded.
Usage: aiortc_signal_client.py URL CAMERA CODEC (--frames N | --seconds S)"""
import argparse
import asyncio
import json
import time

START = time.monotonic()

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
import urllib.request  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("url")
ap.add_argument("camera")
ap.add_argument("codec")
ap.add_argument("--frames", type=int)
ap.add_argument("--seconds", type=float)
args = ap.parse_args()


def post(body):
    req = urllib.request.Request(args.url + "/api/webrtc/signal", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


async def main():
    imported = time.monotonic()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    pc.createDataChannel("rtd")
    first = asyncio.get_running_loop().create_future()
    state = {"frames": 0, "first_at": None}

    async def consume(track):
        while True:
            try:
                await track.recv()
            except Exception:
                return
            state["frames"] += 1
            if state["first_at"] is None:
                state["first_at"] = time.monotonic()
                first.set_result(None)

    pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    answer = await loop.run_in_executor(None, post, {"type": "offer", "sdp": pc.localDescription.sdp,
                                                     "camera": args.camera, "codec": args.codec})
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    await asyncio.wait_for(first, 30)
    if args.frames:
        while state["frames"] < args.frames:
            await asyncio.sleep(0.005)
    else:
        await asyncio.sleep(args.seconds)
    frames, end = state["frames"], time.monotonic()
    await loop.run_in_executor(None, post, {"type": "bye", "session_id": answer["session_id"]})
    await pc.close()
    print(json.dumps({"first_frame_ms": (state["first_at"] - imported) * 1000, "frames": frames,
                      "seconds": end - state["first_at"]}))


asyncio.run(main())
