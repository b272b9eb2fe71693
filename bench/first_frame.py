#!/usr/bin/env python3
"""Offer → first frame, per client, against rtd serve and the aiortc server, side by side in one run.

Clients: aiortc (tests' Viewer: decodes, releases a frame at the RTP marker), `rtd signal` (offer →
first decoded frame, from its --stats), headless Chromium and Firefox ESR (bench/first_frame.html:
offer sent → first requestVideoFrameCallback, served from a local proxy so the page is same-origin
with whichever server). Each client joins --trials times in a row, alone; then --burst aiortc viewers
join at once (two client processes, as bench/serve.py does). p50/p95 in ms.

Firefox gathers no loopback candidates, so every server runs inside a network namespace this script
makes (veth pair, /30) and every client reaches it over the veth: the same path for all of them.
Needs root and iproute2. The aiortc server is bench/aiortc_server_baseline.py fed by `rtd capture`.
Usage: bench/first_frame.py [--servers rtd,aiortc] [--clients aiortc,rtd,chromium,firefox]
                            [--size 1280x720] [--codec h264] [--trials 8] [--burst 16]
A server named rtd=PATH is another rtd binary (before/after in one run)."""
import argparse
import asyncio
import http.server
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "e2e"))
from common import RTD, free_port, stop  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--servers", default="rtd,aiortc")
ap.add_argument("--clients", default="aiortc,rtd,chromium,firefox")
ap.add_argument("--size", default="1280x720")
ap.add_argument("--codec", default="h264")
ap.add_argument("--trials", type=int, default=8)
ap.add_argument("--burst", type=int, default=16, help="aiortc viewers joining at once (0: none)")
args = ap.parse_args()
PY = sys.executable


def pct(xs, p):
    xs = sorted(x for x in xs if x is not None)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))] if xs else float("nan")


