"""End-to-end tests of `rtd serve` with real WebRTC peers: aiortc (Python) and headless Chromium."""
import asyncio
import json
import os
import socket
import statistics
import sys
import subprocess
import tempfile
import time
import urllib.request

import pytest
from conftest import free_port
from peers import Viewer, post_json


def start_server(rtd, *args):
    port = free_port()
    p = subprocess.Popen([rtd, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "rtd serve: http://" not in line:
        p.kill()
        raise RuntimeError("server did not start: " + line + p.stderr.read())
    udp = int(line.split("UDP ")[1].split(";")[0])
    return p, f"http://127.0.0.1:{port}", udp


@pytest.fixture(scope="module")
def server(rtd):
    p, base, udp = start_server(rtd, "--camera", "cam0=testsrc:stamp", "--camera", "cam1=testsrc", "--size", "640x480")
    yield base, udp
    p.terminate()
    p.wait(timeout=10)


def health(base):
    with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
        return json.loads(r.read())


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_aiortc_decodes_stamped_video(server, codec):
    base, _ = server

    async def go():
        v = Viewer(base, codec=codec)
        await v.start()
        got = await v.wait_frames(60)
        before = health(base)["peers"]
        assert await v.bye() == 200
        await asyncio.sleep(0.3)
        after = health(base)["peers"]
        await v.close()
        return v, got, before, after

    v, got, before, after = asyncio.run(go())
    assert got >= 60
    assert v.sizes == {(640, 480)}
    assert len(v.latencies_ms) >= 50, "the stamp must survive the codec"
    p50 = statistics.median(v.latencies_ms)
    assert 0 <= p50 < 500, v.latencies_ms[:20]
    assert before >= 1 and after == before - 1


def test_bad_input_never_stops_a_good_peer(server, tmp_path):
    base, udp = server

    async def go():
        good = Viewer(base, codec="vp8")
        await good.start()
        assert await good.wait_frames(15) >= 15
        loop = asyncio.get_running_loop()
        results = {}

        def signal(body):
            return post_json(base + "/api/webrtc/signal", body)

        status, body = await loop.run_in_executor(None, lambda: post_json(base + "/api/webrtc/signal", None))
        results["null"] = status
        req = urllib.request.Request(base + "/api/webrtc/signal", data=b"{not json", headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=5)
        except urllib.error.HTTPError as e:
            results["garbage"] = (e.code, json.loads(e.read()))
        # An offer from a real peer, mutilated in ways a server must refuse.
        probe = Viewer(base)
        probe.pc.addTransceiver("video", direction="recvonly")
        await probe.pc.setLocalDescription(await probe.pc.createOffer())
        sdp = probe.pc.localDescription.sdp
        await probe.close()
        no_ufrag = "\r\n".join(l for l in sdp.split("\r\n") if not l.startswith("a=ice-ufrag"))
        no_fp = "\r\n".join(l for l in sdp.split("\r\n") if not l.startswith("a=fingerprint"))
        only_bad = sdp.replace("VP8/90000", "XYZ/90000").replace("H264/90000", "ABC/90000")
        for name, s in [("no_ufrag", no_ufrag), ("no_fp", no_fp), ("codecs", only_bad)]:
            results[name] = await loop.run_in_executor(None, signal, {"type": "offer", "sdp": s})
        results["camera"] = await loop.run_in_executor(None, signal, {"type": "offer", "sdp": sdp, "camera": "nope"})
        results["session"] = await loop.run_in_executor(None, signal, {"type": "bye", "session_id": "nope"})
        results["type"] = await loop.run_in_executor(None, signal, {"type": "dance"})

        # A peer whose offer carries the wrong DTLS fingerprint is refused at the DTLS handshake.
        def wrong_fp(s):
            out = []
            for l in s.split("\r\n"):
                if l.startswith("a=fingerprint:sha-256 "):
                    l = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32)
                out.append(l)
            return "\r\n".join(out)
        impostor = Viewer(base, tamper=wrong_fp)
        await impostor.start()
        # UDP garbage: random bytes, a STUN request with a wrong password, truncated RTCP.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for payload in [os.urandom(n) for n in (1, 7, 100, 1500)] + [b"\x80\xc9\x00", b"\x16\xfe\xfd" + os.urandom(40)]:
            s.sendto(payload, ("127.0.0.1", udp))
        stun = bytearray(b"\x00\x01\x00\x00\x21\x12\xa4\x42" + os.urandom(12))
        user = f"{good.pc.remoteDescription.sdp.split('a=ice-ufrag:')[1].split()[0]}:x".encode()
        attr = b"\x00\x06" + len(user).to_bytes(2, "big") + user + b"\x00" * ((4 - len(user) % 4) % 4)
        mi = b"\x00\x08\x00\x14" + os.urandom(20)
        body = attr + mi
        stun[2:4] = len(body).to_bytes(2, "big")
        s.sendto(bytes(stun) + body, ("127.0.0.1", udp))
        s.close()
        before = good.frames
        await asyncio.sleep(2.0)
        after = good.frames
        impostor_frames = impostor.frames
        await impostor.close()
        await good.bye()
        await good.close()
        return results, before, after, impostor_frames

    results, before, after, impostor_frames = asyncio.run(go())
    assert results["null"] == 400
    assert results["garbage"][0] == 400 and "invalid JSON" in results["garbage"][1]["error"]
    assert results["no_ufrag"][0] == 400 and "ufrag" in results["no_ufrag"][1]["error"], results["no_ufrag"]
    assert results["no_fp"][0] == 400 and "fingerprint" in results["no_fp"][1]["error"], results["no_fp"]
    assert results["codecs"][0] == 400, results["codecs"]
    assert results["camera"][0] == 404 and results["session"][0] == 404
    assert results["type"][0] == 400
    assert impostor_frames == 0
    assert after - before >= 45, (before, after)


CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=800,700",
                "--autoplay-policy=no-user-gesture-required", "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--disable-dev-shm-usage"]


