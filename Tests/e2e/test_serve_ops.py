"""rtd serve as a server to operate: config file, token, CORS, HTTPS, limits, WHEP with an aiortc
client, Prometheus metrics, burn-in annotation and graceful shutdown."""
import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import websockets
from websockets.exceptions import InvalidStatus
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from conftest import ROOT, free_port, run
from peers import Viewer


def start(rtd, *args, env=None, scheme="http"):
    port = free_port()
    p = subprocess.Popen([rtd, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline()
    if f"rtd serve: {scheme}://" not in line:
        p.kill()
        raise RuntimeError("server did not start: " + line + p.stderr.read())
    return p, f"{scheme}://127.0.0.1:{port}", line


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        raise


def request(url, method="GET", body=None, headers=None, context=None):
    """(status, headers, body bytes) without raising on HTTP errors."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def cameras(base, token=None):
    status, _, body = request(base + "/api/cameras", headers={"Authorization": f"Bearer {token}"} if token else {})
    assert status == 200, body
    return {c["name"]: c for c in json.loads(body)["cameras"]}


# ---------------------------------------------------------------------------------------------
# Config file

def test_a_config_file_sets_cameras_server_and_token(rtd, tmp):
    cfg = tmp / "rtd.yaml"
    port = free_port()
    cfg.write_text(f"""
token: t0ken
server:
  port: {port}
  max_peers_per_camera: 3
  ice_servers:
    - urls: stun:stun.example.org:3478
cameras:
  door:
    source: testsrc
    size: 320x240
    fps: 15
    detector: none
  yard: {{source: "testsrc:stamp", detector: motion, codec: vp8, annotate: true}}
""")
    p = subprocess.Popen([rtd, "serve", "--config", str(cfg), "--host", "127.0.0.1"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert f"http://127.0.0.1:{port}/?token=t0ken" in line, line
        base = f"http://127.0.0.1:{port}"
        assert request(base + "/api/cameras")[0] == 401
        cams = cameras(base, "t0ken")
        assert list(cams) == ["door", "yard"]
        assert (cams["door"]["width"], cams["door"]["height"], cams["door"]["fps"]) == (320, 240, 15)
        assert cams["door"]["detector"] == "none" and cams["yard"]["detector"] == "motion"
        assert cams["yard"]["codec"] == "vp8" and cams["yard"]["annotate"] is True
        status, headers, _ = request(base + "/whep/door", "POST", b"v=0\r\n", {"Authorization": "Bearer t0ken",
                                                                             "Content-Type": "application/sdp"})
        assert status == 400  # bad SDP, but authorized and routed
    finally:
        assert stop(p) == 0


def test_flags_override_the_config_file(rtd, tmp):
    cfg = tmp / "rtd.yaml"
    cfg.write_text("server: {webrtc: false, ws_max_fps: 5}\n"
                   "cameras:\n  cam0: {source: testsrc, size: 320x240, detector: none}\n  cam1: testsrc\n")
    p, base, _ = start(rtd, "--config", str(cfg), "--size", "640x480", "--camera", "cam1=testsrc:stamp", "--camera", "cam2=testsrc",
                       "--ws-max-fps", "7")
    try:
        cams = cameras(base)
        assert list(cams) == ["cam0", "cam1", "cam2"]
        assert all((c["width"], c["height"]) == (640, 480) for c in cams.values())
        assert cams["cam0"]["detector"] == "none"  # kept from the file
        assert cams["cam1"]["source"] == "testsrc:stamp"
        status, _, body = request(base + "/api/config")
        cfg_json = json.loads(body)
        assert status == 200 and cfg_json["webrtc"] is False and cfg_json["ws_max_fps"] == 7, cfg_json
        status, _, _ = request(base + "/api/webrtc/signal", "POST", b'{"type":"offer","sdp":"v=0"}', {"Content-Type": "application/json"})
        assert status == 503  # webrtc: false in the file
    finally:
        stop(p)


@pytest.mark.parametrize("text,expect", [
    ("server:\n  port: eighty\n", "rtd.yaml:2:9: server.port: expected a whole number"),
    ("cameras:\n  cam0:\n    source: testsrc\n    fsp: 30\n", "rtd.yaml:4:5: cameras.cam0.fsp: unknown field"),
    ("cameras:\n  cam0: {source: testsrc, detector: sift}\n", "cameras.cam0.detector: unknown detector 'sift'"),
    ("cameras:\n  cam0: {source: testsrc\n", "rtd.yaml:3:1: YAML syntax"),
    ("cameras:\n  cam0: {source: testsrc, detector: \"yolo:/no/model.onnx\"}\n", "/no/model.onnx"),
])
def test_a_bad_config_file_names_the_line_and_field(rtd, tmp, text, expect):
    cfg = tmp / "rtd.yaml"
    cfg.write_text(text)
    r = run([rtd, "serve", "--config", str(cfg), "--port", "0"], timeout=30)
    err = r.stderr.decode()
    assert r.returncode == 1 and expect in err and len(err.strip().splitlines()) == 1, err


def test_a_missing_config_file_is_one_line(rtd, tmp):
    r = run([rtd, "serve", "--config", str(tmp / "nope.yaml")], timeout=30)
    assert r.returncode == 1 and b"nope.yaml: no such file" in r.stderr, r.stderr


# ---------------------------------------------------------------------------------------------
# Token, CORS, HTTPS, limits

ROUTES = [("GET", "/"), ("GET", "/api/cameras"), ("GET", "/healthz"), ("GET", "/metrics"),
          ("POST", "/api/webrtc/signal"), ("POST", "/whep/cam0"), ("PATCH", "/whep/cam0/x"), ("DELETE", "/whep/cam0/x"),
          ("GET", "/api/ws")]


def test_the_token_is_enforced_on_every_route(rtd):
    p, base, line = start(rtd, "--token", "s3cret", "--detector", "none")
    try:
        assert "?token=s3cret" in line
        for method, path in ROUTES:
            status, headers, body = request(base + path, method, b"{}" if method != "GET" else None)
            assert status == 401, (method, path, status)
            assert headers["WWW-Authenticate"].startswith("Bearer")
            assert "token" in json.loads(body)["error"]
            status, _, _ = request(base + path, method, b"{}" if method != "GET" else None, {"Authorization": "Bearer wrong"})
            assert status == 401, (method, path)
            status, _, _ = request(base + path, method, b"{}" if method != "GET" else None, {"Authorization": "Bearer s3cret"})
            assert status != 401, (method, path)
            status, _, _ = request(base + path + "?token=s3cret", method, b"{}" if method != "GET" else None)
            assert status != 401, (method, path)
        assert ws_with_token(base.replace("http", "ws"), "s3cret")["type"] == "hello"
    finally:
        stop(p)


def ws_with_token(ws_base, token, ssl_context=None):
    """The WebSocket upgrade is refused like any route without the right token (401, the same JSON
    error and WWW-Authenticate), and works with ?token=: the first message of the upgraded socket."""
    ws = ws_base + "/api/ws?camera=cam0"

    async def go():
        for url in (ws, ws + "&token=wrong"):
            with pytest.raises(InvalidStatus) as refused:
                async with websockets.connect(url, ssl=ssl_context):
                    pass
            response = refused.value.response
            assert response.status_code == 401, (url, response.status_code)
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="rtd"'
            assert "token" in json.loads(response.body)["error"]
        with pytest.raises(InvalidStatus) as refused:  # any refusal is the router's answer, not a bare 400
            async with websockets.connect(ws_base + f"/api/nope?token={token}", ssl=ssl_context):
                pass
        assert refused.value.response.status_code == 404
        async with websockets.connect(ws + f"&token={token}", ssl=ssl_context) as conn:
            return json.loads(await asyncio.wait_for(conn.recv(), 10))

    return asyncio.run(go())


def test_cors_is_off_unless_an_origin_is_allowed(rtd):
    p, base, _ = start(rtd, "--detector", "none")
    try:
        _, headers, _ = request(base + "/api/cameras", headers={"Origin": "https://app.example"})
        assert headers["Access-Control-Allow-Origin"] is None
    finally:
        stop(p)
    p, base, _ = start(rtd, "--detector", "none", "--allow-origin", "https://app.example")
    try:
        _, headers, _ = request(base + "/api/cameras", headers={"Origin": "https://app.example"})
        assert headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert "Location" in headers["Access-Control-Expose-Headers"]  # WHEP clients read it
        _, headers, _ = request(base + "/api/cameras", headers={"Origin": "https://evil.example"})
        assert headers["Access-Control-Allow-Origin"] is None
        status, headers, _ = request(base + "/whep/cam0", "OPTIONS", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert status == 204
        assert "POST" in headers["Access-Control-Allow-Methods"] and headers["Accept-Post"] == "application/sdp"
    finally:
        stop(p)


def test_https(rtd, tmp):
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)], check=True)
    p, base, _ = start(rtd, "--detector", "none", "--tls-cert", str(cert), "--tls-key", str(key), "--token", "t0k",
                       scheme="https")
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False
        status, _, body = request(base + "/healthz", headers={"Authorization": "Bearer t0k"}, context=ctx)
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert ws_with_token(base.replace("https", "wss"), "t0k", ctx)["type"] == "hello"
        with pytest.raises(Exception):  # plain HTTP on the TLS port is not served
            urllib.request.urlopen(base.replace("https", "http") + "/healthz", timeout=3).read()
    finally:
        stop(p)
    r = run([rtd, "serve", "--tls-cert", str(tmp / "none.pem"), "--tls-key", str(key), "--port", "0"], timeout=30)
    assert r.returncode == 1 and b"none.pem" in r.stderr, r.stderr


def test_limits_peers_offers_bodies_and_paths(rtd):
    p, base, _ = start(rtd, "--detector", "none", "--max-peers-per-camera", "1", "--signal-rate", "2",
                       "--camera", "a=testsrc", "--camera", "b=testsrc")

    async def go():
        first = Viewer(base, camera="a", data_channel=False)
        await first.start()
        with pytest.raises(RuntimeError, match="503"):
            await Viewer(base, camera="a", data_channel=False).start()
        await first.close()

    try:
        asyncio.run(go())
        # The bucket held 4 offers (2/s, bursts of 4); two were used above.
        statuses = [request(base + "/api/webrtc/signal", "POST", {"type": "offer", "sdp": "v=0", "camera": "b"})[0]
                    for _ in range(6)]
        assert 429 in statuses and statuses.index(429) <= 3, statuses
        body = json.loads(request(base + "/api/webrtc/signal", "POST", {"type": "offer", "sdp": "x", "camera": "b"})[2])
        assert "too many offers" in body["error"]
        status, _, _ = request(base + "/api/webrtc/signal", "POST", b"{" + b" " * (300 * 1024) + b"}")
        assert status == 413
        for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fetc%2fpasswd", "//etc/passwd"]:
            status, _, body = request(base + path)
            assert status == 404 and b"root:" not in body, (path, status)
        assert request(base + "/healthz")[0] == 200
        # Bytes that are not HTTP (garbage, a TLS hello) get a 400 and a hang-up, not a silent open connection.
        host, port = base.split("//")[1].split(":")
        for junk in [b"GARBAGE\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(40)]:
            with socket.create_connection((host, int(port)), timeout=5) as s:
                s.sendall(junk)
                reply = b""
                while chunk := s.recv(4096):
                    reply += chunk
            assert reply.startswith(b"HTTP/1.1 400 "), reply
    finally:
        stop(p)
    # A client's junk is not a server error: nothing at error level in the log.
    assert " error " not in p.stderr.read(), "junk connections logged as errors"


# ---------------------------------------------------------------------------------------------
# WHEP with a client that is not ours (aiortc)

class WHEPClient:
    """WHEP as the draft describes it: POST an SDP offer, get 201 + Location + answer; DELETE ends it."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.frames = 0
        self.location = None

    async def start(self):
        self.pc.addTransceiver("video", direction="recvonly")

        @self.pc.on("track")
        def on_track(track):
            async def consume():
                while True:
                    try:
                        await track.recv()
                    except Exception:
                        return
                    self.frames += 1
            asyncio.ensure_future(consume())

        await self.pc.setLocalDescription(await self.pc.createOffer())
        loop = asyncio.get_running_loop()
        status, headers, body = await loop.run_in_executor(None, lambda: request(
            self.endpoint, "POST", self.pc.localDescription.sdp.encode(), {"Content-Type": "application/sdp"}))
        assert status == 201, (status, body)
        assert headers["Content-Type"] == "application/sdp"
        self.location = headers["Location"]
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=body.decode(), type="answer"))
        return headers


