#!/usr/bin/env python3
"""rtd serve against a Python aiortc server doing the same job on the same input, in one run:
N aiortc viewers connect at once (N = 1, 4, 16, 32 at 1280x720@30 H.264 by default) and each server
is measured in turn: server CPU and RSS (/proc, server process only), offer-to-first-frame p50/p95,
glass-to-glass latency p50/p95 (from the testsrc:stamp timestamp strip), frames/s per viewer
(min/median) and received Mbit/s per viewer. Then the ratios, aiortc CPU / rtd CPU at each N.

Servers: rtd (`rtd serve --camera cam0=testsrc:stamp`: one capture, one encoder per codec, however
many viewers), aiortc (bench/aiortc_server_baseline.py fed by `rtd capture testsrc:stamp` through a
pipe: aiortc's server example with MediaRelay; aiortc encodes once per viewer, with libx264's default
preset) and aiortc-ultrafast (the same with rtd's x264 preset, to separate design from settings).
The baseline's CPU excludes the `rtd capture` process that feeds it (printed apart), which favours it.

Every viewer is a real aiortc peer (ICE, DTLS, SRTP, RTCP, frame reassembly), spread over 2 client
processes. The first --decoding viewers also decode every frame and read the stamp (latency); the
others only count frames, because 16 Python H.264 decoders on this 2-core machine would measure the
clients instead of the server. The aiortc client releases frames at the RTP marker bit (see
Tests/e2e/peers.py) so its own buffering adds no frame interval to either server. A server that
cannot keep up still gets its row: viewers that never connect or never see a frame count as 0 fps.
--data-channel makes every viewer open rtd's channel, so both servers also run motion detection.
A server named `rtd=PATH` is another rtd binary (an earlier build, say), run like `rtd`, so a
change is measured before and after in one run: --servers rtd,rtd=/tmp/rtd-before.
Then, unless --first-frame '' is given, bench/first_frame.py's table: offer → first frame for each
client (aiortc, rtd signal, headless Chromium and Firefox) against the same servers.
Usage: bench/serve.py [--servers rtd,aiortc,aiortc-ultrafast] [--viewers 1,4,16,32] [--sizes 1280x720]
                      [--seconds 6] [--decoding 2] [--codec h264] [--data-channel] [--first-frame CLIENTS]"""
import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "e2e"))
from common import RTD  # noqa: E402
from peers import Viewer, light_viewers, release_frames_at_marker  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--servers", default="rtd,aiortc,aiortc-ultrafast")
ap.add_argument("--viewers", default="1,4,16,32")
ap.add_argument("--sizes", default="1280x720")
ap.add_argument("--seconds", type=float, default=6, help="measuring window per run")
ap.add_argument("--warmup", type=float, default=4, help="seconds from the offers to the window")
ap.add_argument("--decoding", type=int, default=2)
ap.add_argument("--codec", default="h264")
ap.add_argument("--data-channel", action="store_true")
ap.add_argument("--first-frame", default="aiortc,rtd,chromium,firefox",
                help="then the first-frame rows of bench/first_frame.py for these clients ('' to skip)")
args = ap.parse_args()
TICK = os.sysconf("SC_CLK_TCK")
LOG = tempfile.TemporaryFile()  # rtd's stderr
PY = os.path.join(HERE, "..", ".venv", "bin", "python")


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


async def received_bytes(v):
    try:
        stats = await asyncio.wait_for(v.pc.getReceivers()[0].getStats(), 2)
        return sum(s.bytesReceived for s in stats.values() if s.type == "transport")  # SRTP, RTCP, STUN
    except Exception:
        return 0


async def viewers_part(base, n, decoding, start_at, window):
    """One process's share of the viewers: offer at `start_at`, count frames and bytes over `window`."""
    release_frames_at_marker()
    light_viewers()
    await asyncio.sleep(max(0, start_at - time.time()))
    viewers = [Viewer(base, codec=args.codec, data_channel=args.data_channel, light=i >= decoding) for i in range(n)]
    stages = {}  # where each viewer's time to first frame goes: answer applied, ICE+DTLS connected

    def watch(v):
        v.pc.on("connectionstatechange", lambda: v.pc.connectionState == "connected" and
                stages.setdefault(("connected", id(v)), time.monotonic()))

    async def start(v):
        watch(v)
        await v.start()
        stages["answer", id(v)] = time.monotonic()

    started = await asyncio.gather(*(asyncio.wait_for(start(v), args.warmup + args.seconds) for v in viewers),
                                   return_exceptions=True)
    await asyncio.sleep(max(0, window[0] - time.time()))
    for v in viewers:
        v.latencies_ms.clear()
    f0, b0 = [v.frames for v in viewers], await asyncio.gather(*(received_bytes(v) for v in viewers))
    await asyncio.sleep(max(0, window[1] - time.time()))
    f1, b1 = [v.frames for v in viewers], await asyncio.gather(*(received_bytes(v) for v in viewers))
    span = window[1] - window[0]
    fps = [(b - a) / span for a, b in zip(f0, f1)]
    mbps = [8 * (b - a) / span / 1e6 for a, b in zip(b0, b1)]
    first = [1000 * (v.first_frame_at - v.offer_at) for v in viewers if v.first_frame_at]
    lat = [x for v in viewers for x in v.latencies_ms]
    failed = sum(isinstance(s, BaseException) for s in started)
    answer = [1000 * (stages["answer", id(v)] - v.offer_at) for v in viewers if ("answer", id(v)) in stages]
    connected = [1000 * (stages["connected", id(v)] - v.offer_at) for v in viewers if ("connected", id(v)) in stages]
    for v in viewers:
        await v.leave()
    return first, lat, fps, mbps, failed, answer, connected


