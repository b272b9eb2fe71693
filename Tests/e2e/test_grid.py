"""The viewer's grid in headless Chromium: every camera over ONE peer connection (a video per tile,
one data channel whose records name their camera). Each tile plays its own camera at full rate
with its own records drawn on the frame they belong to, the server counts one viewer per camera,
a tile opens the single view (the grid's session ends with a bye); the grid comes back after a
server restart; when its connection cannot work, each tile shows its WebSocket while the grid tries
its one connection again, and moves back to it when UDP comes back."""
import contextlib
import json
import shutil
import signal
import time
import urllib.request

import pytest
from conftest import firewall, free_port, serve_in, stop, veth_namespace
from test_serve import chromium, on_a_shape, wait_stats
from test_viewer import CHECK_SYNC, start

CAMERAS = ["a", "b", "c"]
SERVE_ARGS = ["--camera", "a=testsrc", "--camera", "b=testsrc:stamp", "--camera", "c=testsrc", "--size", "640x480"]


def grid_state(drv):
    return drv.execute_script("return {tiles: JSON.parse(JSON.stringify(window.rtdGrid || [])),"
                              " conn: window.rtdGridConnection && JSON.parse(JSON.stringify(window.rtdGridConnection)),"
                              " now: performance.now()}")


def wait_grid(drv, cond, timeout=30):
    """The grid's state once `cond(tiles, conn)` holds, else the last one seen."""
    deadline = time.monotonic() + timeout
    while True:
        g = grid_state(drv)
        if (g["tiles"] and cond(g["tiles"], g["conn"])) or time.monotonic() > deadline:
            return g
        time.sleep(0.2)


def viewers(base, part=None):
    """GET /api/cameras: (WebRTC viewers, WebSocket viewers) by camera; `part` 0 or 1: only that."""
    with urllib.request.urlopen(base + "/api/cameras", timeout=5) as r:
        both = {c["name"]: (c["viewers"], c["ws_viewers"]) for c in json.loads(r.read())["cameras"]}
    return both if part is None else {n: v[part] for n, v in both.items()}


def wait_viewers(base, want, timeout=10, part=None):
    deadline = time.monotonic() + timeout
    while (got := viewers(base, part)) != want and time.monotonic() < deadline:
        time.sleep(0.2)
    return got


def own_records(t):
    return (t["lastRecord"] and t["lastRecord"]["camera"] == t["camera"]
            and t["overlayRecord"] and t["overlayRecord"]["camera"] == t["camera"])


def severe(drv):
    return [l for l in drv.get_log("browser") if l["level"] == "SEVERE" and "favicon" not in l["message"]]


# testsrc:stamp (camera b) has its timestamp strip in the top rows, testsrc (a, c) does not: which
# camera a tile's <video> really shows. [bright, dark] pixels of rows 2..9.
STRIP = """
const v = document.querySelectorAll('#grid video')[arguments[0]], c = document.createElement('canvas');
c.width = v.videoWidth; c.height = v.videoHeight;
const x = c.getContext('2d'); x.drawImage(v, 0, 0);
const d = x.getImageData(0, 2, c.width, 8).data;
let hi = 0, lo = 0; for (let i = 0; i < d.length; i += 4) { if (d[i] > 200) hi++; if (d[i] < 50) lo++; }
return [hi, lo, v.paused, v.videoWidth];
"""


def tile_sync(drv, i):
    """CHECK_SYNC on tile i: the record painted on a frame of that tile, and its pixels."""
    script = (CHECK_SYNC.replace("document.getElementById('video')", f"document.querySelectorAll('#grid video')[{i}]")
              .replace("window.rtdStats", f"window.rtdGrid[{i}]"))
    return drv.execute_async_script(script)