class Netns:
    def __init__(self):
        tag = f"{os.getpid() % 100000}{random.randrange(100)}"
        self.name, self.here_if = f"rtdbf{tag}", f"vbf{tag}"
        net = f"10.{random.randrange(200, 250)}.{random.randrange(256)}"
        self.here, self.there = f"{net}.1", f"{net}.2"
        self.ip("netns", "add", self.name)
        self.ip("link", "add", self.here_if, "type", "veth", "peer", "name", "vbf0", "netns", self.name)
        self.ip("addr", "add", f"{self.here}/30", "dev", self.here_if)
        self.ip("link", "set", self.here_if, "up")
        self.ip("-n", self.name, "addr", "add", f"{self.there}/30", "dev", "vbf0")
        self.ip("-n", self.name, "link", "set", "vbf0", "up")
        self.ip("-n", self.name, "link", "set", "lo", "up")
        # Replies reach every address of this host (a client's checks from its other interfaces too).
        self.ip("-n", self.name, "route", "add", "default", "via", self.here)

    @staticmethod
    def ip(*a):
        subprocess.run(["ip", *a], check=True, capture_output=True)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def start_server(server, ns, port, log):
    """Processes to stop, and the base URL. rtd logs each peer's join timeline to `log`."""
    kbps = "2500" if args.size != "640x480" else "1200"
    inside = ["ip", "netns", "exec", ns.name]
    if server == "rtd" or server.startswith("rtd="):
        binary = RTD if server == "rtd" else server[4:]
        p = subprocess.Popen(inside + [binary, "serve", "--host", ns.there, "--port", str(port), "--camera", "cam0=testsrc:stamp",
                                       "--size", args.size, "--fps", "30", "--bitrate", kbps,
                                       "--detector", "motion", "--log-level", "debug"], stdout=subprocess.PIPE, stderr=log, text=True)
        p.stdout.readline()
        return [p], f"http://{ns.there}:{port}"
    cap = subprocess.Popen([RTD, "capture", "testsrc:stamp", "--size", args.size, "--fps", "30", "-q"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p = subprocess.Popen(inside + [PY, os.path.join(HERE, "aiortc_server_baseline.py"), str(port), "--host", ns.there,
                                   "--codec", "any", "--bitrate", kbps, "--detector", "motion",
                                   *(["--x264-preset", "ultrafast"] if server == "aiortc-ultrafast" else [])],
                         stdin=cap.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    cap.stdout.close()
    p.stdout.readline()
    return [p, cap], f"http://{ns.there}:{port}"


def join_timeline(log, since):
    """rtd's own view of the joins logged after byte `since`: p50 ms from offer to first ICE check,
    DTLS connected and first keyframe sent. Against the client's figure, this splits what the server
    takes from what the client adds (its DTLS, reassembly, decoding, painting)."""
    log.seek(since)
    text = log.read().decode(errors="replace")
    out = {}
    for key, pattern in (("ice", "first ICE check"), ("dtls", "DTLS connected"), ("key", "first keyframe sent")):
        xs = [int(x) for x in re.findall(pattern + r" (\d+) ms after the offer", text)]
        out[key] = pct(xs, 0.5) if xs else None
    return out


def post(base, body):
    req = urllib.request.Request(base + "/api/webrtc/signal", json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


# ---- clients: each returns one trial's first-frame ms (None: no frame) ----

async def aiortc_trial(base):
    from peers import Viewer, release_frames_at_marker
    release_frames_at_marker()
    v = Viewer(base, codec=args.codec, data_channel=True)
    try:
        await v.start()
        await v.wait_frames(1, timeout=15)
        return 1000 * (v.first_frame_at - v.offer_at) if v.first_frame_at else None
    finally:
        await v.leave()


def rtd_trial(base):
    p = subprocess.run([RTD, "signal", base, "--camera", "cam0", "--codec", args.codec, "--frames", "1", "--stats", "--json",
                        "--detections-out", "/dev/null", "--frames-out", "/dev/null"], capture_output=True, timeout=30)
    lines = p.stderr.decode().strip().splitlines()
    return json.loads(lines[-1]).get("first_frame_ms") if p.returncode == 0 and lines else None


class PageProxy:
    """Serves first_frame.html and forwards its signaling to the server under test."""

    def __init__(self):
        page = open(os.path.join(HERE, "first_frame.html"), "rb").read()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, fmt, *a):
                if os.environ.get("FIRST_FRAME_DEBUG"):
                    sys.stderr.write("proxy: " + fmt % a + "\n")

            def do_GET(self):
                self.reply(200, "text/html", page)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                req = urllib.request.Request(proxy.target + "/api/webrtc/signal", body, {"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        self.reply(r.status, "application/json", r.read())
                except urllib.error.HTTPError as e:
                    self.reply(e.code, "application/json", e.read())

            def reply(self, status, kind, data):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.target = None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"


def browser_trials(kind, proxy, base, n):
    proxy.target = base
    # Headless Firefox ESR has no H.264 until it downloads Cisco's OpenH264 plugin: VP8 there.
    url = f"{proxy.url}?codec={'vp8' if kind == 'firefox' else args.codec}"
    out = []
    if kind == "chromium":
        from test_serve import chromium
        drv = chromium()
        try:
            for _ in range(n):
                drv.get(url)
                r = wait(lambda: drv.execute_script("return window.result"))
                if not r or "error" in r:
                    print(f"chromium: {r}", file=sys.stderr)
                out.append(r and r.get("first_ms"))
                if r and r.get("session_id"):
                    post(base, {"type": "bye", "session_id": r["session_id"]})
                drv.get("about:blank")
        finally:
            drv.quit()
    else:
        from firefox import Firefox
        ff = Firefox()
        try:
            for _ in range(n):
                tab = ff.open_tab(url)
                r = wait(lambda: ff.evaluate(tab, "window.result"))
                if not r or "error" in r:
                    print(f"firefox: {r}", file=sys.stderr)
                out.append(r and r.get("first_ms"))
                if r and r.get("session_id"):
                    post(base, {"type": "bye", "session_id": r["session_id"]})
                ff.close_tab(tab)
        finally:
            ff.quit()
    return out


def wait(read, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = read()
        if r:
            return r
        time.sleep(0.02)
    return None


async def burst_part(base, n, start_at):
    from peers import Viewer, light_viewers, release_frames_at_marker
    release_frames_at_marker()
    light_viewers()
    await asyncio.sleep(max(0, start_at - time.time()))
    viewers = [Viewer(base, codec=args.codec, data_channel=True, light=True) for _ in range(n)]
    await asyncio.gather(*(v.start() for v in viewers), return_exceptions=True)
    await asyncio.gather(*(v.wait_frames(1, timeout=20) for v in viewers))
    first = [1000 * (v.first_frame_at - v.offer_at) if v.first_frame_at else None for v in viewers]
    await asyncio.gather(*(v.leave() for v in viewers))
    return first


def run_burst_part(part):
    return asyncio.run(burst_part(*part))


def burst(base, n):
    start_at = time.time() + 1.5
    shares = [n // 2 + (1 if i < n % 2 else 0) for i in range(2)]
    with ProcessPoolExecutor(2) as pool:
        return [x for part in pool.map(run_burst_part, [(base, s, start_at) for s in shares]) for x in part]


def main():
    if os.geteuid() != 0 or not shutil.which("ip"):
        raise SystemExit("bench/first_frame.py needs root and iproute2 (it makes a network namespace)")
    clients = [c for c in args.clients.split(",") if c]
    ns = Netns()
    proxy = PageProxy() if {"chromium", "firefox"} & set(clients) else None
    rows = []
    try:
        for server in args.servers.split(","):
            log = tempfile.TemporaryFile()
            procs, base = start_server(server, ns, free_port(), log)
            timeline = (lambda since: join_timeline(log, since)) if server.startswith("rtd") else (lambda since: None)
            try:
                # Each server's own first connection pays its start-up; not measured.
                asyncio.run(aiortc_trial(base))
                for client in clients:
                    since = log.seek(0, os.SEEK_END)
                    if client == "aiortc":
                        ms = [asyncio.run(aiortc_trial(base)) for _ in range(args.trials)]
                    elif client == "rtd":
                        ms = [rtd_trial(base) for _ in range(args.trials)]
                    else:
                        ms = browser_trials(client, proxy, base, args.trials)
                    rows.append((server, client, 1, ms, timeline(since)))
                    print(f"{server:>10} {client:>9} x1: {[None if x is None else round(x) for x in ms]}", file=sys.stderr)
                if args.burst:
                    since = log.seek(0, os.SEEK_END)
                    ms = burst(base, args.burst)
                    rows.append((server, "aiortc", args.burst, ms, timeline(since)))
                    print(f"{server:>10} aiortc x{args.burst} at once: {sorted(round(x) for x in ms if x is not None)}",
                          file=sys.stderr)
            finally:
                stop(procs)
    finally:
        ns.close()
    print(f"\nfirst frame, offer → first frame ms, {args.size} {args.codec} (Firefox: VP8), server in a netns over veth "
          f"({args.trials} joins in a row; the burst joins at once)")
    print(f"{'server':>10} {'client':>9} {'joining':>7} {'p50':>6} {'p95':>6} {'min':>6} {'max':>6} {'no frame':>8}"
          f"   server's p50: ICE check / DTLS up / keyframe sent")
    for server, client, n, ms, tl in rows:
        got = [x for x in ms if x is not None]
        side = f"   {tl['ice']:>5} / {tl['dtls']:>5} / {tl['key']:>5}" if tl else ""
        print(f"{server:>10} {client:>9} {n:>7} {pct(got, .5):6.0f} {pct(got, .95):6.0f} "
              f"{min(got, default=float('nan')):6.0f} {max(got, default=float('nan')):6.0f} {len(ms) - len(got):>8}{side}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
