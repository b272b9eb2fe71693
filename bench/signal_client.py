#!/usr/bin/env python3
"""(Not bench/signal.py: that name would shadow the standard library's signal module for every script
in bench/.) `rtd signal` against an aiortc client, same `rtd serve`, same run, alternating:

1. Time to first frame, cold: a client process that receives one frame and exits, from launch to
   exit (start-up, certificate, offer, HTTP, ICE, DTLS, keyframe, decode, bye), median of
   --trials. Also each client's own figure from its start (after Python's imports for aiortc,
   which include its libsrtp initialisation; rtd's includes libsrtp's) to the first frame.
2. Receive + depacketize + decode cost: each client receives --seconds of video and exits; its
   CPU time (wait4 rusage, the whole process) minus that of a one-frame run (start-up and
   connection), per frame after the first. Both decode every frame: aiortc in its receiver
   (PyAV/libavcodec), rtd signal with libavcodec (--stats decodes, and also copies each picture
   and reads its timestamp strip, work aiortc does not do here). 1 / (CPU per frame) is the frame
   rate one core could sustain.

Usage: bench/signal_client.py [--codec h264|vp8] [--size 1280x720] [--fps 30] [--seconds 10] [--trials 5]"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "e2e"))
from common import RTD  # noqa: E402
from conftest import free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--codec", default="h264")
ap.add_argument("--size", default="1280x720")
ap.add_argument("--fps", default="30")
ap.add_argument("--seconds", type=float, default=10)
ap.add_argument("--trials", type=int, default=5)
args = ap.parse_args()


def measured(argv):
    start = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    out, err = p.stdout.read(), p.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed: {err.decode()[-1500:]}")
    return wall, ru.ru_utime + ru.ru_stime, out, err


def rtd_client(base, limit):
    wall, cpu, _, err = measured([RTD, "signal", base, "--camera", "cam0", "--codec", args.codec, *limit,
                                  "--stats", "--json", "--detections-out", "/dev/null"])
    stats = json.loads(err.decode().strip().splitlines()[-1])
    return {"wall": wall, "cpu": cpu, "first_ms": stats["first_frame_ms"], "frames": stats["frames_decoded"],
            "seconds": stats["seconds"]}


def aiortc_client(base, limit):
    wall, cpu, out, _ = measured([sys.executable, os.path.join(HERE, "aiortc_signal_client.py"), base, "cam0",
                                  args.codec, *limit])
    r = json.loads(out.decode().strip().splitlines()[-1])
    return {"wall": wall, "cpu": cpu, "first_ms": r["first_frame_ms"], "frames": r["frames"], "seconds": r["seconds"]}


def main():
    port = free_port()
    server = subprocess.Popen([RTD, "serve", "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=testsrc",
                               "--size", args.size, "--fps", args.fps, "--codec", args.codec, "--detector", "none"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    if "rtd serve: http://" not in line:
        raise SystemExit("server did not start: " + line)
    base = f"http://127.0.0.1:{port}"
    try:
        clients = {"rtd signal": rtd_client, "aiortc": aiortc_client}
        for client in clients.values():  # warm-up: page cache, server encoder
            client(base, ["--frames", "1"])
        cold = {name: [] for name in clients}
        for _ in range(args.trials):
            for name, client in clients.items():
                cold[name].append(client(base, ["--frames", "1"]))
        steady = {name: [] for name in clients}
        for _ in range(2):
            for name, client in clients.items():
                steady[name].append(client(base, ["--seconds" if name == "aiortc" else "--duration", str(args.seconds)]))
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(f"rtd serve testsrc {args.size}@{args.fps} {args.codec}; clients alternate against the same server")
    print(f"{'client':<12} {'start->1 frame->exit':>21} {'offer->first frame':>19} {'fps':>6} "
          f"{'CPU ms/frame':>13} {'1-core fps':>11}")
    result = {}
    for name in clients:
        wall = statistics.median(r["wall"] for r in cold[name]) * 1000
        first = statistics.median(r["first_ms"] for r in cold[name])
        startup_cpu = statistics.median(r["cpu"] for r in cold[name])
        per_frame = statistics.median((r["cpu"] - startup_cpu) / max(1, r["frames"] - 1) for r in steady[name]) * 1000
        fps = statistics.median(r["frames"] / r["seconds"] for r in steady[name])
        result[name] = (wall, per_frame)
        print(f"{name:<12} {wall:>18.0f} ms {first:>16.0f} ms {fps:>6.1f} {per_frame:>13.2f} {1000 / per_frame:>11.0f}")
    (rw, rc), (aw, ac) = result["rtd signal"], result["aiortc"]
    print(f"rtd signal vs aiortc: first frame {aw / rw:.1f}x faster (cold), decode path {ac / rc:.1f}x less CPU per frame")


main()
