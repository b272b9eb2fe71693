#!/usr/bin/env python3
"""What `rtd signal --viewers N` (load mode) costs against what the server it loads costs, per viewer.

Starts `rtd serve` (testsrc at --size, 30 fps, its default motion detection), reads its CPU over
--idle seconds with one viewer on (so the camera's encoder runs: what does not grow with viewers),
then for each N in --viewers runs `rtd signal URL --viewers N --ramp R --duration HOLD --json` and
reads the server's CPU (/proc/PID/stat) over the hold window, from 2 s after every viewer is on to
2 s before the end. Server CPU per viewer = (server CPU while holding - with one viewer) / (N - 1);
the client's per viewer is its own getrusage over its hold window / N (from its summary). CPU in %
of one core.
--no-gso runs the server with `server.udp_gso: false` (each datagram its own write); the GSO writes
the server made (rtd_udp_send_gso_total) are printed at the end either way.
Usage: bench/load_mode.py [--viewers 100,200] [--size 1280x720] [--hold 20] [--ramp 50] [--threads T] [--no-gso]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import RTD, free_port, stop  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--viewers", default="100,200")
ap.add_argument("--size", default="1280x720")
ap.add_argument("--hold", type=float, default=20)
ap.add_argument("--ramp", type=float, default=50)
ap.add_argument("--idle", type=float, default=10)
ap.add_argument("--threads", type=int)
ap.add_argument("--codec")
ap.add_argument("--no-gso", action="store_true")
args = ap.parse_args()
counts = [int(n) for n in args.viewers.split(",")]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_percent(pid, seconds):
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) * 100 / (time.monotonic() - t0)


port = free_port()
config = tempfile.NamedTemporaryFile("w", suffix=".yaml")
config.write(f"server:\n  udp_gso: {'false' if args.no_gso else 'true'}\n")
config.flush()
server = subprocess.Popen([RTD, "serve", "--config", config.name, "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=testsrc",
                           "--size", args.size, "--max-peers", str(max(counts) + 50), "--signal-rate", str(args.ramp * 2)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    assert "rtd serve: http://" in server.stdout.readline()
    print(f"server pid {server.pid}, udp_gso {not args.no_gso}", flush=True)
    base = f"http://127.0.0.1:{port}"
    one = subprocess.Popen([RTD, "signal", base, "--viewers", "1", "--threads", "1", "--duration", str(args.idle + 4)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    idle = cpu_percent(server.pid, args.idle)
    one.wait(timeout=60)
    print(f"server with one viewer (camera {args.size}@30 encoding, detection): {idle:.1f}% CPU", flush=True)
    rows = []
    for n in counts:
        argv = [RTD, "signal", base, "--viewers", str(n), "--ramp", str(args.ramp), "--duration", str(args.hold), "--json"]
        if args.threads:
            argv += ["--threads", str(args.threads)]
        if args.codec:
            argv += ["--codec", args.codec]
        client = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in client.stderr:
            if "holding" in line:
                break
        time.sleep(2)
        held = cpu_percent(server.pid, args.hold - 4)
        out, err = client.communicate(timeout=120)
        s = json.loads(out)
        on = s["connected"] - s["dropped"]
        row = dict(viewers=n, connected=s["connected"], fps_min=s["fps"].get("min"), fps_median=s["fps"].get("median"),
                   first_frame_p50=s["first_frame_ms"].get("p50"), first_frame_p95=s["first_frame_ms"].get("p95"),
                   loss=s["loss_percent"], records_min=s["records_per_s"].get("min"),
                   bitrate=s["bitrate_kbps"].get("median"), server_cpu=held,
                   server_per_viewer=(held - idle) / max(on - 1, 1), client_cpu=s["client"]["cpu_percent_hold"],
                   client_per_viewer=s["client"].get("cpu_percent_per_viewer"), client_rss=s["client"]["rss_mb"],
                   client_threads=s["client"]["threads"])
        rows.append(row)
        print(json.dumps(row), flush=True)
        time.sleep(3)
    print()
    print("| viewers | connected | fps min / median | first frame p50 / p95 | loss | server CPU (per viewer) | load client CPU (per viewer) | client RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['viewers']} | {r['connected']} | {r['fps_min']} / {r['fps_median']} | {r['first_frame_p50']} / {r['first_frame_p95']} ms"
              f" | {r['loss']}% | {r['server_cpu']:.0f}% ({r['server_per_viewer']:.2f}%) | {r['client_cpu']:.1f}%"
              f" ({r['client_per_viewer']:.3f}%) | {r['client_rss']:.0f} MB |")
    metrics = urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()
    gso = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith("rtd_udp_send_gso_total"))
    print(f"\nGSO writes (rtd_udp_send_gso_total): {gso:.0f}")
finally:
    stop([server])