def chromium(prefs=None):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for f in CHROME_FLAGS + [f"--user-data-dir={tempfile.mkdtemp()}"]:
        opts.add_argument(f)
    if prefs:
        opts.add_experimental_option("prefs", prefs)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def wait_stats(drv, cond, timeout=15):
    deadline = time.monotonic() + timeout
    st = None
    while time.monotonic() < deadline:
        st = drv.execute_script("return window.rtdStats && JSON.parse(JSON.stringify(window.rtdStats))")
        if st and cond(st):
            return st
        time.sleep(0.1)
    return st


@pytest.mark.parametrize("codec,mime", [("vp8", "video/VP8"), ("h264", "video/H264")])
def test_chromium_decodes(server, codec, mime, tmp_path):
    base, _ = server
    drv = chromium()
    try:
        drv.get(f"{base}/?codec={codec}")
        st = wait_stats(drv, lambda s: s["framesDecoded"] > 30)
        assert st and st["connected"] and st["framesDecoded"] > 30, st
        assert st["codec"] == mime
        playing = drv.execute_script("const v = document.getElementById('video'); return !v.paused && v.videoWidth")
        assert playing == 640
        # Pixels change between two moments: live video is on screen, not a frozen frame.
        grab = ("const v=document.getElementById('video'),c=document.createElement('canvas');c.width=v.videoWidth;"
                "c.height=v.videoHeight;const x=c.getContext('2d');x.drawImage(v,0,0);"
                "return Array.from(x.getImageData(0,0,c.width,c.height).data.filter((_, i) => i % 97 == 0))")
        a = drv.execute_script(grab)
        time.sleep(0.5)
        b = drv.execute_script(grab)
        assert a != b and max(a) > 200
        drv.save_screenshot(str(tmp_path / f"chromium-{codec}.png"))
        # Detection records on the page's data channel, and subscribe switches camera.
        st = wait_stats(drv, lambda s: s["dcMessages"] > 10 and s["lastRecord"])
        assert st["lastRecord"]["camera"] == "cam0" and "rtp_timestamp" in st["lastRecord"], st
        drv.execute_script("window.rtdChannel.send(JSON.stringify({type: 'subscribe', camera: 'cam1'}))")
        st = wait_stats(drv, lambda s: s["lastRecord"]["camera"] == "cam1")
        assert st["lastRecord"]["camera"] == "cam1" and {"type": "subscribed", "camera": "cam1"} in st["replies"], st
        decoded = st["framesDecoded"]
        st = wait_stats(drv, lambda s: s["framesDecoded"] > decoded + 15)
        assert st["framesDecoded"] > decoded + 15, "video goes on after the switch"
    finally:
        drv.quit()


