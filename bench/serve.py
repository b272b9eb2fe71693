#!/usr/bin/env python3
"""rtd serve with N aiortc viewers connecting at once: offer-to-first-frame, glass-to-glass latency
(from the testsrc:stamp timestamp strip), frames/s per viewer, and server CPU and RSS, for N = 1, 4, 16
at 640x480@30 and 1280x720@30. The aiortc client releases frames at the RTP marker bit (see
Tests/e2e/peers.py) so its own buffering does not add a frame interval.

Every viewer is a real aiortc peer (ICE, DTLS, SRTP, RTCP, frame reassembly). The first
--decoding viewers also decode every frame and read the stamp (latency); the others only count
frames, because 16 Python H.264 decoders on this 2-core machine would saturate it and measure the
clients instead of the server (--decoding 16 shows that). Server CPU is /proc for the server alone.
Usage: bench/serve.py [--codec vp8|h264] [--seconds 6] [--sizes 640x480,1280x720] [--viewers 1,4,16] [--decoding 2]"""
import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "e2e"))
from common import RTD  # noqa: E402
from peers import Viewer, light_viewers, release_frames_at_marker  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--codec", default="h264")
ap.add_argument("--seconds", type=float, default=6)
ap.add_argument("--sizes", default="640x480,1280x720")
ap.add_argument("--viewers", default="1,4,16")
ap.add_argument("--decoding", type=int, default=2)
args = ap.parse_args()
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


async def viewers_part(base, n, decoding, start_at, window):
    """One process's share of the viewers: connect at `start_at`, count frames over `window`."""
    release_frames_at_marker()
    light_viewers()
    await asyncio.sleep(max(0, start_at - time.time()))
    viewers = [Viewer(base, codec=args.codec, data_channel=False, light=i >= decoding) for i in range(n)]
    await asyncio.gather(*(v.start() for v in viewers))
    await asyncio.gather(*(v.wait_frames(1, timeout=10) for v in viewers))
    await asyncio.sleep(max(0, window[0] - time.time()))
    for v in viewers:
        v.latencies_ms.clear()
    f0 = [v.frames for v in viewers]
    await asyncio.sleep(max(0, window[1] - time.time()))
    fps = [(v.frames - a) / (window[1] - window[0]) for v, a in zip(viewers, f0)]
    first = [1000 * (v.first_frame_at - v.offer_at) for v in viewers if v.first_frame_at]
    lat = [x for v in viewers for x in v.latencies_ms]
    for v in viewers:
        await v.bye()
        await v.close()
    return first, lat, fps


def run_part(part):
    return asyncio.run(viewers_part(*part))


def measure(base, pid, n):
    # Two client processes, one per core: one Python process working through 16 handshakes and
    # decrypts in turn would add its own queueing to every viewer's first frame.
    procs = min(2, n)
    start_at = time.time() + 1.5
    window = (start_at + 3.0, start_at + 3.0 + args.seconds)
    shares = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    decoding = [args.decoding // procs + (1 if i < args.decoding % procs else 0) for i in range(procs)]
    with ProcessPoolExecutor(procs) as pool:
        futures = [pool.submit(run_part, (base, shares[i], decoding[i], start_at, window)) for i in range(procs)]
        time.sleep(max(0, window[0] - time.time()))
        c0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(max(0, window[1] - time.time()))
        c1, t1 = cpu_seconds(pid), time.monotonic()
        rss = rss_mb(pid)
        results = [f.result() for f in futures]
    first = [x for r in results for x in r[0]]
    lat = [x for r in results for x in r[1]]
    fps = [x for r in results for x in r[2]]
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
    print(f"rtd serve, {args.codec}, aiortc viewers connecting at once ({args.decoding} decoding), {args.seconds:g} s per run")
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
                r = measure(base, p.pid, n)
                print(f"{size:>9} {n:7} {r['first_p50']:18.1f} {r['lat_p50']:9.1f}/{r['lat_p95']:<9.1f} "
                      f"{r['fps_min']:6.1f}/{r['fps_mean']:<6.1f} {r['cpu']:12.1f} {r['rss']:7.1f}")
                time.sleep(0.5)
        finally:
            p.terminate()
            p.wait()
        print(f"{'':>9} (server RSS with no viewer: {idle_rss:.1f} MB)")


main()
