"""Real WebRTC peers for tests: an aiortc receive-only client, and the testsrc:stamp decoder."""
import asyncio
import json
import time
import urllib.error
import urllib.request

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription


def decode_stamp(gray):
    """Reads rtd's timestamp strip (TimestampStrip in RTDKit) from a 2-D luma array; ms or None."""
    h, w = gray.shape
    cw = w // 64
    sh = max(16, (cw * 2 + 1) & ~1)
    if cw < 4 or h < sh:
        return None
    bits = []
    for i in range(2 + 48 + 8):
        cell = gray[sh // 4: sh * 3 // 4, i * cw + cw // 4: i * cw + cw - cw // 4]
        bits.append(int(cell.mean()) > 128)
    if not bits[0] or bits[1]:
        return None
    ms = 0
    for b in bits[2:50]:
        ms = ms << 1 | b
    crc = 0
    for b in bits[50:58]:
        crc = crc << 1 | b
    c = 0
    for i in range(5, -1, -1):
        c ^= (ms >> (i * 8)) & 0xFF
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return ms if c == crc else None


def post_json(url, body, timeout=10):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class Viewer:
    """An aiortc peer that watches one camera and records every decoded frame's stamp latency."""

    def __init__(self, base, camera="cam0", codec=None, data_channel=True, tamper=None, light=False):
        self.base, self.camera, self.codec, self.data_channel, self.tamper = base, camera, codec, data_channel, tamper
        self.light = light
        self.dc = None
        self.records = []
        self.replies = []
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.frames = 0
        self.latencies_ms = []
        self.session_id = None
        self.offer_at = None
        self.first_frame_at = None
        self.codec_seen = None
        self.sizes = set()
        self.stamped = []
        # Called with each decoded frame instead of reading its stamp, when set.
        self.on_frame = None

    async def start(self):
        self.pc.addTransceiver("video", direction="recvonly")
        if self.data_channel:
            self.dc = self.pc.createDataChannel("rtd")

            @self.dc.on("message")
            def on_message(message):
                m = json.loads(message)
                (self.records if m.get("type") == "detections" else self.replies).append((time.time() * 1000, m))
        done = asyncio.get_running_loop().create_future()

        @self.pc.on("track")
        def on_track(track):
            asyncio.ensure_future(self._consume(track))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp = self.pc.localDescription.sdp
        if self.tamper:
            sdp = self.tamper(sdp)
        body = {"type": "offer", "sdp": sdp, "camera": self.camera}
        if self.codec:
            body["codec"] = self.codec
        self.offer_at = time.monotonic()
        status, answer = await asyncio.get_running_loop().run_in_executor(
            None, post_json, self.base + "/api/webrtc/signal", body)
        if status != 200:
            raise RuntimeError(f"signal failed: {status} {answer}")
        self.session_id = answer["session_id"]
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        if self.light:
            for r in self.pc.getReceivers():
                _LIGHT_QUEUES.add(id(r._RTCRtpReceiver__decoder_queue))
        return answer

    async def _consume(self, track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            now_ms = time.time() * 1000
            if self.first_frame_at is None:
                self.first_frame_at = time.monotonic()
            self.frames += 1
            if self.on_frame:
                self.on_frame(frame)
                continue
            if frame is LIGHT_FRAME:
                continue
            self.sizes.add((frame.width, frame.height))
            gray = frame.to_ndarray(format="gray")
            stamp = decode_stamp(gray)
            self.stamped.append(stamp is not None)
            if stamp is not None:
                self.latencies_ms.append(now_ms - stamp)

    async def wait_frames(self, n, timeout=20):
        deadline = time.monotonic() + timeout
        while self.frames < n and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.frames

    async def bye(self):
        status, _ = await asyncio.get_running_loop().run_in_executor(
            None, post_json, self.base + "/api/webrtc/signal", {"type": "bye", "session_id": self.session_id})
        return status

    async def close(self):
        await self.pc.close()

    async def leave(self, timeout=5):
        """Bye (when it joined) then close, each within `timeout`; a benchmark's viewers leave
        this way whatever state they reached, so errors are not raised."""
        steps = ([self.bye()] if self.session_id else []) + [self.close()]
        for step in steps:
            try:
                await asyncio.wait_for(step, timeout)
            except Exception:
                pass


def release_frames_at_marker():
    """aiortc's video jitter buffer emits a frame only when the next frame's first packet arrives,
    which adds one frame interval to every measurement. This makes it emit at the frame's last
    packet (RTP marker bit), as browsers do, so latency figures are fair to any server."""
    from aiortc import jitterbuffer

    def _remove_frame(self, sequence_number):
        if not self._is_video:
            return original(self, sequence_number)
        packets = []
        for count in range(self.capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None
            if packets and packet.timestamp != packets[0].timestamp:
                # The marker packet was lost: the old rule, the frame ended when the next began.
                frame = jitterbuffer.JitterFrame(data=b"".join(p._data for p in packets), timestamp=packets[0].timestamp)
                self.remove(count)
                return frame
            packets.append(packet)
            if packet.marker:
                frame = jitterbuffer.JitterFrame(data=b"".join(p._data for p in packets), timestamp=packet.timestamp)
                self.remove(count + 1)
                return frame
        return None

    original = jitterbuffer.JitterBuffer._remove_frame
    jitterbuffer.JitterBuffer._remove_frame = _remove_frame


# Receivers whose decoder thread only counts frames (see light_viewers).
_LIGHT_QUEUES = set()
LIGHT_FRAME = object()


def light_viewers():
    """Lets a Viewer(light=True) skip decoding: it still does ICE, DTLS, SRTP, RTCP and reassembles
    every frame, but its decoder thread only counts them. Many such viewers load a server like
    real ones without one Python decoder each saturating this machine's two cores."""
    from aiortc import rtcrtpreceiver
    original = rtcrtpreceiver.decoder_worker

    class Chain:
        def __init__(self, first, rest):
            self.first, self.rest = [first], rest

        def get(self):
            return self.first.pop() if self.first else self.rest.get()

    def worker(loop, input_q, output_q, decode_error):
        task = input_q.get()
        if id(input_q) not in _LIGHT_QUEUES:
            return original(loop, Chain(task, input_q), output_q, decode_error)
        while task is not None:
            asyncio.run_coroutine_threadsafe(output_q.put(LIGHT_FRAME), loop)
            task = input_q.get()
        asyncio.run_coroutine_threadsafe(output_q.put(None), loop)

    rtcrtpreceiver.decoder_worker = worker


async def wait_for(cond, timeout=15):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return cond()
