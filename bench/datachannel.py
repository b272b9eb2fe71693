#!/usr/bin/env python3
"""Detection records over data channels to N aiortc peers: records/s delivered and the delay from
frame capture (Xts) to record arrival, p50/p95, for `rtd serve` and, in the same run, a Python aiortc
server doing the same job on the same input (bench/aiortc_datachannel_server.py: rtd's testsrc piped
in as Y4M, the same MOG2 settings in OpenCV-Python). Target: rtd's delay p50 <= one frame interval
(33 ms at 30 fps) + inference time.
Peers are aiortc clients spread over 2 processes; they offer recvonly video plus a channel and do not
decode video (rtd sends it; the baseline sends none).
Usage: bench/datachannel.py [--viewers 16] [--seconds 6]"""
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
from peers import Viewer, light_viewers, wait_for  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--viewers", type=int, default=16)
ap.add_argument("--seconds", type=float, default=6)
args = ap.parse_args()
TICK = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))
PY = os.path.join(HERE, "..", ".venv", "bin", "python")


def cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += (int(f[11]) + int(f[12])) / TICK
    return total


async def part(base, n, window):
    light_viewers()
    viewers = [Viewer(base, light=True) for _ in range(n)]
    await asyncio.gather(*(v.start() for v in viewers))
    await asyncio.gather(*(wait_for(lambda v=v: len(v.records) > 0, timeout=20) for v in viewers))
    await asyncio.sleep(max(0, window[1] - time.time()))
    delays, counts = [], []
    for v in viewers:
        inside = [(t, r) for t, r in v.records if window[0] * 1000 <= t <= window[1] * 1000]
        counts.append(len(inside))
        delays += [t - r["captured_at_us"] / 1000 for t, r in inside]
        await v.bye()
        await v.close()
    return delays, counts


def run_part(p):
    return asyncio.run(part(*p))


def measure(name, base, pids):
    start = time.time()
    window = (start + 5.0, start + 5.0 + args.seconds)
    shares = [args.viewers // 2 + args.viewers % 2, args.viewers // 2]
    with ProcessPoolExecutor(2) as pool:
        futures = [pool.submit(run_part, (base, s, window)) for s in shares if s]
        time.sleep(max(0, window[0] - time.time()))
        c0 = cpu_seconds(pids)
        time.sleep(max(0, window[1] - time.time()))
        cpu = 100 * (cpu_seconds(pids) - c0) / args.seconds
        results = [f.result() for f in futures]
    delays = sorted(d for r in results for d in r[0])
    counts = [c for r in results for c in r[1]]
    p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] if delays else float("nan")
    print(f"{name:22} {sum(counts) / args.seconds:10.1f} {min(counts) / args.seconds:9.1f} {p(0.5):9.1f} {p(0.95):9.1f} {cpu:11.1f}")


def main():
    print(f"{args.viewers} aiortc peers, motion detection on testsrc 640x480@30, {args.seconds:g} s window")
    print(f"{'server':22} {'records/s':>10} {'min/peer':>9} {'delay p50':>9} {'p95 ms':>9} {'server CPU %':>11}")
    port = 19000 + os.getpid() % 500
    srv = subprocess.Popen([RTD, "serve", "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=testsrc"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    srv.stdout.readline()
    try:
        measure("rtd serve", f"http://127.0.0.1:{port}", [srv.pid])
    finally:
        srv.terminate()
        srv.wait()
    cap = subprocess.Popen([RTD, "capture", "testsrc", "-q"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    base = subprocess.Popen([PY, os.path.join(HERE, "aiortc_datachannel_server.py"), str(port + 1)], stdin=cap.stdout,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    cap.stdout.close()
    base.stdout.readline()
    try:
        measure("aiortc + OpenCV-Python", f"http://127.0.0.1:{port + 1}", [base.pid])
    finally:
        base.kill()
        cap.kill()
        base.wait()
        cap.wait()
    print("(the baseline's CPU excludes `rtd capture` feeding it frames; rtd's includes capture, video encode and send)")


main()