def test_grid_plays_every_camera_over_one_peer_connection(rtd, tmp_path):
    port = free_port()
    p = start(rtd, port, *SERVE_ARGS)
    base = f"http://127.0.0.1:{port}"
    drv = chromium()
    try:
        drv.set_window_size(1280, 900)
        drv.set_script_timeout(15)
        drv.get(base + "/?view=grid")
        g = wait_grid(drv, lambda ts, c: all(t["framesDecoded"] > 60 and own_records(t) and t["state"] == "live" for t in ts),
                      timeout=40)
        tiles, conn = g["tiles"], g["conn"]
        assert [t["camera"] for t in tiles] == CAMERAS, tiles
        assert all(t["framesDecoded"] > 60 and t["state"] == "live" for t in tiles), tiles
        assert all(own_records(t) for t in tiles), [(t["camera"], t["lastRecord"], t["overlayRecord"]) for t in tiles]
        assert conn["peerConnections"] == 1 and conn["sessionID"] and conn["state"] == "live", conn
        for t in tiles:
            assert t["transport"] == "webrtc" and t["connected"] and t["width"] == 640 and t["codec"], t
            # The track the server gave this tile is its camera's stream.
            assert t["streamId"] == "rtd-" + t["camera"] and t["mid"] is not None, t
        assert len({t["mid"] for t in tiles}) == len(tiles)

        # Each tile at the camera's rate (30 fps): frames decoded over a window of at least 3 s (the
        # page's own clock), waited for as a sliding window (the machine is shared: a stall of
        # another process may slow one window down), and the browser's own per-video figure.
        samples, best = [g], None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.2)
            samples.append(grid_state(drv))
            last = samples[-1]
            first = max((x for x in samples if last["now"] - x["now"] >= 3000), key=lambda x: x["now"], default=None)
            if first is None:
                continue
            seconds = (last["now"] - first["now"]) / 1000
            rates = [(b["framesDecoded"] - a["framesDecoded"]) / seconds for a, b in zip(first["tiles"], last["tiles"])]
            if best is None or min(rates) > min(best[0]):
                best = (rates, first, last, seconds)
            if min(rates) >= 25:
                break
        rates, first, g, seconds = best
        print("grid fps per tile:", [round(r, 1) for r in rates], "over", round(seconds, 2), "s")
        assert all(r >= 25 for r in rates), rates
        fps = wait_grid(drv, lambda ts, c: all(t["fps"] >= 25 for t in ts), timeout=10)["tiles"]
        assert all(t["fps"] >= 25 for t in fps), [t["fps"] for t in fps]
        # Mostly exact matches over that window: the records carry each camera's own RTP clock.
        # (Frames painted, requestVideoFrameCallback's, can be fewer than decoded ones: headless
        # Chromium on a busy machine presents fewer.)
        for a, b in zip(first["tiles"], g["tiles"]):
            exact = b["exactMatches"] - a["exactMatches"]
            painted = exact + b["nearMatches"] - a["nearMatches"] + b["unmatchedFrames"] - a["unmatchedFrames"]
            assert painted >= 30 and exact >= 0.5 * painted, (b["camera"], exact, painted)

        # The frame on screen in each tile and the record painted on it are the same frame: the
        # white bar is where that record's pts puts it, and so are the boxes.
        for i, name in enumerate(CAMERAS):
            samples = tile_sync(drv, i)
            assert len(samples) >= 8, (name, samples)
            assert all(s["match"] in ("exact", "late") for s in samples), (name, samples)
            assert sum(min(s["px"]) > 200 for s in samples) >= len(samples) - 1, (name, samples)
            # Motion in b's timestamp strip (the rows above the shapes, which start at row 24) is
            # real motion the detector reports, on no shape.
            drawn = [(s["pts"], b) for s in samples for b in s["boxes"] if b[1] + b[3] > 24]
            on = [on_a_shape(b, 640, 480, pts) for pts, b in drawn]
            assert drawn and sum(on) >= 0.9 * len(on), (name, sum(on), len(on), drawn)
        # And each tile's <video> shows its own camera: only b has the timestamp strip.
        for i, name in enumerate(CAMERAS):
            hi, lo, paused, width = drv.execute_script(STRIP, i)
            assert not paused and width == 640, name
            assert (min(hi, lo) > 200) == (name == "b"), (name, hi, lo)
        drv.save_screenshot(str(tmp_path / "grid.png"))

        # The server agrees: one WebRTC viewer of each camera, nothing on the WebSocket.
        assert wait_viewers(base, {n: (1, 0) for n in CAMERAS}) == {n: (1, 0) for n in CAMERAS}

        # A tile opens the single view of its camera; the grid's session ends (bye).
        drv.find_elements("css selector", "#grid .tile")[1].click()
        st = wait_stats(drv, lambda s: s["view"] == "single" and s["camera"] == "b" and s["transport"] == "webrtc"
                        and s["state"] == "live" and s["framesDecoded"] > 30)
        assert st["view"] == "single" and st["camera"] == "b" and st["framesDecoded"] > 30, st
        assert drv.execute_script("const v=document.getElementById('video'); return !v.paused && v.videoWidth") == 640
        assert "camera=b" in drv.current_url
        assert wait_viewers(base, {"a": (0, 0), "b": (1, 0), "c": (0, 0)}) == {"a": (0, 0), "b": (1, 0), "c": (0, 0)}
        assert drv.execute_script("return window.rtdGrid.length") == 0
        assert not severe(drv)
    finally:
        drv.quit()
        stop(p)


