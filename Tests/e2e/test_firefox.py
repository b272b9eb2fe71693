"""Headless Firefox ESR as a viewer of `rtd serve` (see firefox.py for how it is driven).

Firefox gathers no loopback candidates, so the server runs in a network namespace the test makes,
reached from here over a veth pair: the browser's host candidate is this end's address."""
import contextlib
import json
import shutil
import tempfile
import time
import urllib.request

import pytest
from conftest import free_port, serve_in, stop, veth_namespace

pytestmark = pytest.mark.skipif(not shutil.which("firefox-esr"), reason="firefox-esr is not installed (scripts/setup --test-deps)")


@pytest.fixture
def netns():
    """yields (name, our address, its address)"""
    with veth_namespace("ff") as (name, here, there, _):
        yield name, here, there


def health(base):
    with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
        return json.loads(r.read())


def wait_for(read, cond, timeout):
    deadline = time.monotonic() + timeout
    value = read()
    while not cond(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    return value


def test_firefox_watches_and_closing_the_page_is_a_clean_goodbye(rtd, netns):
    from firefox import Firefox
    name, _, there = netns
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    browser = None
    with serve_in(name, rtd, there, port, "--camera", "cam0=testsrc", "--size", "320x240", "--log-format", "json",
                  "--log-level", "debug", stderr=log) as (server, _):
        try:
            base = f"http://{there}:{port}"
            browser = Firefox()
            tab = browser.open_tab(base + "/")

            def stats():
                return browser.evaluate(tab, "window.rtdStats")
            st = wait_for(stats, lambda s: s and s["framesDecoded"] > 0 and s["lastRecord"], timeout=30)
            assert st and st["connected"] and st["codec"] == "video/VP8", st
            decoded = st["framesDecoded"]
            st = wait_for(stats, lambda s: s["framesDecoded"] >= decoded + 20, timeout=15)
            assert st["framesDecoded"] >= decoded + 20, "Firefox keeps decoding"
            assert st["lastRecord"]["camera"] == "cam0" and "rtp_timestamp" in st["lastRecord"], st
            assert health(base)["peers"] == 1

            browser.close_tab(tab)
            peers = wait_for(lambda: health(base)["peers"], lambda n: n == 0, timeout=15)
            assert peers == 0, "the peer is removed when its page closes"
            # Anything logged about the closed peer has been written by now: its removal is the last step.
            stop(server)
            log.seek(0)
            entries = [json.loads(l) for l in log if l.startswith("{")]
            gone = [e for e in entries if e.get("message") == "peer gone"]
            assert len(gone) == 1, entries
            # A normal close is told at debug level at most; anything above names no failure.
            noisy = [e for e in entries if e.get("level") not in ("trace", "debug") and (
                     e.get("level") in ("warning", "error", "critical")
                     or any(word in e.get("message", "") for word in ("streamResetFailed", "sendFailed", "protocol error")))]
            assert not noisy, (noisy, [e["message"] for e in entries[-12:]])
        finally:
            if browser:
                browser.quit()


def test_firefox_overlay_in_step_and_camera_switch(rtd, netns):
    """VP8 and the data channel in Firefox: the overlay drawn on a frame is that frame's record
    (same RTP timestamp, and testsrc's white bar where the record's pts puts it), and switching
    camera keeps one connection and brings the other camera's pictures and records."""
    from firefox import Firefox
    from test_viewer import CHECK_SYNC, boxes_on_shapes
    name, _, there = netns
    port = free_port()
    browser = None
    with serve_in(name, rtd, there, port, "--camera", "a=testsrc", "--camera", "b=testsrc:stamp", "--size", "640x480"), \
         contextlib.ExitStack() as cleanup:
        cleanup.callback(lambda: browser and browser.quit())
        browser = Firefox()
        tab = browser.open_tab(f"http://{there}:{port}/")

        def stats():
            return browser.evaluate(tab, "window.rtdStats")
        st = wait_for(stats, lambda s: s and s["transport"] == "webrtc" and s["framesDecoded"] > 30 and s["exactMatches"] > 20,
                      timeout=30)
        assert st["codec"] == "video/VP8" and st["camera"] == "a" and st["exactMatches"] > 20, st
        samples = browser.evaluate_promise(tab, CHECK_SYNC.replace("const done = arguments[arguments.length - 1];", ""))
        assert len(samples) >= 8, samples
        assert all(s["match"] in ("exact", "late") for s in samples), samples
        assert sum(min(s["px"]) > 200 for s in samples) >= len(samples) - 1, samples
        drawn, on = boxes_on_shapes(samples)
        assert drawn and sum(on) >= 0.9 * len(on), drawn

        browser.evaluate(tab, "(() => { const s = document.getElementById('camera'); s.value = 'b';"
                              " s.dispatchEvent(new Event('change')); return true; })()")
        st = wait_for(stats, lambda s: s["camera"] == "b" and s["lastRecord"] and s["lastRecord"]["camera"] == "b"
                      and s["overlayRecord"], timeout=15)
        assert st["camera"] == "b" and {"type": "subscribed", "camera": "b"} in st["replies"], st
        assert st["reconnects"] == 0, st
        decoded = st["framesDecoded"]
        st = wait_for(stats, lambda s: s["framesDecoded"] > decoded + 20, timeout=15)
        assert st["framesDecoded"] > decoded + 20, "Firefox keeps decoding after the switch"
        # testsrc:stamp (camera b) has its timestamp strip in the top rows; testsrc (a) does not.
        strip = browser.evaluate(tab, "(() => { const v = document.getElementById('video'), c = document.createElement('canvas');"
                                      " c.width = 640; c.height = 480; const x = c.getContext('2d'); x.drawImage(v, 0, 0);"
                                      " const d = x.getImageData(0, 2, 640, 8).data; let hi = 0, lo = 0;"
                                      " for (let i = 0; i < d.length; i += 4) { if (d[i] > 200) hi++; if (d[i] < 50) lo++; }"
                                      " return [hi, lo]; })()")
        assert min(strip) > 200, strip