def test_camera_switches_never_freeze_the_picture_on_a_busy_machine(server):
    """Chromium switches camera over the data channel again and again while every core is busy.
    Two light aiortc viewers keep both cameras' VP8 tracks encoding, so each switch starts from
    the new track's recent keyframe at once while pictures of the old track are still on their
    way. cam0's track starts 360 pictures ahead of cam1's: an old cam0 picture let through after
    the switch both breaks the decoder's reference chain and (numbered far ahead) used to hold
    back every cam1 picture for as long, a freeze of over ten seconds."""
    base, _ = server
    here = os.path.dirname(os.path.abspath(__file__))
    watchers = subprocess.Popen([sys.executable, "-c", (
        "import asyncio,sys\nsys.path.insert(0,%r)\nfrom peers import Viewer, light_viewers\n"
        "async def go():\n light_viewers()\n vs=[Viewer(%r, camera=c, codec='vp8', light=True) for c in ('cam0','cam1')]\n"
        " await vs[0].start()\n await vs[0].wait_frames(360, timeout=60)\n"
        " await vs[1].start()\n await vs[1].wait_frames(5)\n print('OK',flush=True)\n"
        " await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)\n"
        " for v in vs: await v.bye(); await v.close()\n"
        "asyncio.run(go())\n") % (here, base)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    burners = []
    drv = None
    try:
        assert watchers.stdout.readline().strip() == "OK"
        burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2 * (os.cpu_count() or 2))]
        drv = chromium()
        drv.get(f"{base}/?codec=vp8")
        st = wait_stats(drv, lambda s: s["framesDecoded"] > 10 and s["lastRecord"], timeout=30)
        assert st and st["framesDecoded"] > 10 and st["lastRecord"], st
        for i in range(12):
            camera = ("cam1", "cam0")[i % 2]
            drv.execute_script("window.rtdChannel.send(JSON.stringify({type: 'subscribe', camera: arguments[0]}))", camera)
            st = wait_stats(drv, lambda s: s["lastRecord"]["camera"] == camera)
            assert st["lastRecord"]["camera"] == camera, (i, st)
            decoded = st["framesDecoded"]
            # Ten new frames take a third of a second at 30 fps; allow for the load, not for a freeze.
            st = wait_stats(drv, lambda s: s["framesDecoded"] >= decoded + 10, timeout=8)
            assert st["framesDecoded"] >= decoded + 10, f"switch {i} to {camera}: frames decoded stuck at {st['framesDecoded']}"
    finally:
        for b in burners:
            b.kill()
            b.wait()
        if drv:
            drv.quit()
        watchers.stdin.close()  # they say bye
        try:
            watchers.wait(timeout=10)
        except subprocess.TimeoutExpired:
            watchers.kill()
            watchers.wait()


def test_a_vanished_peer_is_dropped_and_freed_a_live_one_kept(rtd):
    p, base, _ = start_server(rtd, "--consent-timeout", "8")
    script = ("import asyncio,sys,time\nsys.path.insert(0,%r)\nfrom peers import Viewer\n"
              "async def go():\n v=Viewer(%r)\n await v.start()\n await v.wait_frames(10)\n print('OK',flush=True)\n"
              " await asyncio.sleep(60)\nasyncio.run(go())\n") % (os.path.dirname(os.path.abspath(__file__)), base)
    viewer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)

    async def live_viewer_outlasts_the_timeout():
        v = Viewer(base)
        await v.start()
        await v.wait_frames(10)
        assert viewer.stdout.readline().strip() == "OK"
        assert health(base)["peers"] == 2
        viewer.kill()  # no bye, no DTLS close: that peer just goes silent
        viewer.wait()
        deadline = time.monotonic() + 14
        while time.monotonic() < deadline and health(base)["peers"] != 1:
            await asyncio.sleep(0.2)
        dropped_after = time.monotonic() - (deadline - 14)
        before = v.frames
        await asyncio.sleep(2)
        still_streaming = v.frames - before
        peers = health(base)["peers"]
        await v.bye()
        await v.close()
        return peers, dropped_after, still_streaming

    try:
        peers, dropped_after, still_streaming = asyncio.run(live_viewer_outlasts_the_timeout())
        assert peers == 1, "the silent peer must be dropped, the live one kept"
        assert 6 <= dropped_after <= 12, dropped_after
        assert still_streaming >= 20, "the live viewer must still be streaming"
    finally:
        viewer.kill()
        p.terminate()
        p.wait(timeout=10)