def run_part(part):
    return asyncio.run(viewers_part(*part))


def measure(base, pid, n):
    # Two client processes, one per core: one Python process working through 16 handshakes and
    # decrypts in turn would add its own queueing to every viewer's first frame.
    procs = min(2, n)
    start_at = time.time() + 1.5
    window = (start_at + args.warmup, start_at + args.warmup + args.seconds)
    shares = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    decoding = [args.decoding // procs + (1 if i < args.decoding % procs else 0) for i in range(procs)]
    with ProcessPoolExecutor(procs) as pool:
        futures = [pool.submit(run_part, (base, shares[i], decoding[i], start_at, window)) for i in range(procs)]
        time.sleep(max(0, window[0] - time.time()))
        c0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(max(0, window[1] - time.time()))
        c1, t1 = cpu_seconds(pid), time.monotonic()
        rss = rss_mb(pid)
        results = [f.result(timeout=60) for f in futures]
    first = [x for r in results for x in r[0]]
    fps = [x for r in results for x in r[2]]
    return {"first": first, "lat": [x for r in results for x in r[1]], "fps": fps, "mbps": [x for r in results for x in r[3]],
            "failed": sum(r[4] for r in results), "answer": [x for r in results for x in r[5]],
            "connected": [x for r in results for x in r[6]], "cpu": 100 * (c1 - c0) / (t1 - t0),
            # CPU per frame delivered to a viewer: a server that falls behind uses less CPU % only
            # because it delivers fewer frames.
            "us_per_frame": 1e6 * (c1 - c0) / max(1, sum(fps) * (t1 - t0)), "rss": rss}


async def warm_up(base):
    """aiortc's first connection in a process pays its own start-up (imports, crypto set-up), and so
    does each server's: one unmeasured viewer first, so figures are the steady state's."""
    v = Viewer(base, codec=args.codec, data_channel=False)
    await v.start()
    await v.wait_frames(5, timeout=15)
    await v.bye()
    await v.close()


def start(server, size, port):
    """(server pid, feeder pid or None, base URL, [processes to stop])."""
    kbps = "2500" if size != "640x480" else "1200"
    if server == "rtd" or server.startswith("rtd="):
        binary = RTD if server == "rtd" else server[4:]
        # Debug logging: rtd logs each peer's join timeline (see join_timeline), a few lines per peer.
        p = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=testsrc:stamp",
                              "--size", size, "--fps", "30", "--codec", args.codec, "--bitrate", kbps, "--detector", "motion",
                              "--log-level", "debug"], stdout=subprocess.PIPE, stderr=LOG, text=True)
        p.stdout.readline()
        return p.pid, None, f"http://127.0.0.1:{port}", [p]
    cap = subprocess.Popen([RTD, "capture", "testsrc:stamp", "--size", size, "--fps", "30", "-q"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    extra = ["--x264-preset", "ultrafast"] if server == "aiortc-ultrafast" else []
    p = subprocess.Popen([PY, os.path.join(HERE, "aiortc_server_baseline.py"), str(port), "--codec", args.codec,
                          "--bitrate", kbps, "--detector", "motion", *extra],
                         stdin=cap.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    cap.stdout.close()
    p.stdout.readline()
    return p.pid, cap.pid, f"http://127.0.0.1:{port}", [p, cap]


def join_timeline(since):
    """rtd's own view of the joins logged after byte `since`: ms from offer to first ICE check, to
    DTLS connected and to first keyframe sent, per peer. Against the client's time to first frame,
    this splits what the server takes from what the (Python, shared-CPU) clients add."""
    LOG.seek(since)
    text = LOG.read().decode(errors="replace")
    return {k: [int(x) for x in re.findall(pattern + r" (\d+) ms after the offer", text)]
            for k, pattern in (("ice", "first ICE check"), ("dtls", "DTLS connected"), ("key", "first keyframe sent"))}


def fmt(r, n, idle, one):
    first, lat, fps = r["first"], r["lat"], r["fps"]
    missing = f" ({n - len(first)} saw no frame)" if len(first) < n else ""
    missing += f" ({r['failed']} failed to connect)" if r["failed"] else ""
    marginal = f"{(r['rss'] - one) / (n - 1):5.2f}" if one is not None and n > 1 else f"{'':5}"
    return (f"{r['cpu']:6.1f} {r['us_per_frame']:6.0f} {r['rss']:7.1f} {(r['rss'] - idle) / n:6.2f} {marginal} "
            f"{pct(first, 0.5):6.0f}/{pct(first, 0.95):<5.0f} {pct(r['answer'], 0.5):5.0f}/{pct(r['connected'], 0.5):<5.0f} "
            f"{pct(lat, 0.5):5.0f}/{pct(lat, 0.95):<5.0f} {min(fps):5.1f}/{statistics.median(fps):<5.1f} "
            f"{statistics.mean(r['mbps']):5.2f}{missing}")


def main():
    servers = args.servers.split(",")
    counts = [int(x) for x in args.viewers.split(",")]
    results, notes, timelines = {}, [], {}
    started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load = open("/proc/loadavg").read().split()[:3]
    for size in args.sizes.split(","):
        for server in servers:
            port = 18000 + os.getpid() % 1000
            pid, feeder, base, procs = start(server, size, port)
            try:
                time.sleep(1)
                idle = rss_mb(pid)
                asyncio.run(warm_up(base))
                f0, t0 = (cpu_seconds(feeder), time.monotonic()) if feeder else (0, 0)
                for n in counts:
                    print(f"{server} {size} {n} viewers...", file=sys.stderr, flush=True)
                    since = LOG.seek(0, os.SEEK_END)
                    results[size, server, n] = (measure(base, pid, n), idle)
                    if server == "rtd":
                        timelines[size, n] = join_timeline(since)
                    time.sleep(1)
                if feeder:
                    notes.append(f"{server} {size}: `rtd capture` feeding it used {100 * (cpu_seconds(feeder) - f0) / (time.monotonic() - t0):.1f}% CPU (not counted)")
            finally:
                for p in procs:
                    p.kill()
                    p.wait()
            notes.append(f"{server} {size}: RSS with no viewer {idle:.1f} MB")

    print(f"{args.codec}, 30 fps, testsrc:stamp; aiortc viewers connecting at once ({args.decoding} decoding), "
          f"{args.seconds:g} s window after {args.warmup:g} s; started {started_at}, load average {' '.join(load)}")
    print(f"{'size':>9} {'server':>16} {'viewers':>7} {'CPU %':>6} {'µs CPU':>6} {'RSS MB':>7} {'MB/viewer':>12} "
          f"{'first frame ms':>12} {'answer/conn':>11} {'latency ms':>11} {'fps':>11} {'Mbit/s':>6}")
    print(f"{'':>9} {'':>16} {'':>7} {'':>6} {'/frame':>6} {'':>7} {'-idle -1vwr':>12} {'p50/p95':>12} {'ms p50':>11} "
          f"{'p50/p95':>11} {'min/median':>11} {'/viewer':>6}")
    for size in args.sizes.split(","):
        for n in counts:
            for server in servers:
                r, idle = results[size, server, n]
                one = results[size, server, 1][0]["rss"] if (size, server, 1) in results else None
                print(f"{size:>9} {server:>16} {n:7} {fmt(r, n, idle, one)}")
            if "rtd" in servers:
                rtd = results[size, "rtd", n][0]
                ratios = ", ".join(f"{s} / rtd: CPU {results[size, s, n][0]['cpu'] / max(rtd['cpu'], 0.1):.1f}x, "
                                   f"CPU per delivered frame {results[size, s, n][0]['us_per_frame'] / max(rtd['us_per_frame'], 1):.1f}x"
                                   for s in servers if s != "rtd")
                if ratios:
                    print(f"{'':>9} {'ratios':>16} {n:7} {ratios}")
    if timelines:
        print("rtd's own join timeline (its debug log), ms after the offer p50/p95: first ICE check, DTLS connected, "
              "first keyframe sent")
        for (size, n), t in timelines.items():
            print(f"{size:>9} {n:4} viewers: " + ", ".join(f"{pct(t[k], 0.5):.0f}/{pct(t[k], 0.95):.0f}" for k in ("ice", "dtls", "key")))
    for note in notes:
        print(note)
    if args.first_frame:
        # Every client's first frame against the same servers (its own run: it puts the servers in a
        # network namespace, since Firefox gathers no loopback candidates).
        sys.stdout.flush()
        subprocess.run([sys.executable, os.path.join(HERE, "first_frame.py"), "--servers", args.servers,
                        "--clients", args.first_frame, "--size", args.sizes.split(",")[0], "--codec", args.codec], check=False)


main()