def test_grid_comes_back_over_one_connection_after_a_server_restart(rtd):
    port = free_port()
    p = start(rtd, port, *SERVE_ARGS[:4], "--size", "320x240")
    base = f"http://127.0.0.1:{port}"
    drv = chromium()
    try:
        drv.get(base + "/?view=grid")
        live = lambda ts, c: all(t["framesDecoded"] > 10 and t["state"] == "live" for t in ts) and c["state"] == "live"
        g = wait_grid(drv, live)
        assert live(g["tiles"], g["conn"]) and g["conn"]["peerConnections"] == 1, g
        before = g["conn"]["sessionID"]
        p.send_signal(signal.SIGKILL)   # no goodbye of any kind
        p.wait()
        g = wait_grid(drv, lambda ts, c: c["state"] != "live" and not any(t["connected"] for t in ts), timeout=20)
        assert g["conn"]["state"] != "live" and g["conn"]["peerConnections"] == 0, g["conn"]
        p = start(rtd, port, *SERVE_ARGS[:4], "--size", "320x240")
        back = lambda ts, c: live(ts, c) and all(t["reconnects"] >= 1 and t["codec"] and own_records(t) for t in ts)
        g = wait_grid(drv, back, timeout=30)
        assert back(g["tiles"], g["conn"]), g
        assert g["conn"]["peerConnections"] == 1 and g["conn"]["sessionID"] not in (None, before), g["conn"]
        assert all(t["transport"] == "webrtc" and own_records(t) for t in g["tiles"]), g["tiles"]
        assert wait_viewers(base, {"a": (1, 0), "b": (1, 0)}) == {"a": (1, 0), "b": (1, 0)}
        assert not severe(drv)
    finally:
        drv.quit()
        stop(p)


def test_grid_tiles_go_their_own_way_when_its_connection_cannot_work(rtd):
    """Chromium with no UDP but through a proxy and a server without ICE over TCP: the grid's one
    connection cannot connect, so after its timeout every tile is on its own WebSocket (and the grid
    tries its connection again); with ?transport=ws the grid does not try WebRTC at all."""
    port = free_port()
    p = start(rtd, port, *SERVE_ARGS[:4], "--size", "320x240", "--tcp-port", "false")
    base = f"http://127.0.0.1:{port}"
    drv = chromium(prefs={"webrtc.ip_handling_policy": "disable_non_proxied_udp"})
    try:
        drv.get(base + "/?view=grid&webrtc_timeout_ms=3000")
        on_ws = lambda ts, c: all(t["transport"] == "ws" and t["wsFrames"] > 5 and t["state"] == "live" for t in ts)
        g = wait_grid(drv, on_ws, timeout=20)
        assert on_ws(g["tiles"], g["conn"]) and g["conn"]["state"] == "per tile", g
        for t in g["tiles"]:
            assert t["fallbackReason"] == "WebRTC could not connect" and t["retrying"] and t["framesDecoded"] == 0, t
        # The server has each camera's WebSocket (a WebRTC viewer comes and goes with the grid's retries).
        assert wait_viewers(base, {"a": 1, "b": 1}, part=1) == {"a": 1, "b": 1}
        stats = drv.execute_script("return JSON.parse(JSON.stringify(window.rtdStats))")
        assert any("the grid's WebRTC connection did not work" in e for e in stats["errors"]), stats["errors"]

        drv.get(base + "/?view=grid&transport=ws")
        g = wait_grid(drv, on_ws, timeout=15)
        assert on_ws(g["tiles"], g["conn"]) and g["conn"] == {"peerConnections": 0, "sessionID": None, "state": "per tile"}, g
        assert all(t["fallbackReason"] is None and not t["retrying"] for t in g["tiles"]), g["tiles"]
        assert not severe(drv)
    finally:
        drv.quit()
        stop(p)