def test_given_certificate_is_used_and_checked(rtd, tmp_path):
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key)], check=True)
    subprocess.run(["openssl", "req", "-new", "-x509", "-key", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=rtd"],
                   check=True, capture_output=True)
    fp = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"], check=True,
                        capture_output=True, text=True).stdout.strip().split("=")[1]
    p, base, _ = start_server(rtd, "--cert", str(cert), "--key", str(key))
    try:
        async def go():
            v = Viewer(base)
            answer = await v.start()
            got = await v.wait_frames(10)
            await v.bye()
            await v.close()
            return answer, got
        answer, got = asyncio.run(go())
        assert f"a=fingerprint:sha-256 {fp}" in answer["sdp"]
        assert got >= 10
    finally:
        p.terminate()
        p.wait(timeout=10)
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    r = subprocess.run([rtd, "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--cert", str(cert), "--key", str(bad)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "bad.pem" in r.stderr, r.stderr


def test_serve_reports_its_detector_and_refuses_a_bad_one(rtd):
    p, base, _ = start_server(rtd, "--detector", "hog")
    try:
        with urllib.request.urlopen(base + "/api/cameras", timeout=5) as r:
            cams = json.loads(r.read())["cameras"]
        assert cams[0]["detector"] == "hog" and cams[0]["state"] == "streaming"
    finally:
        p.terminate()
        p.wait(timeout=10)
    r = subprocess.run([rtd, "serve", "--host", "127.0.0.1", "--port", str(free_port()), "--detector", "yolo:/no/model.onnx"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "/no/model.onnx" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def pattern_boxes(w, h, pts_us):
    """testsrc's shape positions at pts (TestPattern.objects in RTDKit)."""
    def tri(u):
        m = u % 2
        return m if m < 1 else 2 - m

    def even(v):
        return int(v) & ~1
    t = pts_us / 1e6
    top = min(max(16, ((w // 64) * 2 + 1) & ~1) + 4, h // 4)
    side, dia, bw, bh = even(h / 5), even(h / 4.5), even(w / 12), even(h / 3)
    return [(even(tri(t * 0.35) * (w - side)), even(top + tri(t * 0.13 + 0.2) * (h - top - side)), side, side),
            (even(tri(t * 0.23 + 0.5) * (w - dia)), even(top + tri(t * 0.31) * (h - top - dia)), dia, dia),
            (even(tri(t * 0.11 + 1.4) * (w - bw)), even(top + tri(t * 0.4 + 1.2) * (h - top - bh)), bw, bh)]


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def on_a_shape(box, w, h, pts_us):
    """A motion box belongs to the frame at pts if it overlaps where a shape is, or was within the
    last 0.3 s: background subtraction also marks the place a shape just left (most at its turning
    points, where it lingers), which is real motion of that frame, not another frame's box."""
    return any(overlaps(box, b) for k in range(10) for b in pattern_boxes(w, h, pts_us - k * 33_333))


def test_detections_ping_and_subscribe_on_the_data_channel(server):
    base, _ = server
    from peers import wait_for

    async def go():
        v = Viewer(base, camera="cam0")
        await v.start()
        assert await wait_for(lambda: v.dc.readyState == "open")
        assert await wait_for(lambda: len(v.records) >= 75), len(v.records)
        v.dc.send(json.dumps({"type": "ping", "id": 7}))
        assert await wait_for(lambda: any(m.get("type") == "pong" for _, m in v.replies))
        for bad in ["{not json", json.dumps({"type": "dance"}), json.dumps({"type": "subscribe", "camera": "nope"})]:
            v.dc.send(bad)
        assert await wait_for(lambda: sum(m.get("type") == "error" for _, m in v.replies) >= 3)
        frames_before = v.frames
        stamped_before = len(v.stamped)
        v.dc.send(json.dumps({"type": "subscribe", "camera": "cam1"}))
        assert await wait_for(lambda: any(m.get("type") == "subscribed" for _, m in v.replies))
        n = len(v.records)
        assert await wait_for(lambda: sum(r["camera"] == "cam1" for _, r in v.records[n:]) >= 10)
        await asyncio.sleep(1.0)
        after_switch = v.stamped[stamped_before + 15:]
        records = list(v.records)
        replies = [m for _, m in v.replies]
        frames_after = v.frames
        await v.bye()
        await v.close()
        return records, replies, frames_before, frames_after, after_switch

    records, replies, before, after, after_switch = asyncio.run(go())
    assert {"type": "pong", "id": 7} in replies
    errors = [m["error"] for m in replies if m["type"] == "error"]
    assert any("invalid JSON" in e for e in errors) and any("unknown message type 'dance'" in e for e in errors)
    assert any("no camera 'nope'" in e for e in errors)
    cam0 = [r for _, r in records if r["camera"] == "cam0"]
    for r in cam0:
        assert set(r) >= {"type", "frame", "pts_us", "captured_at_us", "rtp_timestamp", "width", "height", "detector",
                          "inference_us", "detections"}
    ts = [r["rtp_timestamp"] for r in cam0]
    assert ts == sorted(ts) and len(set(ts)) == len(ts)
    # The detector starts when the channel opens; once its background has settled (the first 40
    # records), boxes sit on the pattern's shapes.
    found = [(r, d) for r in cam0[40:] for d in r["detections"]]
    assert len(found) >= 20, "motion must be found once the background settles"
    # cam0 is testsrc:stamp: its timestamp strip (the top rows) changes every frame, so motion
    # there is right too.
    def strip_height(w):
        return max(16, ((w // 64) * 2 + 1) & ~1)
    on_shapes = [on_a_shape(d["box"], r["width"], r["height"], r["pts_us"])
                 or d["box"][1] + d["box"][3] <= strip_height(r["width"]) + 2 for r, d in found]
    assert sum(on_shapes) >= 0.9 * len(on_shapes), [d for (r, d), ok in zip(found, on_shapes) if not ok][:5]
    # After the switch the picture is cam1's (plain testsrc: no timestamp strip), and video went on.
    assert after > before + 20
    assert after_switch and not any(after_switch), "frames after subscribe must come from cam1"


def test_ice_checks_are_answered_twice_until_connected(server):
    """rtd is ICE-lite and sends no checks of its own: a lost answer would cost the viewer its STUN
    retransmission timeout (500 ms) before DTLS, so until DTLS is up every check is answered twice."""
    from aioice import stun
    from aiortc import RTCConfiguration, RTCPeerConnection
    base, udp = server

    async def offer():
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    sdp = asyncio.run(offer())
    status, answer = post_json(base + "/api/webrtc/signal", {"type": "offer", "sdp": sdp, "camera": "cam0"})
    assert status == 200, answer
    field = lambda text, name: next(l.split(":", 1)[1].strip() for l in text.splitlines() if l.startswith("a=" + name + ":"))
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    request.attributes["USERNAME"] = f"{field(answer['sdp'], 'ice-ufrag')}:{field(sdp, 'ice-ufrag')}"
    request.attributes["PRIORITY"] = 1 << 24
    request.attributes["ICE-CONTROLLING"] = 42
    request.attributes["USE-CANDIDATE"] = None
    request.add_message_integrity(field(answer["sdp"], "ice-pwd").encode())
    request.add_fingerprint()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1)
        s.sendto(bytes(request), ("127.0.0.1", udp))
        answers = []
        try:
            while len(answers) < 3:
                data = s.recv(2048)
                if data[:1] in (b"\x00", b"\x01"):
                    answers.append(stun.parse_message(data))
        except socket.timeout:
            pass
    post_json(base + "/api/webrtc/signal", {"type": "bye", "session_id": answer["session_id"]})
    assert len(answers) == 2, answers
    assert all(a.transaction_id == request.transaction_id and a.message_class == stun.Class.RESPONSE for a in answers)
