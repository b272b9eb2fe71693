#!/usr/bin/env python3
"""rtd serve with N aiortc viewers connecting at once: offer-to-first-frame, glass-to-glass latency
(from the testsrc:stamp timestamp strip), frames/s per viewer, and server CPU and RSS, for N = 1, 4, 16
at 640x480@30 and 1280x720@30. The aiortc client releases frames at the RTP marker bit (see
Tests/e2e/peers.py) so its own buffering does not add a frame interval.

Note: every viewer is a real aiortc peer decoding every frame in this same 2-core machine; at 16
viewers of 720p the clients' decoding, not the server, saturates the CPU, which shows up as lower
client fps and higher latency. Server CPU is measured from /proc for the server process alone.
Usage: bench/serve.py [--codec vp8|h264] [--seconds 6] [--sizes 640x480,1280x720] [--viewers 1,4,16]"""
import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "e2e"))
from common import RTD  # noqa: E402
from peers import Viewer, release_frames_at_marker  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--codec", default="h264")
ap.add_argument("--seconds", type=float, default=6)
ap.add_argument("--sizes", default="640x480,1280x720")
ap.add_argument("--viewers", default="1,4,16")
args = ap.parse_args()
release_frames_at_marker()
TICK = os.sysconf("SC_CLK_TCK")


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


async def measure(base, pid, n):
    viewers = [Viewer(base, codec=args.codec, data_channel=False) for _ in range(n)]
    await asyncio.gather(*(v.start() for v in viewers))
    await asyncio.gather(*(v.wait_frames(1, timeout=10) for v in viewers))
    await asyncio.sleep(1.0)  # settle
    for v in viewers:
        v.latencies_ms.clear()
    f0 = [v.frames for v in viewers]
    c0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(args.seconds)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    fps = [(v.frames - a) / (t1 - t0) for v, a in zip(viewers, f0)]
    first = [1000 * (v.first_frame_at - v.offer_at) for v in viewers if v.first_frame_at]
    lat = [x for v in viewers for x in v.latencies_ms]
    rss = rss_mb(pid)
    for v in viewers:
        await v.bye()
        await v.close()
    return {"first_p50": statistics.median(first) if first else float("nan"), "lat_p50": pct(lat, 0.5),
            "lat_p95": pct(lat, 0.95), "fps_min": min(fps), "fps_mean": statistics.mean(fps),
            "cpu": 100 * (c1 - c0) / (t1 - t0), "rss": rss}


async def measure_warmup(base):
    v = Viewer(base, codec=args.codec, data_channel=False)
    await v.start()
    await v.wait_frames(5, timeout=10)
    await v.bye()
    await v.close()


def main():
    print(f"rtd serve, {args.codec}, aiortc viewers connecting at once, {args.seconds:g} s per run")
    print(f"{'size':>9} {'viewers':>7} {'first frame p50 ms':>18} {'latency p50/p95 ms':>19} {'fps min/mean':>13} "
          f"{'server CPU %':>12} {'RSS MB':>7}")
    for size in args.sizes.split(","):
        port = 18000 + os.getpid() % 1000
        p = subprocess.Popen([RTD, "serve", "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=testsrc:stamp",
                              "--size", size, "--codec", args.codec, "--bitrate", "2500" if size != "640x480" else "1200"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        p.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        idle_rss = rss_mb(p.pid)
        try:
            # aiortc's first connection in a process pays its own start-up (imports, crypto set-up):
            # one unmeasured viewer first, so figures are the server's, not the client's cold start.
            asyncio.run(measure_warmup(base))
            for n in [int(x) for x in args.viewers.split(",")]:
                r = asyncio.run(measure(base, p.pid, n))
                print(f"{size:>9} {n:7} {r['first_p50']:18.1f} {r['lat_p50']:9.1f}/{r['lat_p95']:<9.1f} "
                      f"{r['fps_min']:6.1f}/{r['fps_mean']:<6.1f} {r['cpu']:12.1f} {r['rss']:7.1f}")
                time.sleep(0.5)
        finally:
            p.terminate()
            p.wait()
        print(f"{'':>9} (server RSS with no viewer: {idle_rss:.1f} MB)")


main()