def test_whep_with_an_aiortc_client(rtd):
    p, base, _ = start(rtd, "--detector", "none", "--ice-server", "stun:stun.example.org:3478")

    async def go():
        c = WHEPClient(base + "/whep/cam0")
        headers = await c.start()
        assert c.location.startswith("/whep/cam0/")
        assert '<stun:stun.example.org:3478>; rel="ice-server"' in headers.get_all("Link")
        deadline = time.monotonic() + 15
        while c.frames < 30 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert c.frames >= 30
        loop = asyncio.get_running_loop()
        frag = b"a=ice-ufrag:abcd\r\na=ice-pwd:efghijklmnopqrstuvwxyz12\r\na=mid:0\r\na=candidate:1 1 UDP 1 127.0.0.1 9 typ host\r\n"
        status, _, _ = await loop.run_in_executor(None, lambda: request(
            base + c.location, "PATCH", frag, {"Content-Type": "application/trickle-ice-sdpfrag"}))
        assert status == 204
        status, _, _ = await loop.run_in_executor(None, lambda: request(
            base + c.location, "PATCH", frag, {"Content-Type": "text/plain"}))
        assert status == 415
        peers = json.loads(request(base + "/healthz")[2])["peers"]
        status, _, _ = await loop.run_in_executor(None, lambda: request(base + c.location, "DELETE"))
        assert status == 200
        assert json.loads(request(base + "/healthz")[2])["peers"] == peers - 1
        assert request(base + c.location, "DELETE")[0] == 404
        await c.pc.close()

    try:
        asyncio.run(go())
        status, headers, _ = request(base + "/whep/cam0", "OPTIONS")
        assert status == 204 and headers["Accept-Post"] == "application/sdp"
        assert request(base + "/whep/cam0", "POST", b"v=0", {"Content-Type": "application/json"})[0] == 415
        status, _, body = request(base + "/whep/nope", "POST", b"v=0\r\n", {"Content-Type": "application/sdp"})
        assert status == 404 and b"no camera 'nope'" in body
        status, _, body = request(base + "/whep/cam0", "POST", b"garbage", {"Content-Type": "application/sdp"})
        assert status == 400 and b"SDP" in body
    finally:
        stop(p)


