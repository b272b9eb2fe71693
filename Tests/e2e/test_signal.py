"""End-to-end tests of `rtd signal`, the receive-only WebRTC client: against `rtd serve`, against an
aiortc WHEP server (a WebRTC stack that is not ours), through a lossy UDP relay, and against
servers that misbehave on purpose."""
import asyncio
import fractions
import http.server
import json
import random
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.request

import pytest
from conftest import ffprobe, frame_params, free_port, run, y4m_frames
from test_serve import start_server

EXIT_PROTOCOL, EXIT_UNREACHABLE, EXIT_HTTP, EXIT_ICE, EXIT_DTLS, EXIT_TIMEOUT = 2, 3, 4, 5, 6, 7


@pytest.fixture(scope="module")
def server(rtd):
    p, base, udp = start_server(rtd, "--camera", "cam0=testsrc:stamp", "--camera", "cam1=testsrc", "--size", "640x480")
    yield base, udp
    p.terminate()
    p.wait(timeout=10)


def stats_of(result):
    """The --stats --json object: the last stderr line that is a JSON object."""
    for line in reversed(result.stderr.decode().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("no stats in stderr: " + result.stderr.decode()[-2000:])


def records_of(result):
    return [json.loads(l) for l in result.stdout.decode().splitlines() if l.strip()]


# MARK: against rtd serve

@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_detections_and_video_arrive(rtd, server, codec):
    base, _ = server
    r = run([rtd, "signal", base, "--camera", "cam0", "--codec", codec, "--frames", "45", "--stats", "--json"], timeout=60)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    stats = stats_of(r)
    assert stats["codec"] == codec
    assert stats["frames_decoded"] >= 45 and stats["decode_errors"] == 0, stats
    assert (stats["width"], stats["height"]) == (640, 480)
    assert stats["connect_ms"] < 3000 and stats["first_frame_ms"] < 5000, stats
    assert stats["latency_ms"]["frames"] >= 40, "the timestamp strip must survive the codec"
    assert 0 <= stats["latency_ms"]["p50"] < 1000, stats
    assert stats["rtt_ms"] < 100 and stats["bitrate_kbps"] > 50, stats
    records = records_of(r)
    assert len(records) >= 20, r.stdout[-500:]
    assert {x["type"] for x in records} == {"detections"}
    assert all(x["camera"] == "cam0" and "rtp_timestamp" in x for x in records)


def test_session_is_closed_with_bye(rtd, server):
    base, _ = server
    before = json.loads(urllib.request.urlopen(base + "/healthz", timeout=5).read())["peers"]
    r = run([rtd, "signal", base, "--frames", "5", "--detections-out", "/dev/null"], timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    time.sleep(0.3)
    assert json.loads(urllib.request.urlopen(base + "/healthz", timeout=5).read())["peers"] == before


def test_frames_out_as_y4m(rtd, server, tmp_path):
    base, _ = server
    out = tmp_path / "frames.y4m"
    r = run([rtd, "signal", base, "--camera", "cam0", "--frames", "30", "--frames-out", str(out),
             "--detections-out", str(tmp_path / "d.jsonl")], timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    header, frames = y4m_frames(out.read_bytes())
    assert "W640 H480" in header and len(frames) >= 30
    pts = [int(frame_params(fh)["Xpts"]) for fh, _ in frames]
    assert pts == sorted(pts) and pts[-1] - pts[0] > 500_000, pts[:5]
    # Xts is the capture time read back from the stamp: earlier than now, by well under a second.
    ts = [int(frame_params(fh)["Xts"]) for fh, _ in frames]
    assert all(0 < time.time() * 1e6 - t < 60e6 for t in ts)
    assert (tmp_path / "d.jsonl").read_text().count("\n") >= 10


@pytest.mark.parametrize("codec,name", [("vp8", "clip.mkv"), ("h264", "clip.mp4"), ("h264", "clip.mkv")])
def test_video_remuxed_to_a_file_passes_ffprobe(rtd, server, tmp_path, codec, name):
    base, _ = server
    out = tmp_path / name
    r = run([rtd, "signal", base, "--camera", "cam0", "--codec", codec, "--frames", "40", "-o", str(out),
             "--detections-out", "/dev/null", "--stats", "--json"], timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    stats = stats_of(r)
    info = ffprobe(out)
    assert info["codec_name"] == codec and (info["width"], info["height"]) == (640, 480), info
    assert int(info["nb_read_frames"]) == stats["frames_in_file"] >= 35, (info, stats)
    # Every frame decodes without a complaint from libavcodec.
    check = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", str(out)])
    assert check.returncode == 0 and not check.stderr.strip(), check.stderr


def test_bad_output_name_is_refused_before_connecting(rtd):
    r = run([rtd, "signal", "http://127.0.0.1:9", "-o", "clip.avi"])
    assert r.returncode != 0 and ".mkv" in r.stderr.decode()


def test_frames_piped_into_rtd_detect(rtd, server):
    base, _ = server
    signal = subprocess.Popen([rtd, "signal", base, "--camera", "cam0", "--frames", "40", "--frames-out", "-",
                               "--detections-out", "/dev/null"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    detect = subprocess.run([rtd, "detect"], stdin=signal.stdout, capture_output=True, timeout=60)
    signal.stdout.close()
    assert signal.wait(timeout=30) == 0, signal.stderr.read().decode()
    assert detect.returncode == 0, detect.stderr.decode()
    records = [json.loads(l) for l in detect.stdout.decode().splitlines()]
    assert len(records) >= 40
    assert records[0]["width"] == 640 and any(r["detections"] for r in records), records[-1]


def test_unknown_camera_is_an_http_error_with_the_servers_text(rtd, server):
    base, _ = server
    r = run([rtd, "signal", base, "--camera", "nope", "--timeout", "5"])
    assert r.returncode == EXIT_HTTP
    err = r.stderr.decode()
    assert "404" in err and "no camera 'nope'" in err, err
    assert err.count("\n") == 1, err


def test_server_going_away_is_reported(rtd):
    p, base, _ = start_server(rtd, "--camera", "cam0=testsrc", "--size", "320x240")
    try:
        client = subprocess.Popen([rtd, "signal", base, "--duration", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert json.loads(client.stdout.readline())["type"] == "detections"
    finally:
        p.terminate()
        p.wait(timeout=10)
    start = time.monotonic()
    client.stdout.read()
    assert client.wait(timeout=20) == EXIT_UNREACHABLE
    assert "ended the session" in client.stderr.read().decode()
    assert time.monotonic() - start < 5


# MARK: misbehaving servers

class Canned(http.server.BaseHTTPRequestHandler):
    """Answers every POST with the status and body the test put on the server."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen.append((self.path, dict(self.headers)))
        status, body, ctype = self.server.reply
        if status is None:
            time.sleep(30)  # never answer
            return
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve_http(handler, **attrs):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    for k, v in attrs.items():
        setattr(httpd, k, v)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.mark.parametrize("status,error,code,words", [
    (401, "missing or wrong token", EXIT_HTTP, ["401", "missing or wrong token", "--token"]),
    (404, "no camera 'x'", EXIT_HTTP, ["404", "no camera 'x'"]),
    (503, "peer limit (64) reached", EXIT_HTTP, ["503", "peer limit"]),
])
def test_http_errors(rtd, status, error, code, words):
    httpd, base = serve_http(Canned, reply=(status, json.dumps({"type": "error", "error": error}), "application/json"), seen=[])
    try:
        r = run([rtd, "signal", base, "--token", "s3cret", "--timeout", "5"])
    finally:
        httpd.shutdown()
    err = r.stderr.decode()
    assert r.returncode == code, err
    for w in words:
        assert w in err, err
    assert httpd.seen[0][0] == "/api/webrtc/signal"
    assert httpd.seen[0][1]["Authorization"] == "Bearer s3cret"


@pytest.mark.parametrize("body,words", [
    (json.dumps({"type": "answer", "sdp": "this is not SDP", "session_id": "1"}), ["answer", "SDP"]),
    (json.dumps({"type": "answer", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "session_id": "1"}), ["answer"]),
    ("<html>oops</html>", ["not a JSON object"]),
])
def test_garbage_answers(rtd, body, words):
    httpd, base = serve_http(Canned, reply=(200, body, "application/json"), seen=[])
    try:
        r = run([rtd, "signal", base, "--timeout", "5"])
    finally:
        httpd.shutdown()
    err = r.stderr.decode()
    assert r.returncode == EXIT_PROTOCOL, err
    for w in words:
        assert w in err, err


def test_unreachable_and_bad_urls(rtd):
    r = run([rtd, "signal", f"http://127.0.0.1:{free_port()}", "--timeout", "5"])
    assert r.returncode == EXIT_UNREACHABLE and "cannot connect" in r.stderr.decode(), r.stderr
    r = run([rtd, "signal", "http://no-such-host.invalid:8080", "--timeout", "5"])
    assert r.returncode == EXIT_UNREACHABLE and "cannot resolve" in r.stderr.decode(), r.stderr
    r = run([rtd, "signal", "ftp://127.0.0.1:8443"])
    assert r.returncode == 1 and "only http:// and https://" in r.stderr.decode(), r.stderr


def test_silent_server_times_out(rtd):
    httpd, base = serve_http(Canned, reply=(None, "", ""), seen=[])
    try:
        start = time.monotonic()
        r = run([rtd, "signal", base, "--timeout", "1"])
        took = time.monotonic() - start
    finally:
        httpd.shutdown()
    assert r.returncode == EXIT_TIMEOUT and "timed out" in r.stderr.decode(), r.stderr
    assert took < 5


class Rewriting(http.server.BaseHTTPRequestHandler):
    """Forwards signaling to rtd serve and lets the test rewrite the answer SDP (as a broken or
    hostile middlebox would), and remembers the offer."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if body.get("type") == "offer":
            self.server.offers.append(body["sdp"])
        req = urllib.request.Request(self.server.target + self.path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, reply = r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            status, reply = e.code, json.loads(e.read())
        if "sdp" in reply:
            reply["sdp"] = self.server.rewrite(reply["sdp"])
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_dtls_fingerprint_mismatch(rtd, server):
    base, _ = server

    def wrong_fingerprint(sdp):
        return re.sub(r"a=fingerprint:sha-256 [0-9A-F:]+", "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), sdp)

    httpd, proxy = serve_http(Rewriting, target=base, rewrite=wrong_fingerprint, offers=[])
    try:
        r = run([rtd, "signal", proxy, "--timeout", "10"])
    finally:
        httpd.shutdown()
    err = r.stderr.decode()
    assert r.returncode == EXIT_DTLS, err
    assert "DTLS" in err and "fingerprint" in err.lower(), err


def test_ice_failure_when_no_candidate_answers(rtd, server):
    base, udp = server
    dead = free_port()

    def dead_candidates(sdp):
        return re.sub(rf"(a=candidate:\S+ 1 udp \d+ \S+) {udp} typ host", rf"\1 {dead} typ host", sdp)

    httpd, proxy = serve_http(Rewriting, target=base, rewrite=dead_candidates, offers=[])
    try:
        r = run([rtd, "signal", proxy, "--timeout", "15"])
    finally:
        httpd.shutdown()
    err = r.stderr.decode()
    assert r.returncode == EXIT_ICE, err
    assert "ICE failed" in err and str(dead) in err, err


def test_stun_server_gives_a_server_reflexive_candidate(rtd, server):
    """A STUN server in the test (aioice's message codec) answers with a made-up public address:
    the offer then carries it as typ srflx, and the session still works over host candidates."""
    from aioice import stun
    base, _ = server
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def answer():
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(2048)
            except socket.timeout:
                continue
            request = stun.parse_message(data)
            response = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.RESPONSE,
                                    transaction_id=request.transaction_id)
            response.attributes["XOR-MAPPED-ADDRESS"] = ("203.0.113.9", 40404)
            sock.sendto(bytes(response), addr)

    threading.Thread(target=answer, daemon=True).start()
    httpd, proxy = serve_http(Rewriting, target=base, rewrite=lambda s: s, offers=[])
    try:
        r = run([rtd, "signal", proxy, "--stun", f"stun:127.0.0.1:{sock.getsockname()[1]}", "--frames", "5",
                 "--detections-out", "/dev/null"], timeout=60)
    finally:
        httpd.shutdown()
        stop.set()
    assert r.returncode == 0, r.stderr.decode()
    assert re.search(r"a=candidate:\S+ 1 udp \d+ 203\.0\.113\.9 40404 typ srflx raddr \S+ rport \d+", httpd.offers[0]), httpd.offers[0]


# MARK: 5% packet loss

class LossyRelay:
    """A UDP relay that drops a fraction of datagrams in each direction (seeded): the client talks
    to `port`, the relay talks to the server from its own socket, as a lossy NAT would."""

    def __init__(self, target_port, loss, seed=5, blackout=None):
        self.rng = random.Random(seed)
        self.loss = loss
        # Per direction (to the server, to the client): (start, end) seconds after the first media
        # datagram from the server during which everything is dropped.
        self.blackout = blackout or [None, None]
        self.media_since = None
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.target = ("127.0.0.1", target_port)
        self.client = None
        self.dropped = [0, 0]
        self.passed = [0, 0]
        self.stop = threading.Event()
        for sock in (self.front, self.back):
            sock.settimeout(0.2)
        threading.Thread(target=self.pump, args=(self.front, 0), daemon=True).start()
        threading.Thread(target=self.pump, args=(self.back, 1), daemon=True).start()

    def pump(self, sock, direction):
        while not self.stop.is_set():
            try:
                data, addr = sock.recvfrom(65536)
            except socket.timeout:
                continue
            if direction == 0:
                self.client = addr
            now = time.monotonic()
            if direction == 1 and self.media_since is None and data[:1] >= b"\x80":
                self.media_since = now
            window = self.blackout[direction]
            dark = window and self.media_since and window[0] <= now - self.media_since < window[1]
            if dark or self.rng.random() < self.loss:
                self.dropped[direction] += 1
                continue
            self.passed[direction] += 1
            if direction == 0:
                self.back.sendto(data, self.target)
            elif self.client:
                self.front.sendto(data, self.client)


def test_video_keeps_decoding_through_five_percent_loss(rtd, server, tmp_path):
    """5% loss both ways, which NACK recovers, plus an outage: nothing reaches the client for
    0.8 s and nothing reaches the server for 1.6 s, so the NACKs for the outage go unanswered, the
    client gives the hole up, asks for a keyframe (PLI, repeated until one gets through) and
    decodes again from it."""
    base, udp = server
    relay = LossyRelay(udp, 0.05, blackout=[(3.0, 4.6), (3.0, 3.8)])

    def via_relay(sdp):
        # Only the relay is offered to the client: every datagram crosses the lossy path.
        lines = [l for l in sdp.split("\r\n") if not l.startswith("a=candidate:")]
        at = lines.index(next(l for l in lines if l.startswith("a=end-of-candidates")))
        lines.insert(at, f"a=candidate:1 1 udp 2130706431 127.0.0.1 {relay.port} typ host")
        return "\r\n".join(lines)

    httpd, proxy = serve_http(Rewriting, target=base, rewrite=via_relay, offers=[])
    out = tmp_path / "lossy.y4m"
    try:
        r = run([rtd, "signal", proxy, "--camera", "cam0", "--duration", "8", "--frames-out", str(out),
                 "--detections-out", "/dev/null", "--stats", "--json", "--timeout", "15"], timeout=90)
    finally:
        httpd.shutdown()
        relay.stop.set()
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    stats = stats_of(r)
    assert relay.dropped[1] > 20, relay.dropped
    assert stats["nacks_sent"] > 0 and stats["packets_recovered"] > 0, stats
    assert stats["packets_lost"] > 0 and stats["plis_sent"] >= 1, stats
    _, frames = y4m_frames(out.read_bytes())
    pts = [int(frame_params(fh)["Xpts"]) / 1e6 for fh, _ in frames]
    span = pts[-1] - pts[0]
    assert span > 6, pts[-5:]
    # Decoding goes on: every second but the two of the outage has decoded frames, the last two
    # (long after it) included.
    per_second = [sum(1 for t in pts if s <= t - pts[0] < s + 1) for s in range(int(span))]
    print("loss run:", stats, "relay dropped", relay.dropped, "passed", relay.passed, "per second", per_second)
    assert sum(1 for n in per_second if n >= 5) >= len(per_second) - 2, (per_second, stats)
    assert min(per_second[-2:]) >= 5, (per_second, stats)


# MARK: a WebRTC stack that is not ours: aiortc as a WHEP server

class WHEPServer:
    """POST /whep/<camera> (application/sdp) → 201 + Location + answer, DELETE → 200; the answer
    comes from an aiortc peer sending a synthetic video track (a moving bar)."""

    def __init__(self, codec):
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
        from aiortc.rtcrtpsender import RTCRtpSender
        import av
        import numpy as np

        class Bars(VideoStreamTrack):
            def __init__(self):
                super().__init__()
                self.n = 0

            async def recv(self):
                pts, time_base = await self.next_timestamp()
                img = np.full((240, 320, 3), 40, np.uint8)
                x = (self.n * 4) % 320
                img[:, x:x + 16] = 230
                self.n += 1
                frame = av.VideoFrame.from_ndarray(img, format="bgr24")
                frame.pts, frame.time_base = pts, time_base
                return frame

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.pcs = {}
        self.deleted = []
        self.auth = []
        outer = self

        async def answer(offer_sdp):
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            transceiver = pc.addTransceiver(Bars(), direction="sendonly")
            prefs = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType.lower() == f"video/{codec}"]
            transceiver.setCodecPreferences(prefs)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            key = str(len(outer.pcs) + 1)
            outer.pcs[key] = pc
            return key, pc.localDescription.sdp

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                offer = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                outer.auth.append(self.headers.get("Authorization"))
                if self.headers.get("Content-Type") != "application/sdp" or not self.path.startswith("/whep/"):
                    self.send_response(415)
                    self.end_headers()
                    return
                key, sdp = asyncio.run_coroutine_threadsafe(answer(offer), outer.loop).result(20)
                data = sdp.encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/sdp")
                self.send_header("Location", f"{self.path}/{key}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_DELETE(self):
                key = self.path.rsplit("/", 1)[-1]
                pc = outer.pcs.pop(key, None)
                if pc:
                    asyncio.run_coroutine_threadsafe(pc.close(), outer.loop).result(10)
                outer.deleted.append(self.path)
                self.send_response(200 if pc else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd, self.base = serve_http(Handler)

    def close(self):
        self.httpd.shutdown()
        for pc in list(self.pcs.values()):
            asyncio.run_coroutine_threadsafe(pc.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_receives_and_decodes_an_aiortc_whep_server(rtd, tmp_path, codec):
    whep = WHEPServer(codec)
    out = tmp_path / "aiortc.y4m"
    try:
        r = run([rtd, "signal", whep.base, "--whep", "--camera", "bars", "--token", "t0k", "--frames", "30",
                 "--frames-out", str(out), "--stats", "--json", "--timeout", "20"], timeout=90)
        time.sleep(0.3)
    finally:
        whep.close()
    assert r.returncode == 0, r.stderr.decode()[-3000:]
    stats = stats_of(r)
    assert stats["codec"] == codec and stats["frames_decoded"] >= 30 and stats["decode_errors"] == 0, stats
    header, frames = y4m_frames(out.read_bytes())
    assert "W320 H240" in header
    # The bar moves: successive frames differ, and each is mostly the dark background.
    luma = [f[:320 * 240] for _, f in frames]
    assert sum(1 for a, b in zip(luma, luma[1:]) if a != b) >= len(luma) // 2
    assert whep.auth[0] == "Bearer t0k"
    assert whep.deleted == ["/whep/bars/1"], "the session ends with DELETE on the Location"


# MARK: https:// against rtd serve --tls-cert

def make_cert(directory, name, san):
    """A self-signed certificate (and its key) valid for the subjectAltName `san`."""
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)], check=True)
    return cert, key


def start_https_server(rtd, cert, key):
    port = free_port()
    p = subprocess.Popen([rtd, "serve", "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=testsrc",
                          "--size", "320x240", "--tls-cert", str(cert), "--tls-key", str(key)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "rtd serve: https://" not in line:
        p.kill()
        raise RuntimeError("server did not start: " + line + p.stderr.read())
    return p, port


def stop_server(p):
    p.terminate()
    p.wait(timeout=10)


@pytest.fixture(scope="module")
def https_server(rtd, tmp_path_factory):
    """rtd serve over HTTPS with a certificate for IP:127.0.0.1 and DNS:localhost; yields (port, cert, key)."""
    cert, key = make_cert(tmp_path_factory.mktemp("tls"), "rtd-test", "IP:127.0.0.1,DNS:localhost")
    p, port = start_https_server(rtd, cert, key)
    yield port, cert, key
    stop_server(p)


def test_https_with_ca_file(rtd, https_server):
    port, cert, _ = https_server
    r = run([rtd, "signal", f"https://127.0.0.1:{port}", "--camera", "cam0", "--ca-file", str(cert), "--frames", "30",
             "--stats", "--json"], timeout=60)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    stats = stats_of(r)
    assert stats["frames_decoded"] >= 30 and (stats["width"], stats["height"]) == (320, 240), stats
    records = records_of(r)
    assert len(records) >= 10 and all(x["type"] == "detections" and x["camera"] == "cam0" for x in records), records[-3:]


@pytest.mark.parametrize("dialect", [[], ["--whep"]], ids=["rtd", "whep"])
def test_https_by_host_name(rtd, https_server, dialect):
    """By host name (SNI and a DNS name check), with rtd's JSON signaling and with WHEP."""
    port, cert, _ = https_server
    r = run([rtd, "signal", f"https://localhost:{port}", *dialect, "--camera", "cam0", "--ca-file", str(cert),
             "--frames", "15", "--detections-out", "/dev/null", "--stats", "--json"], timeout=60)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert stats_of(r)["frames_decoded"] >= 15


def test_https_sends_sni_for_names_only(rtd, https_server):
    """Python's TLS server (not NIO) records the SNI and the request: a host name is sent as SNI, an
    IP address is not (RFC 6066); the request itself arrives intact over TLS."""
    _, cert, key = https_server
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.reply, httpd.seen = (404, json.dumps({"type": "error", "error": "no camera 'x'"}), "application/json"), []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    try:
        by_name = run([rtd, "signal", f"https://localhost:{port}/base", "--ca-file", str(cert), "--token", "t", "--timeout", "5"])
        by_ip = run([rtd, "signal", f"https://127.0.0.1:{port}", "--ca-file", str(cert), "--timeout", "5"])
    finally:
        httpd.shutdown()
    for r in (by_name, by_ip):
        assert r.returncode == EXIT_HTTP and "no camera 'x'" in r.stderr.decode(), r.stderr
    assert names == ["localhost", None], names
    (path, headers), _ = httpd.seen
    assert path == "/base/api/webrtc/signal" and headers["Host"] == f"localhost:{port}", httpd.seen
    assert headers["Authorization"] == "Bearer t"


def test_https_untrusted_certificate(rtd, https_server):
    port, _, _ = https_server
    r = run([rtd, "signal", f"https://127.0.0.1:{port}", "--timeout", "5"])
    err = r.stderr.decode()
    assert r.returncode == EXIT_DTLS, err
    assert "certificate does not verify" in err and "self-signed certificate" in err and "--ca-file" in err, err
    assert err.count("\n") == 1, err


def test_https_insecure(rtd, https_server):
    port, _, _ = https_server
    r = run([rtd, "signal", f"https://127.0.0.1:{port}", "--insecure", "--frames", "10", "--detections-out", "/dev/null"],
            timeout=60)
    err = r.stderr.decode()
    assert r.returncode == 0, err[-2000:]
    assert err.splitlines()[0] == "rtd signal: warning: --insecure: the server's certificate is not checked", err


def test_https_certificate_for_another_host(rtd, tmp_path):
    cert, key = make_cert(tmp_path, "other", "DNS:other.example")
    p, port = start_https_server(rtd, cert, key)
    try:
        by_ip = run([rtd, "signal", f"https://127.0.0.1:{port}", "--ca-file", str(cert), "--timeout", "5"])
        by_name = run([rtd, "signal", f"https://localhost:{port}", "--ca-file", str(cert), "--timeout", "5"])
    finally:
        stop_server(p)
    for r, why, host in [(by_ip, "IP address mismatch", "127.0.0.1"), (by_name, "Hostname mismatch", "localhost")]:
        err = r.stderr.decode()
        assert r.returncode == EXIT_DTLS, err
        assert why.lower() in err.lower() and f"not for {host}" in err, err


def test_https_to_a_plain_http_server(rtd, server):
    # rtd serve without --tls-cert answers a TLS hello (not HTTP) with a 400 and hangs up, and so
    # does Python's http.server: the client fails at once, saying why.
    base, _ = server
    httpd, plain = serve_http(Canned, reply=(200, "{}", "application/json"), seen=[])
    try:
        for url in (base, plain):
            r = run([rtd, "signal", url.replace("http://", "https://"), "--timeout", "5"])
            err = r.stderr.decode()
            assert r.returncode == EXIT_DTLS, err
            assert "TLS handshake failed: the server does not speak TLS (a plain http:// server?)" in err, err
            assert err.count("\n") == 1, err
    finally:
        httpd.shutdown()


def test_tls_options_are_checked(rtd, tmp_path):
    r = run([rtd, "signal", "https://127.0.0.1:9", "--ca-file", str(tmp_path / "none.pem")])
    assert r.returncode == 1 and "none.pem" in r.stderr.decode(), r.stderr
    r = run([rtd, "signal", "https://127.0.0.1:9", "--ca-file", "c.pem", "--insecure"])
    assert r.returncode != 0 and "cannot be used together" in r.stderr.decode(), r.stderr
    r = run([rtd, "signal", "http://127.0.0.1:9", "--insecure"])
    assert r.returncode != 0 and "https:// URLs only" in r.stderr.decode(), r.stderr