def test_grid_moves_back_to_one_connection_when_udp_comes_back(rtd):
    """Behind a firewall that lets only HTTP through, the grid's connection cannot work and every
    tile shows its WebSocket; the grid keeps trying its ONE connection in the background (not one
    per tile) and, once UDP passes again, it takes every tile over with no gap in the pictures."""
    if not shutil.which("iptables"):
        pytest.skip("a firewall inside the namespace needs iptables")
    port = free_port()
    with veth_namespace("gu") as (ns, _, there, _), \
            serve_in(ns, rtd, there, port, *SERVE_ARGS[:4], "--size", "320x240", "--ws-max-fps", "15"), \
            contextlib.ExitStack() as cleanup:
        firewall(ns, "-A", "INPUT", "-i", "vgu0", "-p", "tcp", "--dport", str(port), "-j", "ACCEPT")
        firewall(ns, "-A", "INPUT", "-i", "vgu0", "-p", "udp", "-j", "DROP")
        firewall(ns, "-A", "INPUT", "-i", "vgu0", "-p", "tcp", "-j", "DROP")
        base = f"http://{there}:{port}"
        drv = chromium()
        cleanup.callback(drv.quit)
        drv.get(base + "/?view=grid&webrtc_timeout_ms=3000")
        blocked = lambda ts, c: all(t["transport"] == "ws" and t["wsFrames"] > 10 and t["upgradeError"] for t in ts)
        g = wait_grid(drv, blocked, timeout=45)
        assert blocked(g["tiles"], g["conn"]) and g["conn"]["state"] == "per tile", g
        for t in g["tiles"]:
            assert t["fallbackReason"] == "WebRTC could not connect" and t["retrying"] and t["upgrades"] == 0, t
        badge = drv.find_element("id", "transport")
        assert badge.text == "WebSocket (fallback: WebRTC could not connect, retrying)", badge.text
        # The tiles make no connection of their own: at most the grid's one attempt is open.
        assert g["conn"]["peerConnections"] <= 1, g["conn"]
        assert wait_viewers(base, {"a": 1, "b": 1}, part=1) == {"a": 1, "b": 1}

        firewall(ns, "-F", "INPUT")
        back = lambda ts, c: (c["peerConnections"] == 1 and c["state"] == "live" and
                              all(t["transport"] == "webrtc" and t["upgrades"] == 1 and t["rvfcFrames"] > 60 for t in ts))
        g = wait_grid(drv, back, timeout=60)
        assert back(g["tiles"], g["conn"]), g
        assert all(t["fallback"] is None and t["state"] == "live" for t in g["tiles"]), g["tiles"]
        assert drv.find_element("id", "transport").text.startswith("WebRTC")
        # One session for both cameras, and the WebSockets are gone.
        assert wait_viewers(base, {"a": (1, 0), "b": (1, 0)}) == {"a": (1, 0), "b": (1, 0)}
        # No gap in any tile's pictures around the switch (canvas, then video).
        for t in g["tiles"]:
            at = t["upgradedAt"]
            around = [x for x in t["pictureTimes"] if at - 1500 <= x <= at + 1000]
            gaps = [b - a for a, b in zip(around, around[1:])]
            assert len([x for x in around if x < at]) >= 5 and len([x for x in around if x >= at]) >= 10, (t["camera"], around)
            assert max(gaps) < 400, (t["camera"], max(gaps), around)
        # Each tile draws its own camera's records on its frames.
        g = wait_grid(drv, lambda ts, c: all(own_records(t) and t["exactMatches"] > 20 for t in ts))
        assert all(own_records(t) and t["exactMatches"] > 20 for t in g["tiles"]), g["tiles"]
        assert not severe(drv)