# ---------------------------------------------------------------------------------------------
# Metrics, structured logs, graceful shutdown

def metric(text, name, **labels):
    total = None
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, value = line.rsplit(" ", 1)
        if series.split("{")[0] != name:
            continue
        got = series[len(name) + 1:-1] if "{" in series else ""
        if all(f'{k}="{v}"' in got for k, v in labels.items()):
            total = (total or 0) + float(value)
    return total


def test_metrics_logs_and_graceful_shutdown(rtd):
    p, base, _ = start(rtd, "--log-level", "info", "--log-format", "json")

    async def go():
        v = Viewer(base, codec="h264")
        await v.start()
        assert await v.wait_frames(45) >= 45
        await asyncio.sleep(1.2)  # peer counters are added to the metrics once a second
        text = request(base + "/metrics")[2].decode()
        # Shut down with the viewer connected: it must hear the close, not time out.
        closed_at = []

        @v.pc.on("connectionstatechange")
        def on_state():
            if v.pc.connectionState in ("closed", "failed"):
                closed_at.append(time.monotonic())
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        code = await asyncio.get_running_loop().run_in_executor(None, lambda: p.wait(timeout=10))
        exit_s = time.monotonic() - t0
        deadline = time.monotonic() + 5
        while not closed_at and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await v.close()
        return text, code, exit_s, (closed_at[0] - t0) if closed_at else None

    text, code, exit_s, closed_after = asyncio.run(go())
    assert metric(text, "rtd_packets_sent_total", camera="cam0") > 45
    assert metric(text, "rtd_bytes_sent_total", camera="cam0") > 10_000
    assert metric(text, "rtd_keyframes_total", camera="cam0", codec="h264") >= 1
    assert metric(text, "rtd_frames_encoded_total", camera="cam0", codec="h264") >= 45
    assert metric(text, "rtd_encode_seconds_count", camera="cam0", codec="h264") >= 45
    assert metric(text, "rtd_detection_seconds_count", camera="cam0") >= 10
    assert metric(text, "rtd_peers", camera="cam0") == 1
    # One idle-ish camera and one viewer: no loop saturated, and each reports its load.
    assert metric(text, "rtd_loop_saturated") == 0
    assert metric(text, "rtd_loop_busy_ratio") is not None and metric(text, "rtd_udp_receive_drops_total") == 0
    for stage in ("capture", "detect", "encode"):
        assert metric(text, "rtd_frames_dropped_total", camera="cam0", stage=stage) is not None, stage
    assert code == 0 and exit_s < 5, (code, exit_s)
    assert closed_after is not None and closed_after < 3, "the viewer must be told (DTLS close_notify), not time out"
    logs = [json.loads(line) for line in p.stderr.read().splitlines() if line.startswith("{")]
    new_peer = [entry for entry in logs if entry["message"] == "new peer"]
    assert new_peer and new_peer[0]["camera"] == "cam0" and new_peer[0]["level"] == "info" and "session" in new_peer[0]
    assert any(entry["message"].startswith("stopped: closed 1 peer") for entry in logs), logs[-3:]


