#!/usr/bin/env python3
"""The WebSocket fallback under load: rtd serve's /api/ws with N viewers at once, next to the same
protocol served the obvious Python way (bench/ws_python_ref.py: OpenCV JPEG, websockets). Per
size and N: pictures/s per viewer, capture-to-arrival latency (server capture clock vs client
arrival, same machine), bytes per picture, and server CPU and RSS.
Viewers run in one separate process (plain websockets clients that only read and time).
Usage: bench/ws.py [--seconds 6] [--sizes 640x480,1280x720] [--viewers 1,8,32] [--fps 10]"""
import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import RTD  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--client", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
ap.add_argument("--seconds", type=float, default=6)
ap.add_argument("--sizes", default="640x480,1280x720")
ap.add_argument("--viewers", default="1,8,32")
ap.add_argument("--fps", type=float, default=10)
args = ap.parse_args()
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += (int(f[11]) + int(f[12])) / TICK
    return total


def rss_mb(pids):
    total = 0
    for pid in pids:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS"):
                total += int(line.split()[1]) / 1024
    return total


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


async def viewer(url, start, end, out):
    async with websockets.connect(url, max_size=None) as ws:
        pictures, lat, sizes = 0, [], []
        meta = None
        while (left := end - time.time()) > 0:
            try:
                m = await asyncio.wait_for(ws.recv(), left)
            except asyncio.TimeoutError:
                break
            now = time.time()
            if isinstance(m, str):
                j = json.loads(m)
                meta = j if j["type"] == "frame" else meta
            elif meta and now >= start:
                pictures += 1
                lat.append(now * 1000 - meta["captured_at_us"] / 1000)
                sizes.append(len(m))
        out.append((pictures / (end - start), lat, sizes))


def clients(url, n, seconds):
    """Runs in a child process so that client work is not counted as (or slowed by) the server."""
    async def go():
        out = []
        start = time.time() + 1.5   # let every viewer connect and get going first
        await asyncio.gather(*(viewer(url, start, start + seconds, out) for _ in range(n)))
        return out
    return asyncio.run(go())


def measure(url, pids, n):
    cpu0, t0 = cpu_seconds(pids), time.time()
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--seconds", str(args.seconds), "--client", url, str(n)],
                         capture_output=True, text=True, check=True).stdout
    cpu = (cpu_seconds(pids) - cpu0) / (time.time() - t0) * 100
    res = json.loads(out)
    fps = [r[0] for r in res]
    lat = [x for r in res for x in r[1]]
    sizes = [x for r in res for x in r[2]]
    return {"fps_min": min(fps), "fps_mean": sum(fps) / len(fps), "lat_p50": pct(lat, 0.5), "lat_p95": pct(lat, 0.95),
            "kb": (sum(sizes) / len(sizes) / 1024) if sizes else float("nan"), "cpu": cpu, "rss": rss_mb(pids)}


def start_rtd(size):
    port = free_port()
    p = subprocess.Popen([RTD, "serve", "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=testsrc:stamp",
                          "--size", size, "--detector", "none", "--ws-max-fps", str(args.fps)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert "rtd serve:" in p.stdout.readline()
    return [p], [p.pid], f"ws://127.0.0.1:{port}/api/ws?camera=cam0"


def start_ref(size):
    port = free_port()
    cap = subprocess.Popen([RTD, "capture", "testsrc:stamp", "--size", size, "-q"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    ref = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "ws_python_ref.py"),
                            str(port), str(args.fps)], stdin=cap.stdout, stdout=subprocess.PIPE, text=True)
    cap.stdout.close()
    assert ref.stdout.readline().strip() == "ready"
    return [ref, cap], [ref.pid, cap.pid], f"ws://127.0.0.1:{port}/"


if args.client:
    print(json.dumps(clients(args.client[0], int(args.client[1]), args.seconds)))
    sys.exit(0)

print(f"/api/ws, {args.fps:g} pictures/s cap, {args.seconds:g} s per run; latency = capture to arrival at the client")
print(f"{'size':>9} {'N':>3} | {'server':>10} {'fps min/mean':>13} {'lat p50/p95 ms':>15} {'KiB/pic':>8} {'CPU %':>6} {'RSS MB':>7}")
for size in args.sizes.split(","):
    for n in [int(x) for x in args.viewers.split(",")]:
        for name, start in [("rtd", start_rtd), ("python-ref", start_ref)]:
            procs, pids, url = start(size)
            try:
                time.sleep(1)
                r = measure(url, pids, n)
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=10)
            print(f"{size:>9} {n:>3} | {name:>10} {r['fps_min']:>6.1f}/{r['fps_mean']:<6.1f} "
                  f"{r['lat_p50']:>7.0f}/{r['lat_p95']:<7.0f} {r['kb']:>8.1f} {r['cpu']:>6.0f} {r['rss']:>7.0f}", flush=True)
