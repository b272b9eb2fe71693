#!/usr/bin/env python3
"""Server memory per WebRTC viewer, and whether it is given back when they go, for one or more rtd
binaries side by side in one run (e.g. this build against an older one) and, with --aiortc, the
aiortc server built like aiortc's own example (bench/aiortc_server_baseline.py) as the reference.

Per server: RSS idle (camera running, one viewer joined and gone so encoders exist), RSS with N
aiortc viewers connected (video and rtd's data channel each; they only count frames, see
Tests/e2e/peers.py light_viewers), MB per viewer, and RSS after every viewer said bye and the
server had --settle seconds after /healthz counted no peer; the most threads it ran while all
were on, and its CPU (% of one core) over the --hold window with all of them on: at a small size
the encode is cheap, so this is mostly what each viewer costs to send to. Viewers join in batches (--batch at a time) so the clients keep up.
Usage: bench/peer_memory.py [--rtd LABEL=PATH ...] [--aiortc] [--viewers 100] [--size 320x240]
                            [--bitrate 300] [--hold 5] [--settle 14]"""
import argparse
import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "e2e"))
from common import RTD, free_port, rss_mb, stop  # noqa: E402
from peers import Viewer, light_viewers, wait_for  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--rtd", action="append", default=[], help="LABEL=PATH of an rtd binary (default: this build)")
ap.add_argument("--aiortc", action="store_true", help="also the aiortc reference server")
ap.add_argument("--viewers", type=int, default=100)
ap.add_argument("--size", default="320x240")
ap.add_argument("--bitrate", type=int, default=300, help="kbit/s")
ap.add_argument("--batch", type=int, default=10, help="viewers joining at once per client process")
ap.add_argument("--hold", type=float, default=5, help="seconds all viewers stay connected before RSS is read")
ap.add_argument("--settle", type=float, default=14, help="seconds after the last bye before RSS is read again")
args = ap.parse_args()
PY = os.path.join(HERE, "..", ".venv", "bin", "python")
PROCS = 2






async def part(base, n, joined_at, hold_until):
    """One client process's viewers: join in batches, report when all are in, hold, say bye."""
    light_viewers()
    viewers = []
    for i in range(0, n, args.batch):
        batch = [Viewer(base, light=True) for _ in range(min(args.batch, n - i))]
        await asyncio.gather(*(v.start() for v in batch), return_exceptions=True)
        viewers += batch
    await wait_for(lambda: all(v.frames > 0 for v in viewers), timeout=60)
    ok = sum(v.frames > 0 for v in viewers)
    joined_at.put(ok)
    while time.time() < hold_until.get():
        await asyncio.sleep(0.1)
    for v in viewers:
        await v.leave()
    return ok


def run_part(p):
    return asyncio.run(part(*p))


def start(label, path, port):
    if label == "aiortc":
        cap = subprocess.Popen([RTD, "capture", "testsrc", "--size", args.size, "--fps", "30", "-q"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        p = subprocess.Popen([PY, os.path.join(HERE, "aiortc_server_baseline.py"), str(port), "--codec", "h264",
                              "--bitrate", str(args.bitrate), "--detector", "motion"],
                             stdin=cap.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cap.stdout.close()
        p.stdout.readline()
        return p, [p, cap]
    p = subprocess.Popen([path, "serve", "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=testsrc",
                          "--size", args.size, "--fps", "30", "--codec", "h264", "--bitrate", str(args.bitrate),
                          "--max-bitrate", str(args.bitrate), "--max-peers", str(args.viewers + 8),
                          "--max-peers-per-camera", str(args.viewers + 8), "--signal-rate", "1000"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    p.stdout.readline()
    return p, [p]


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def thread_count(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def peers_gone(base, label):
    """Seconds until rtd's /healthz counts no peer (aiortc's server has no such count)."""
    if label == "aiortc":
        return float("nan")
    import json
    import urllib.request
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
            if json.load(r).get("peers") == 0:
                return time.monotonic() - t0
        time.sleep(0.1)
    return float("inf")


async def one_viewer(base):
    light_viewers()
    v = Viewer(base, light=True)
    await v.start()
    await v.wait_frames(5, timeout=15)
    await v.bye()
    await v.close()


def measure(label, path):
    import multiprocessing
    port = free_port()
    server, procs = start(label, path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(one_viewer(base))
        time.sleep(args.settle)
        idle = rss_mb(server.pid)
        manager = multiprocessing.Manager()
        joined, hold_until = manager.Queue(), manager.Value("d", 1e18)
        shares = [args.viewers // PROCS + (1 if i < args.viewers % PROCS else 0) for i in range(PROCS)]
        t0 = time.monotonic()
        with ProcessPoolExecutor(PROCS) as pool:
            futures = [pool.submit(run_part, (base, s, joined, hold_until)) for s in shares]
            connected = sum(joined.get(timeout=180) for _ in shares)
            join_s = time.monotonic() - t0
            # The most threads the server ran while every viewer was on.
            threads, start_cpu, start_t = 0, cpu_seconds(server.pid), time.monotonic()
            until = start_t + args.hold
            while time.monotonic() < until:
                threads = max(threads, thread_count(server.pid))
                time.sleep(0.2)
            cpu = 100 * (cpu_seconds(server.pid) - start_cpu) / (time.monotonic() - start_t)
            full = rss_mb(server.pid)
            hold_until.value = time.time()
            [f.result(timeout=120) for f in futures]
        gone = peers_gone(base, label)
        time.sleep(args.settle)
        after = rss_mb(server.pid)
        return {"gone_s": gone, "idle": idle, "full": full, "threads": threads, "cpu": cpu, "after": after, "connected": connected, "join_s": join_s}
    finally:
        stop(procs)


def main():
    servers = [tuple(s.split("=", 1)) for s in args.rtd] or [("rtd", RTD)]
    if args.aiortc:
        servers.append(("aiortc", None))
    print(f"{args.viewers} viewers, {args.size} H.264 at {args.bitrate} kbit/s, data channel each; RSS in MB")
    print(f"{'server':<14} {'idle':>7} {'N on':>7} {'per viewer':>10} {'after':>7} {'kept':>6} {'connected':>9} {'join s':>7} {'gone s':>7} {'threads':>7} {'CPU %':>6}")
    for label, path in servers:
        r = measure(label, path)
        per = (r["full"] - r["idle"]) / max(1, r["connected"])
        print(f"{label:<14} {r['idle']:7.1f} {r['full']:7.1f} {per:10.2f} {r['after']:7.1f} {r['after'] - r['idle']:6.1f} "
              f"{r['connected']:>5}/{args.viewers:<3} {r['join_s']:7.1f} {r['gone_s']:7.1f} {r['threads']:7} {r['cpu']:6.1f}", flush=True)


if __name__ == "__main__":
    main()