def test_a_saturated_server_refuses_new_viewers_with_503(rtd, tmp):
    # saturation_busy 0: every loop counts as saturated from its first one-second window on, which
    # forces the refusal path without loading the machine.
    cfg = tmp / "rtd.yaml"
    cfg.write_text("server:\n  saturation_busy: 0\ncameras:\n  cam0: {source: testsrc, size: 320x240, detector: none}\n")
    p, base, _ = start(rtd, "--config", str(cfg), "--log-format", "json")
    try:
        deadline = time.monotonic() + 15
        while not metric(text := request(base + "/metrics")[2].decode(), "rtd_loop_saturated"):
            assert time.monotonic() < deadline, "no network loop reported saturated"
            time.sleep(0.1)
        assert metric(text, "rtd_loop_busy_ratio") is not None

        async def go():
            with pytest.raises(RuntimeError, match="503"):
                await Viewer(base, data_channel=False).start()
        asyncio.run(go())
        status, _, body = request(base + "/api/webrtc/signal", "POST", {"type": "offer", "sdp": "v=0"})
        assert status == 503 and "saturated" in json.loads(body)["error"], body
        assert request(base + "/healthz")[0] == 200
    finally:
        stop(p)
    logs = [json.loads(line) for line in p.stderr.read().splitlines() if line.startswith("{")]
    warnings = [e for e in logs if e["message"].startswith("network loop saturated")]
    assert warnings and warnings[0]["level"] == "warning", logs[-5:]
    # Once per change of state, not once per second.
    assert len(warnings) <= len({e["loop"] for e in warnings}), warnings


