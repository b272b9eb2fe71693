"""The viewer page never settles for less: on the WebSocket fallback it keeps trying WebRTC in the
background and moves back by itself once WebRTC works, with no gap in the picture.

The server runs in a network namespace the test makes, reached over a veth pair; iptables inside
that namespace blocks everything but the HTTP port (UDP, and TCP to any other port: whatever
candidates the answer holds, ICE over TCP included) and is then flushed."""
import contextlib
import json
import shutil
import time
import urllib.request

import pytest
from conftest import firewall, free_port, serve_in, veth_namespace
from test_serve import chromium, wait_stats


@pytest.fixture
def netns():
    """yields (name, our address, its address)"""
    if not shutil.which("iptables"):
        pytest.skip("a firewall inside the namespace needs iptables")
    with veth_namespace("pg") as (name, here, there, _):
        yield name, here, there


def health(base):
    with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
        return json.loads(r.read())


def test_websocket_to_webrtc_upgrade_after_udp_comes_back(rtd, netns):
    ns, _, there = netns
    port = free_port()
    # Nothing reaches the server but its HTTP port: no UDP, no other TCP port (ICE over TCP too).
    firewall(ns, "-A", "INPUT", "-i", "vpg0", "-p", "tcp", "--dport", str(port), "-j", "ACCEPT")
    firewall(ns, "-A", "INPUT", "-i", "vpg0", "-p", "udp", "-j", "DROP")
    firewall(ns, "-A", "INPUT", "-i", "vpg0", "-p", "tcp", "-j", "DROP")
    drv = None
    with serve_in(ns, rtd, there, port, "--camera", "cam0=testsrc", "--size", "320x240", "--ws-max-fps", "15"), \
         contextlib.ExitStack() as cleanup:
        cleanup.callback(lambda: drv and drv.quit())
        base = f"http://{there}:{port}"
        drv = chromium()
        drv.get(base + "/?webrtc_timeout_ms=3000")

        # On the fallback, saying why, and trying WebRTC again (an attempt fails while blocked).
        st = wait_stats(drv, lambda s: s["transport"] == "ws" and s["wsFrames"] > 10 and s["upgradeError"], timeout=40)
        assert st["transport"] == "ws" and st["state"] == "live" and st["upgradeAttempts"] >= 1, st
        assert st["fallbackReason"] == "WebRTC could not connect" and st["retrying"] and st["upgrades"] == 0, st
        badge = drv.find_element("id", "transport")
        assert badge.text == "WebSocket (fallback: WebRTC could not connect, retrying)", badge.text
        assert "tried again in the background" in badge.get_attribute("title")
        assert drv.execute_script("return document.getElementById('stage').dataset.transport") == "ws"

        firewall(ns, "-F", "INPUT")
        unblocked = time.monotonic()
        st = wait_stats(drv, lambda s: s["transport"] == "webrtc" and s["upgrades"] == 1 and s["rvfcFrames"] > 60, timeout=45)
        assert st["transport"] == "webrtc" and st["state"] == "live" and st["upgrades"] == 1, st
        took = time.monotonic() - unblocked
        assert st["fallback"] is None and st["fallbackReason"] is None and st["errors"][-1].startswith("WebRTC did not work"), st
        # A WebRTC badge (with or without the kind of path: "WebRTC (TCP)").
        assert drv.find_element("id", "transport").text.startswith("WebRTC")
        assert drv.execute_script("return document.getElementById('stage').dataset.transport") == "webrtc"

        # No gap in the picture: pictures went on appearing, from the WebSocket's canvas and then the
        # video, around the switch.
        at = st["upgradedAt"]
        around = [t for t in st["pictureTimes"] if at - 1500 <= t <= at + 1000]
        before, after = [t for t in around if t < at], [t for t in around if t >= at]
        assert len(before) >= 5 and len(after) >= 10, (before, after)
        gaps = [b - a for a, b in zip(around, around[1:])]
        assert max(gaps) < 400, (max(gaps), around)

        # The video keeps advancing, and records keep arriving over the data channel, for the frames shown.
        t0 = drv.execute_script("return document.getElementById('video').currentTime")
        seen = st["dcMessages"]
        st = wait_stats(drv, lambda s: s["dcMessages"] > seen + 30 and s["exactMatches"] > 30)
        assert st["dcMessages"] > seen + 30 and st["lastRecord"]["camera"] == "cam0" and "rtp_timestamp" in st["lastRecord"], st
        assert st["exactMatches"] > 30, st
        assert drv.execute_script("return document.getElementById('video').currentTime") > t0 + 0.5
        # One WebRTC viewer on the server: the attempts that failed said goodbye (or were dropped).
        deadline = time.monotonic() + 10
        while health(base)["peers"] != 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert health(base)["peers"] == 1
        print(f"upgrade {took:.1f} s after unblocking; largest gap between pictures around it {max(gaps):.0f} ms")
