"""End-to-end tests of the viewer page (headless Chromium) and of the WebSocket fallback /api/ws
(a plain `websockets` client): video, overlay boxes on testsrc's shapes in the frame shown,
camera switch and grid, reconnection after a server restart, the offline demo, and /api/ws's
protocol, rate cap and dropping."""
import asyncio
import functools
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest
import websockets
from conftest import free_port, stop
from test_serve import chromium, on_a_shape, pattern_boxes, wait_stats


def start(rtd, port, *args):
    p = subprocess.Popen([rtd, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "rtd serve: http://" not in line:
        p.kill()
        raise RuntimeError("server did not start: " + line + p.stderr.read())
    return p


@pytest.fixture(scope="module")
def two_cameras(rtd):
    port = free_port()
    p = start(rtd, port, "--camera", "a=testsrc", "--camera", "b=testsrc:stamp", "--size", "640x480",
              "--ws-max-fps", "8")
    yield f"http://127.0.0.1:{port}"
    stop(p)


def get_json(url, data=None):
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


# ---- /api/ws with a plain WebSocket client ------------------------------------------------------

async def read_for(ws, seconds):
    """Messages for `seconds`: [(arrival unix time, text-or-bytes)]."""
    out = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            m = await asyncio.wait_for(ws.recv(), left)
            out.append((time.time(), m))
        except asyncio.TimeoutError:
            break
    return out


def test_ws_protocol(two_cameras):
    base = two_cameras
    ws_base = base.replace("http://", "ws://") + "/api/ws"
    status, cfg = get_json(base + "/api/config")
    assert status == 200 and cfg["cameras"] == ["a", "b"] and cfg["default_camera"] == "a"
    assert cfg["webrtc"] is True and cfg["ws_max_fps"] == 8 and cfg["ice_servers"] == [] and cfg["version"]

    async def go():
        async with websockets.connect(ws_base + "?camera=a", max_size=None) as ws:
            hello = json.loads(await ws.recv())
            msgs = await read_for(ws, 3.0)
            await ws.send(json.dumps({"type": "ping", "id": {"n": 7}}))
            for bad in ["{nope", json.dumps({"type": "dance"}), json.dumps({"type": "subscribe", "camera": "zz"}),
                        json.dumps({"kind": "ping"}), b"\x00\x01"]:
                await ws.send(bad)
            replies = [json.loads(m) for _, m in await read_for(ws, 1.0) if isinstance(m, str)]
            await ws.send(json.dumps({"type": "subscribe", "camera": "b"}))
            after = await read_for(ws, 2.0)
        async with websockets.connect(ws_base + "?camera=nope") as ws:
            unknown = []
            try:
                while True:
                    unknown.append(await ws.recv())
            except websockets.ConnectionClosed:
                pass
            code, reason = ws.close_code, ws.close_reason
        return hello, msgs, replies, after, unknown, code, reason

    hello, msgs, replies, after, unknown, code, reason = asyncio.run(go())
    assert hello == {"type": "hello", "camera": "a", "width": 640, "height": 480, "fps": 30}
    # Every announcement is followed at once by its JPEG; records come as text in between.
    pictures, records = [], []
    for i, (at, m) in enumerate(msgs):
        if isinstance(m, bytes):
            assert i > 0 and isinstance(msgs[i - 1][1], str) and json.loads(msgs[i - 1][1])["type"] == "frame"
            pictures.append((at, json.loads(msgs[i - 1][1]), m))
            continue
        j = json.loads(m)
        if j["type"] == "frame":
            assert i + 1 < len(msgs) and isinstance(msgs[i + 1][1], bytes) or i + 1 == len(msgs)
        else:
            assert j["type"] == "detections", j
            records.append(j)
    # The cap is 8 a second (a 30 fps camera: every fourth frame, 7.5 a second).
    assert 14 <= len(pictures) <= 26, len(pictures)
    frames = [meta["frame"] for _, meta, _ in pictures]
    assert frames == sorted(frames) and min(b - a for a, b in zip(frames, frames[1:])) >= 3
    for _, meta, jpeg in pictures:
        assert set(meta) == {"type", "frame", "pts_us", "captured_at_us", "width", "height"}
        assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9"
    # The JPEG is the frame its announcement names: testsrc's white bar is where it is at that pts.
    for _, meta, jpeg in pictures[::4]:
        img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert img.shape == (480, 640, 3)
        x, y, w, h = pattern_boxes(640, 480, meta["pts_us"])[2]
        assert img[y + h // 2, x + w // 2].min() > 215, (meta, img[y + h // 2, x + w // 2])
    # Capture to arrival on loopback: well under a second (same clock on both ends).
    lag = [at * 1e6 - meta["captured_at_us"] for at, meta, _ in pictures]
    assert max(lag) < 1e6, lag
    assert len(records) >= 45 and all(r["camera"] == "a" and isinstance(r["frame"], int) for r in records)
    found = [(r, d) for r in records[20:] for d in r["detections"]]
    assert found and sum(on_a_shape(d["box"], 640, 480, r["pts_us"]) for r, d in found) >= 0.9 * len(found)
    assert {"type": "pong", "id": {"n": 7}} in replies
    errors = [r["error"] for r in replies if r["type"] == "error"]
    assert any("invalid JSON" in e for e in errors) and any("unknown message type 'dance'" in e for e in errors)
    assert any("no camera 'zz'" in e for e in errors) and any("without 'type'" in e for e in errors)
    assert any("binary" in e for e in errors), errors
    texts = [json.loads(m) for _, m in after if isinstance(m, str)]
    # Messages of camera a already on the wire when the subscribe arrived may come first; from
    # b's hello on, everything is b's.
    hello_b = {"type": "hello", "camera": "b", "width": 640, "height": 480, "fps": 30}
    assert hello_b in texts, texts[:3]
    assert all(t.get("camera") == "a" for t in texts[:texts.index(hello_b)]), texts[:texts.index(hello_b)]
    texts = texts[texts.index(hello_b):]
    assert {"type": "subscribed", "camera": "b"} in texts
    recs = [t for t in texts if t["type"] == "detections"]
    assert recs and all(r["camera"] == "b" for r in recs)
    assert sum(isinstance(m, bytes) for _, m in after) >= 8
    # An unknown camera: a readable error, then a close that says why.
    assert json.loads(unknown[0])["type"] == "error" and "no camera 'nope'" in json.loads(unknown[0])["error"]
    assert code == 4404 and "no camera 'nope'" in reason
    # A plain GET is told what the endpoint is.
    status, body = get_json(base + "/api/ws")
    assert status == 400 and "is a WebSocket endpoint" in json.dumps(body)


def test_ws_slow_reader_gets_the_newest_pictures_not_a_backlog(rtd):
    """A client that stops reading: the server drops pictures instead of queueing them, so when it
    reads again it gets a recent picture soon, and far fewer than were produced meanwhile."""
    port = free_port()
    p = start(rtd, port, "--camera", "a=testsrc:stamp", "--size", "1280x720", "--ws-max-fps", "10")
    try:
        async def go():
            sock = socket.socket()
            # A small receive window, so the kernel cannot soak up the backlog for us.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
            sock.connect(("127.0.0.1", port))
            async with websockets.connect(f"ws://127.0.0.1:{port}/api/ws", sock=sock, max_size=None,
                                          max_queue=1) as ws:
                await read_for(ws, 1.0)
                ws.transport.pause_reading()
                paused = time.time()
                await asyncio.sleep(6)
                ws.transport.resume_reading()
                resumed = time.time()
                msgs = await read_for(ws, 2.0)
            return paused, resumed, msgs
        paused, resumed, msgs = asyncio.run(go())
    finally:
        stop(p)
    metas = [(at, json.loads(m)) for at, m in msgs if isinstance(m, str) and json.loads(m)["type"] == "frame"]
    # The 6 s pause at 10 a second made 60 pictures: queued, they would all arrive now. Only those
    # already in the (small) socket buffers may.
    backlog = [m for _, m in metas if paused * 1e6 + 300_000 < m["captured_at_us"] < resumed * 1e6 - 300_000]
    assert len(backlog) < 15, len(backlog)
    # Within a second of reading again, a picture captured after the pause arrives.
    fresh = [at - resumed for at, m in metas if m["captured_at_us"] >= resumed * 1e6 - 200_000]
    assert fresh and fresh[0] < 1.0, [(at - resumed, m["captured_at_us"] / 1e6 - resumed) for at, m in metas][:10]


# ---- the page in Chromium -----------------------------------------------------------------------

# In the page's own requestVideoFrameCallback turn (the page paints its overlay first): the frame
# on screen drawn to a canvas, the record the overlay was painted with, and the pixel at the
# centre of testsrc's white bar at that record's pts. Proves the boxes belong to this very frame.
# testsrc's white bar at a pts (TestPattern.objects in RTDKit), in JavaScript for the page checks.
BAR_JS = """
const tri = (u) => { const m = u % 2; return m < 1 ? m : 2 - m; };
const even = (x) => Math.floor(x) & ~1;
function bar(w, h, pts) {
  const t = pts / 1e6, top = Math.min(Math.max(16, ((Math.floor(w / 64)) * 2 + 1) & ~1) + 4, Math.floor(h / 4));
  const bw = even(w / 12), bh = even(h / 3);
  return [even(tri(t * 0.11 + 1.4) * (w - bw)), even(top + tri(t * 0.4 + 1.2) * (h - top - bh)), bw, bh];
}
"""

CHECK_SYNC = """
const done = arguments[arguments.length - 1];
const v = document.getElementById('video');
const out = [];
""" + BAR_JS + """
const cb = (now, meta) => {
  const r = window.rtdStats.overlayRecord;
  if (r && r.rtp_timestamp === meta.rtpTimestamp) {
    const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
    const x = c.getContext('2d'); x.drawImage(v, 0, 0);
    const [bx, by, bw, bh] = bar(r.width, r.height, r.pts_us);
    const px = Array.from(x.getImageData(bx + bw / 2, by + bh / 2, 1, 1).data).slice(0, 3);
    out.push({pts: r.pts_us, match: r.match, px, boxes: window.rtdStats.overlayBoxes});
  }
  if (out.length >= 12) done(out); else v.requestVideoFrameCallback(cb);
};
v.requestVideoFrameCallback(cb);
setTimeout(() => done(out), 8000);
"""


def stats(drv):
    return drv.execute_script("return JSON.parse(JSON.stringify(window.rtdStats))")


def boxes_on_shapes(samples, w=640, h=480):
    drawn = [(s["pts"], b) for s in samples for b in s["boxes"]]
    on = [on_a_shape(b, w, h, pts) for pts, b in drawn]
    return drawn, on


def test_page_webrtc_overlay_in_step_switch_and_grid(two_cameras, tmp_path):
    base = two_cameras
    drv = chromium()
    try:
        drv.set_script_timeout(15)
        drv.get(base + "/")
        st = wait_stats(drv, lambda s: s["transport"] == "webrtc" and s["framesDecoded"] > 30 and s["exactMatches"] > 20)
        assert st["state"] == "live" and st["camera"] == "a" and st["connected"], st
        assert drv.execute_script("const v=document.getElementById('video'); return !v.paused && v.videoWidth") == 640
        samples = drv.execute_async_script(CHECK_SYNC)
        assert len(samples) >= 8, samples
        # The record drawn on a frame is that frame's (same RTP timestamp): testsrc's white bar is
        # exactly where the record's pts puts it, in the picture on screen.
        assert all(s["match"] in ("exact", "late") for s in samples)
        assert sum(min(s["px"]) > 200 for s in samples) >= len(samples) - 1, samples
        drawn, on = boxes_on_shapes(samples)
        assert drawn and sum(on) >= 0.9 * len(on), drawn
        st = wait_stats(drv, lambda s: s["fps"] > 0 and s["rttMs"] is not None)
        assert st["fps"] > 0 and st["width"] == 640 and st["rttMs"] is not None and st["latencyMs"] is not None
        painted = st["exactMatches"] + st["nearMatches"] + st["unmatchedFrames"]
        assert st["exactMatches"] >= 0.5 * painted, st
        assert drv.find_element("id", "s-sync").text.endswith("% exact")
        drv.save_screenshot(str(tmp_path / "webrtc.png"))

        # Camera picker: switches without reconnecting (one data-channel subscribe).
        from selenium.webdriver.support.ui import Select
        Select(drv.find_element("id", "camera")).select_by_value("b")
        st = wait_stats(drv, lambda s: s["camera"] == "b" and s["lastRecord"]["camera"] == "b" and s["overlayRecord"])
        assert {"type": "subscribed", "camera": "b"} in st["replies"] and st["reconnects"] == 0, st
        decoded = st["framesDecoded"]
        st = wait_stats(drv, lambda s: s["framesDecoded"] > decoded + 20)
        assert st["framesDecoded"] > decoded + 20 and "camera=b" in drv.current_url
        # testsrc:stamp (camera b) has its timestamp strip in the top rows; testsrc (a) does not.
        strip = drv.execute_script(
            "const v=document.getElementById('video'),c=document.createElement('canvas');c.width=640;c.height=480;"
            "const x=c.getContext('2d');x.drawImage(v,0,0);const d=x.getImageData(0,2,640,8).data;"
            "let hi=0,lo=0;for(let i=0;i<d.length;i+=4){if(d[i]>200)hi++;if(d[i]<50)lo++;}return [hi,lo]")
        assert min(strip) > 200, strip
        drv.save_screenshot(str(tmp_path / "webrtc-b.png"))

        # The grid: every camera at once (over one peer connection: test_grid.py); a tile opens its camera.
        drv.find_element("id", "grid-toggle").click()
        grid = drv.execute_script("return JSON.parse(JSON.stringify(window.rtdGrid))")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (len(grid) == 2 and all(g["framesDecoded"] > 10 for g in grid)):
            time.sleep(0.2)
            grid = drv.execute_script("return JSON.parse(JSON.stringify(window.rtdGrid))")
        assert [g["camera"] for g in grid] == ["a", "b"] and all(g["framesDecoded"] > 10 for g in grid), grid
        assert len(drv.find_elements("css selector", "#grid .tile")) == 2
        drv.save_screenshot(str(tmp_path / "grid.png"))
        drv.find_elements("css selector", "#grid .tile")[0].click()
        st = wait_stats(drv, lambda s: s["view"] == "single" and s["transport"] == "webrtc" and s["framesDecoded"] > 10)
        assert st["camera"] == "a" and st["framesDecoded"] > 10, st
        logs = [l for l in drv.get_log("browser") if l["level"] == "SEVERE" and "favicon" not in l["message"]]
        assert not logs, logs
    finally:
        drv.quit()


def test_page_websocket_fallback_and_phone_layout(rtd, two_cameras, tmp_path):
    port = free_port()
    p = start(rtd, port, "--no-webrtc", "--size", "640x480")
    base = f"http://127.0.0.1:{port}"
    drv = chromium()
    try:
        status, body = get_json(base + "/api/webrtc/signal", data=b'{"type":"offer","sdp":"v=0"}')
        assert status == 503 and body == {"type": "error", "error": "WebRTC is disabled on this server (--no-webrtc)"}
        assert get_json(base + "/api/config")[1]["webrtc"] is False
        for url, camera in [(base + "/", "cam0"), (two_cameras + "/?transport=ws&camera=b", "b")]:
            drv.get(url)
            # Past the first 60 records the motion detector's background has settled.
            st = wait_stats(drv, lambda s: s["transport"] == "ws" and s["wsFrames"] > 12 and s["wsRecords"] > 60
                            and s["exactMatches"] > 3)
            assert st["state"] == "live" and st["camera"] == camera and st["framesDecoded"] == 0, st
            assert st["errors"] == [], st["errors"]
            samples = []
            for _ in range(10):
                s = stats(drv)
                if s["overlayRecord"]:
                    samples.append({"pts": s["overlayRecord"]["pts_us"], "boxes": s["overlayBoxes"]})
                time.sleep(0.15)
            drawn, on = boxes_on_shapes(samples)
            # Motion boxes may be partial (a shape's leading edge); most sit on the shapes.
            assert drawn and sum(on) >= 0.8 * len(on), drawn
            st = wait_stats(drv, lambda s: s["fps"] > 0)
            assert 3 <= st["fps"] <= 11, st["fps"]
        # The overlay toggle: no boxes drawn while off, back when on.
        drv.find_element("id", "overlay-toggle").click()
        time.sleep(0.5)
        assert stats(drv)["overlayBoxes"] == [] and drv.execute_script(
            "const c=document.getElementById('overlay');return c.getContext('2d').getImageData(0,0,c.width,c.height)"
            ".data.every((v)=>v===0)")
        drv.find_element("id", "overlay-toggle").click()
        assert wait_stats(drv, lambda s: s["overlayBoxes"])["overlayBoxes"]
        # Full screen shows the video with its overlay.
        drv.find_element("id", "fullscreen").click()
        time.sleep(0.3)
        assert drv.execute_script("return document.fullscreenElement && document.fullscreenElement.id") == "stage"
        drv.execute_script("document.exitFullscreen()")
        # The picture is on the canvas (not the video element), and it moves.
        grab = "return Array.from(document.getElementById('frame').getContext('2d').getImageData(0,0,640,480).data.filter((_, i) => i % 97 == 0))"
        a = drv.execute_script(grab)
        time.sleep(0.5)
        assert a != drv.execute_script(grab) and max(a) > 200
        drv.save_screenshot(str(tmp_path / "ws.png"))
        drv.set_window_size(390, 844)
        time.sleep(0.5)
        layout = drv.execute_script(
            "const r=(id)=>document.getElementById(id).getBoundingClientRect();"
            "return {stage: r('stage').toJSON(), stats: r('stats').toJSON(), width: document.documentElement.scrollWidth,"
            " vw: window.innerWidth}")
        # One column: the statistics under the video, nothing wider than the screen.
        assert layout["width"] <= layout["vw"] and layout["stats"]["top"] >= layout["stage"]["bottom"], layout
        drv.save_screenshot(str(tmp_path / "ws-phone.png"))
    finally:
        drv.quit()
        stop(p)


def test_page_reconnects_after_a_server_restart_showing_the_demo_meanwhile(rtd, tmp_path):
    port = free_port()
    p = start(rtd, port, "--size", "320x240")
    base = f"http://127.0.0.1:{port}"
    drv = chromium()
    try:
        drv.get(base + "/")
        st = wait_stats(drv, lambda s: s["transport"] == "webrtc" and s["framesDecoded"] > 10)
        assert st["state"] == "live", st
        p.send_signal(signal.SIGKILL)   # no goodbye of any kind
        p.wait()
        st = wait_stats(drv, lambda s: s["transport"] == "demo" and s["demoFrames"] > 10, timeout=20)
        assert st["transport"] == "demo", st
        assert drv.find_element("id", "demo-banner").is_displayed()
        # Nothing of the camera shown before is left in the figures.
        assert st["camera"] is None and st["lastRecord"] is None and st["latencyMs"] is None and st["rttMs"] is None, st
        panel = lambda: [drv.find_element("id", i).text for i in ("s-camera", "s-latency", "s-rtt", "s-codec")]
        deadline = time.monotonic() + 3  # the panel is redrawn every 0.5 s
        while panel() != ["—", "—", "—", "synthetic"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert panel() == ["—", "—", "—", "synthetic"]
        drv.save_screenshot(str(tmp_path / "outage.png"))
        lost_at = time.monotonic()
        p = start(rtd, port, "--size", "320x240")
        st = wait_stats(drv, lambda s: s["transport"] == "webrtc" and s["state"] == "live" and s["framesDecoded"] > 10,
                        timeout=25)
        assert st["transport"] == "webrtc" and st["framesDecoded"] > 10 and st["reconnects"] >= 1, st
        assert time.monotonic() - lost_at < 25
        assert not drv.find_element("id", "demo-banner").is_displayed()
        deadline = time.monotonic() + 3
        while drv.find_element("id", "s-camera").text != "cam0" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert st["camera"] == "cam0" and drv.find_element("id", "s-camera").text == "cam0"
    finally:
        drv.quit()
        stop(p)


def test_page_without_a_server_shows_the_labelled_offline_demo(rtd, tmp_path):
    """The page's own files served by a plain static HTTP server: there is no API, so the page
    shows the offline demo (clearly labelled) and keeps trying."""
    port = free_port()
    p = start(rtd, port)
    try:
        # Every file the page loads: its stylesheet and scripts, and the modules they import.
        todo, fetched = ["index.html"], set()
        while todo:
            name = todo.pop()
            if name in fetched:
                continue
            fetched.add(name)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{'' if name == 'index.html' else name}", timeout=5) as r:
                body = r.read()
                kind = {"html": "text/html", "css": "text/css", "js": "text/javascript"}[name.rsplit(".", 1)[1]]
                assert r.headers["Content-Type"] == kind + "; charset=utf-8" and r.headers["Cache-Control"] == "no-store"
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes(body)
            refs = re.findall(r'(?:src|href)="([^"]+)"' if name.endswith(".html") else r'from "([^"]+)"', body.decode())
            todo += [os.path.normpath(os.path.join(os.path.dirname(name), ref)) for ref in refs]
        assert {"viewer.js", "viewer.css", "viewer/sync.js"} <= fetched, fetched
    finally:
        stop(p)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    static = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()
    drv = chromium()
    try:
        drv.get(f"http://127.0.0.1:{static.server_address[1]}/index.html")
        st = wait_stats(drv, lambda s: s["demoFrames"] > 20 and s["reconnects"] >= 2)
        assert st["transport"] == "demo" and st["demoFrames"] > 20 and st["reconnects"] >= 2, st
        banner = drv.find_element("id", "demo-banner")
        assert banner.is_displayed() and banner.text == "Offline demo — not connected to a server"
        assert "offline demo" in drv.find_element("id", "state").text
        assert len(st["overlayBoxes"]) == 3 and st["errors"] and "no rtd server" in st["errors"][0]
        # The synthetic scene moves.
        first = st["overlayBoxes"]
        time.sleep(0.5)
        assert stats(drv)["overlayBoxes"] != first
        drv.save_screenshot(str(tmp_path / "demo.png"))
        # On a phone the banner is above the picture, not over it.
        drv.set_window_size(390, 844)
        time.sleep(0.3)
        rects = drv.execute_script("const r=(id)=>document.getElementById(id).getBoundingClientRect().toJSON();"
                                   "return {banner: r('demo-banner'), stage: r('stage')}")
        assert banner.is_displayed() and rects["banner"]["bottom"] <= rects["stage"]["top"], rects
        drv.save_screenshot(str(tmp_path / "demo-phone.png"))
    finally:
        drv.quit()
        static.shutdown()


def test_page_falls_back_to_the_websocket_when_webrtc_cannot_connect(rtd):
    """Chromium told to use no UDP without a proxy (as some corporate policies do), and a server
    without ICE over TCP (--tcp-port false): ICE cannot succeed, so after its timeout the page
    switches to /api/ws by itself and says why."""
    port = free_port()
    server = start(rtd, port, "--camera", "a=testsrc", "--size", "640x480", "--tcp-port", "false")
    drv = chromium(prefs={"webrtc.ip_handling_policy": "disable_non_proxied_udp"})
    try:
        drv.get(f"http://127.0.0.1:{port}/?webrtc_timeout_ms=3000")
        st = wait_stats(drv, lambda s: s["transport"] == "ws" and s["wsFrames"] > 5)
        assert st["transport"] == "ws" and st["wsFrames"] > 5 and st["framesDecoded"] == 0, st
        assert any("WebRTC did not work" in e and "WebSocket fallback" in e for e in st["errors"]), st["errors"]
        assert st["fallback"] and st["fallbackReason"] == "WebRTC could not connect", st
        assert drv.find_element("id", "transport").text.startswith("WebSocket (fallback: WebRTC could not connect")
    finally:
        drv.quit()
        stop(server)


def test_four_cameras_make_a_two_by_two_grid(rtd, tmp_path):
    port = free_port()
    p = start(rtd, port, *[a for i in range(4) for a in ("--camera", f"c{i}=testsrc")], "--size", "320x240", "--fps", "15")
    drv = chromium()
    try:
        drv.set_window_size(1280, 900)
        drv.get(f"http://127.0.0.1:{port}/?view=grid")
        deadline = time.monotonic() + 30
        grid = []
        while time.monotonic() < deadline and not (len(grid) == 4 and all(g["framesDecoded"] > 10 for g in grid)):
            time.sleep(0.2)
            grid = drv.execute_script("return JSON.parse(JSON.stringify(window.rtdGrid))")
        assert [g["camera"] for g in grid] == ["c0", "c1", "c2", "c3"] and all(g["framesDecoded"] > 10 for g in grid), grid
        rects = drv.execute_script("return Array.from(document.querySelectorAll('#grid .tile')).map((t) => t.getBoundingClientRect().toJSON())")
        lefts, tops = sorted({round(r["left"]) for r in rects}), sorted({round(r["top"]) for r in rects})
        assert len(lefts) == 2 and len(tops) == 2, rects
        # The whole grid fits the window's height.
        assert max(r["bottom"] for r in rects) <= drv.execute_script("return innerHeight"), rects
        drv.save_screenshot(str(tmp_path / "grid-2x2.png"))
    finally:
        drv.quit()
        stop(p)


def test_page_and_websocket_carry_the_token(rtd):
    """With --token, the page opened as /?token=T sends it on every request (Authorization:
    Bearer) and on the WebSocket (?token=T): both transports work; a WebSocket without it is refused."""
    port = free_port()
    p = start(rtd, port, "--token", "s3cret", "--size", "320x240")
    base = f"http://127.0.0.1:{port}"
    drv = chromium()
    try:
        async def refused():
            try:
                async with websockets.connect(base.replace("http", "ws") + "/api/ws"):
                    return None
            except websockets.InvalidStatus as e:
                return e.response.status_code
        assert asyncio.run(refused()) == 401
        assert get_json(base + "/api/config")[0] == 401
        # A browser without the token gets a page saying how to get in; API clients get JSON.
        for accept, kind in [("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"), ("application/json", "application/json")]:
            try:
                urllib.request.urlopen(urllib.request.Request(base + "/", headers={"Accept": accept}), timeout=5)
                raise AssertionError("no token, yet not refused")
            except urllib.error.HTTPError as e:
                body = e.read().decode()
                assert e.code == 401 and e.headers["Content-Type"].startswith(kind), (e.code, e.headers["Content-Type"])
                assert ("?token=" in body and "rtd serve" in body) if kind == "text/html" else json.loads(body)["type"] == "error"
        drv.get(base + "/")
        assert drv.title == "rtd: access token needed"
        drv.find_element("name", "token").send_keys("s3cret")
        drv.find_element("css selector", "button[type=submit]").click()
        st = wait_stats(drv, lambda s: s["transport"] == "webrtc" and s["state"] == "live")
        assert st["state"] == "live" and "token=s3cret" in drv.current_url, st
        for query, transport in [("?token=s3cret", "webrtc"), ("?token=s3cret&transport=ws", "ws")]:
            drv.get(base + "/" + query)
            st = wait_stats(drv, lambda s: s["transport"] == transport and s["state"] == "live" and s["lastRecord"])
            assert st["transport"] == transport and st["state"] == "live" and st["errors"] == [], st
    finally:
        drv.quit()
        stop(p)