# ---------------------------------------------------------------------------------------------
# Burn-in

def make_model(path, spec):
    py = os.path.join(ROOT, ".venv", "bin", "python")
    r = run([py if os.path.exists(py) else sys.executable, os.path.join(ROOT, "Tests", "python", "make_const_yolo.py"),
             str(path), json.dumps(spec)])
    assert r.returncode == 0, r.stderr


class FrameKeeper(Viewer):
    """Keeps the decoded frames (RGB) instead of reading stamps."""

    async def _consume(self, track):
        self.images = []
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames += 1
            if len(self.images) < 40:
                self.images.append(frame.to_ndarray(format="rgb24"))


def test_annotate_burns_the_boxes_into_the_video(rtd, tmp):
    # A model that always finds one object at [256, 208, 128, 64] in a 640x480 frame.
    model = tmp / "m.onnx"
    make_model(model, {"input": [1, 3, 320, 320], "layout": "v8", "attributes": 6, "count": 8,
                       "candidates": [[160, 160, 64, 32, 0.1, 0.9]]})
    cfg = tmp / "rtd.yaml"
    cfg.write_text(f"""cameras:
  plain: {{source: testsrc, detector: "yolo:{model}"}}
  burnt: {{source: testsrc, detector: "yolo:{model}", annotate: true}}
""")
    p, base, _ = start(rtd, "--config", str(cfg))

    async def go():
        views = {name: FrameKeeper(base, camera=name, codec="h264", data_channel=False) for name in ("plain", "burnt")}
        for v in views.values():
            await v.start()
        for v in views.values():
            assert await v.wait_frames(40) >= 40
        for v in views.values():
            await v.close()
        return {name: np.mean(np.stack(v.images[10:40]).astype(float), axis=0) for name, v in views.items()}

    try:
        mean = asyncio.run(go())
    finally:
        stop(p)
    diff = np.abs(mean["burnt"] - mean["plain"]).max(axis=2)
    top_edge = diff[209, 262:378].mean()     # inside the 2 px line, clear of the caption
    left_edge = diff[220:268, 257].mean()
    elsewhere = diff[400:470, 20:200].mean()  # far from the box and its caption
    assert top_edge > 40 and left_edge > 40, (top_edge, left_edge)
    assert elsewhere < 8, elsewhere


