"""Several cameras on one peer connection (the grid's signaling, `"cameras": [...]`), against a
real peer: aiortc with one recvonly transceiver per camera and one data channel. Each track shows
its own camera, and each camera's records carry the RTP timestamps of the frames of its own track."""
import asyncio
import json
import urllib.request

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from conftest import free_port, stop
from peers import decode_stamp, post_json
from test_viewer import start


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


async def watch(base, cameras, sections=None, frames_each=60):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceivers = [pc.addTransceiver("video", direction="recvonly") for _ in range(sections or len(cameras))]
    dc = pc.createDataChannel("rtd")
    records, replies = [], []
    dc.on("message", lambda m: (records if json.loads(m).get("type") == "detections" else replies).append(json.loads(m)))
    seen = {}  # transceiver index -> list of (pts, stamped)

    async def consume(index, track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            seen.setdefault(index, []).append((frame.pts, decode_stamp(frame.to_ndarray(format="gray")) is not None))

    @pc.on("track")
    def on_track(track):
        index = next(i for i, t in enumerate(transceivers) if t.receiver.track is track)
        asyncio.ensure_future(consume(index, track))

    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, answer = await loop.run_in_executor(None, post_json, base + "/api/webrtc/signal",
                                                {"type": "offer", "sdp": pc.localDescription.sdp, "cameras": cameras})
    if status != 200:
        await pc.close()
        return status, answer, None
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    for _ in range(600):
        if len(seen) == len(cameras) and all(len(v) >= frames_each for v in seen.values()) and \
                all(sum(r["camera"] == c for r in records) >= 30 for c in cameras):
            break
        await asyncio.sleep(0.05)
    result = {"seen": seen, "records": records, "replies": replies, "answer": answer,
              "cameras": get_json(base + "/api/cameras")["cameras"]}
    dc.send(json.dumps({"type": "subscribe", "camera": cameras[0]}))
    for _ in range(100):
        if any(r.get("type") == "error" for r in replies):
            break
        await asyncio.sleep(0.05)
    await loop.run_in_executor(None, post_json, base + "/api/webrtc/signal", {"type": "bye", "session_id": answer["session_id"]})
    await pc.close()
    return status, answer, result


def test_several_cameras_on_one_peer_connection(rtd):
    port = free_port()
    p = start(rtd, port, "--camera", "a=testsrc", "--camera", "b=testsrc:stamp", "--camera", "c=testsrc",
              "--size", "320x240")
    base = f"http://127.0.0.1:{port}"
    try:
        status, answer, r = asyncio.run(watch(base, ["b", "a"]))
        assert status == 200, answer
        assert "a=msid:rtd-b video" in answer["sdp"] and "a=msid:rtd-a video" in answer["sdp"]
        seen = r["seen"]
        assert sorted(seen) == [0, 1] and all(len(v) >= 60 for v in seen.values()), {k: len(v) for k, v in seen.items()}
        # The first transceiver shows b (testsrc:stamp carries the timestamp strip), the second a.
        assert sum(s for _, s in seen[0]) >= 0.9 * len(seen[0]) and not any(s for _, s in seen[1])
        # One data channel, records of both cameras, each stamped on its own stream's clock.
        for index, camera in ((0, "b"), (1, "a")):
            stamps = {rec["rtp_timestamp"] for rec in r["records"] if rec["camera"] == camera and "rtp_timestamp" in rec}
            pts = {p for p, _ in seen[index]}
            other = {p for p, _ in seen[1 - index]}
            assert len(stamps & pts) >= 20, (camera, len(stamps), len(stamps & pts))
            assert len(stamps & pts) > 2 * len(stamps & other), (camera, len(stamps & pts), len(stamps & other))
        # One peer, counted as a viewer of each camera it shows.
        assert {c["name"]: c["viewers"] for c in r["cameras"]} == {"a": 1, "b": 1, "c": 0}
        assert {"type": "error", "error": "this connection shows several cameras; subscribe needs a connection with one"} \
            in r["replies"]

        # Bad lists: an unknown camera, more cameras than video sections.
        status, body, _ = asyncio.run(watch(base, ["a", "nope"]))
        assert status == 404 and "no camera 'nope'" in body["error"], body
        status, body, _ = asyncio.run(watch(base, ["a", "b", "c"], sections=2))
        assert status == 400 and body["error"] == "3 cameras asked for, but the offer has 2 video sections that receive", body
        assert all(c["viewers"] == 0 for c in get_json(base + "/api/cameras")["cameras"])
    finally:
        stop(p)