def test_rtd_signal_watches_rtd_serve_over_whep_with_a_token(rtd, tmp):
    """Our WHEP client against our WHEP server (each is also tested against aiortc): token,
    201/Location, video, DELETE at the end."""
    p, base, _ = start(rtd, "--token", "s3cret", "--detector", "none", "--size", "320x240")
    try:
        out = tmp / "whep.y4m"
        r = run([rtd, "signal", base, "--whep", "--camera", "cam0", "--token", "s3cret", "--frames", "20",
                 "--frames-out", str(out), "--timeout", "20"], timeout=90)
        assert r.returncode == 0, r.stderr
        assert out.read_bytes().count(b"FRAME") >= 20
        assert json.loads(request(base + "/healthz?token=s3cret")[2])["peers"] == 0  # DELETE ended it
        r = run([rtd, "signal", base, "--whep", "--camera", "cam0", "--frames", "5", "--timeout", "10"], timeout=60)
        assert r.returncode == 4 and b"401" in r.stderr, r.stderr
    finally:
        stop(p)


def test_websocket_viewers_are_counted(rtd):
    p, base, _ = start(rtd, "--detector", "none", "--size", "320x240")

    async def go():
        async with websockets.connect(base.replace("http", "ws") + "/api/ws?camera=cam0") as conn:
            assert json.loads(await asyncio.wait_for(conn.recv(), 10))["type"] == "hello"
            await asyncio.sleep(0.3)
            during = cameras(base)["cam0"]["ws_viewers"], metric(request(base + "/metrics")[2].decode(), "rtd_ws_viewers", camera="cam0")
        await asyncio.sleep(0.5)
        return during, cameras(base)["cam0"]["ws_viewers"]

    try:
        (listed, gauge), after = asyncio.run(go())
        assert listed == 1 and gauge == 1 and after == 0, (listed, gauge, after)
    finally:
        stop(p)
