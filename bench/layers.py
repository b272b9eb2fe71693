#!/usr/bin/env python3
"""What the ladder of encodes (`rtd serve --layers`) costs in server CPU.

`rtd serve` (testsrc:stamp at --size, 30 fps, H.264, motion detection) runs in a network namespace
(Tests/e2e/test_layers.py's topology: N load-mode viewers, `rtd signal URL --viewers N`, reach it
over a clean veth pair; one aiortc viewer, in its own namespace, over a pair shaped to --slow-kbit
by tbf). For each configuration the server is started afresh, the slow viewer (if any) joins first
and is given up to 15 s to settle, then the N viewers hold for --hold seconds and the server's CPU
(/proc/PID/stat) is read from 2 s after they all play to 2 s before the end. CPU in % of one core.

  off        --layers off, the N viewers (one encode: today's behaviour)
  idle       the default ladder, the N viewers all on the full layer: the lower layers are listed
             in /api/cameras but should not be `active`, and cost nothing
  slow       the default ladder, the N viewers and one viewer shaped onto a lower layer: that
             layer's encoder runs (the ladder's cost while in use)
  off+slow   --layers off with the slow viewer: everyone's bitrate follows the slow link

Printed: one row per configuration (CPU, the N viewers' fps and bitrate from their summary, the
slow viewer's layers, decoded sizes and fps over the window, and each layer's viewers and `active`
flag from /api/cameras in the middle of it), then the cost of the ladder idle (idle - off) and in
use (slow - idle; that includes the one more viewer's own packets, small beside an encoder). Needs
root (namespaces, tc). With an rtd that has no --layers (before the ladder was merged) only `off`
and `off+slow` run, as its one encode, and the script says so instead of inventing the rest. The
machine is shared: run it twice and expect a few % of noise.
Usage: sudo bench/layers.py [--viewers 20] [--size 1280x720] [--hold 20] [--slow-kbit 300]"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "e2e"))
from common import RTD, free_port, stop  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--viewers", type=int, default=20)
ap.add_argument("--size", default="1280x720")
ap.add_argument("--hold", type=float, default=20)
ap.add_argument("--slow-kbit", type=int, default=300)
ap.add_argument("--configs", default="off,idle,slow,off+slow")
args = ap.parse_args()
TICK = os.sysconf("SC_CLK_TCK")
SERVE = ["--camera", "cam0=testsrc:stamp", "--size", args.size, "--fps", "30", "--codec", "h264", "--detector", "motion"]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def camera(base):
    return get_json(base + "/api/cameras")["cameras"][0]


def has_layers():
    r = subprocess.run([RTD, "serve", "--help"], capture_output=True, text=True)
    return "--layers" in r.stdout + r.stderr


def start_server(ns, host, extra):
    port = free_port()
    p = subprocess.Popen(["ip", "netns", "exec", ns, RTD, "serve", "--host", host, "--port", str(port), *SERVE, *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "rtd serve: http://" not in line:
        stop([p])
        raise RuntimeError("rtd serve did not start: " + line + p.stderr.read()[-2000:])
    # `ip netns exec` execs rtd in place: the pid is the server's.
    assert open(f"/proc/{p.pid}/comm").read().strip() == os.path.basename(RTD)[:15]
    return p, f"http://{host}:{port}"


def wait_until(cond, timeout):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.1)
    return cond()


def run(config, net, layers_supported):
    from test_layers import SlowViewer
    extra = ["--layers", "off"] if config.startswith("off") and layers_supported else []
    server, base = start_server(net["s"], net["a"], extra)
    slow = None
    try:
        row = {"config": config, "viewers": args.viewers}
        if "slow" in config:
            slow = SlowViewer(net["v"], base)
            lower = lambda: [m for _, m in slow.layer_messages() if m["index"] >= 1]
            wait_until(lambda: slow.frames and (lower() or not layers_supported), 20)
            # Up to 15 s to settle on a lower layer (an rtd without layers never will).
            if layers_supported and "off" not in config:
                wait_until(lower, 15)
        client = subprocess.Popen([RTD, "signal", base, "--viewers", str(args.viewers), "--codec", "h264",
                                   "--duration", str(args.hold), "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in client.stderr:
            if "holding" in line:
                break
        time.sleep(2)
        c0, t0, w0 = cpu_seconds(server.pid), time.monotonic(), time.time() * 1000
        time.sleep(max(1.0, args.hold / 2 - 2))
        cam = camera(base)
        time.sleep(max(1.0, args.hold / 2 - 2))
        row["cpu"] = (cpu_seconds(server.pid) - c0) * 100 / (time.monotonic() - t0)
        w1 = time.time() * 1000
        out, _ = client.communicate(timeout=120)
        s = json.loads(out)
        row.update(connected=s["connected"], fps_min=s["fps"].get("min"), fps_median=s["fps"].get("median"),
                   kbps=s["bitrate_kbps"].get("median"))
        row["layers"] = [(x["index"], f"{x['width']}x{x['height']}", x["viewers"], x["active"]) for x in cam.get("layers") or []]
        if slow:
            frames = [f for f in slow.frames if w0 <= f[0] <= w1]
            # The layer it was on as the window began, and any it was moved to during it.
            told = slow.layer_messages()
            before = [m["index"] for t, m in told if t < w0][-1:]
            row["slow"] = {"layers": before + [m["index"] for t, m in told if w0 <= t <= w1],
                           "sizes": sorted({f"{f[1]}x{f[2]}" for f in frames}),
                           "fps": round(len(frames) / ((w1 - w0) / 1000), 1)}
        return row
    finally:
        if slow:
            slow.stop()
        stop([server])


def main():
    from test_layers import namespaces, shape
    layers_supported = has_layers()
    if not layers_supported:
        print(f"{RTD} has no --layers (the ladder is not in this build): only `off` and `off+slow` run, as its one encode",
              flush=True)
    configs = [c for c in args.configs.split(",") if layers_supported or c.startswith("off")]
    rows = []
    with namespaces() as net:
        subprocess.run(["tc", "-n", net["s"], "qdisc", "replace", "dev", net["slow_if"], "root", "tbf", "rate",
                        f"{args.slow_kbit}kbit", "burst", "15kb", "latency", "100ms"], check=True)
        for config in configs:
            row = run(config, net, layers_supported)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"rtd serve, {args.size}@30 H.264, motion detection, {args.viewers} load-mode viewers"
          f" (+1 aiortc viewer behind {args.slow_kbit} kbit/s where it says slow)")
    print("| config | server CPU | viewers' fps min / median | viewers' kbit/s | slow viewer: layers, sizes, fps"
          " | layers (index, size, viewers, active) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        slow = r.get("slow")
        slow_text = f"{slow['layers']}, {' '.join(slow['sizes'])}, {slow['fps']}" if slow else "—"
        print(f"| {r['config']} | {r['cpu']:.1f}% | {r['fps_min']} / {r['fps_median']} | {r['kbps']} | {slow_text}"
              f" | {r['layers'] or '—'} |")
    by = {r["config"]: r for r in rows}
    if not layers_supported:
        return
    if "off" in by and "idle" in by:
        idle = by["idle"]
        unused = [x for x in idle["layers"] if x[0] > 0]
        print(f"ladder with nobody on a lower layer: {idle['cpu'] - by['off']['cpu']:+.1f}% CPU against --layers off; "
              f"lower layers active: {[x[0] for x in unused if x[3]] or 'none'}")
    if "idle" in by and "slow" in by:
        used = [x for x in by["slow"]["layers"] if x[0] > 0 and x[3]]
        print(f"one viewer on a lower layer: {by['slow']['cpu'] - by['idle']['cpu']:+.1f}% CPU (layers encoding: "
              f"{[x[1] for x in used] or 'none'})")
    if "off+slow" in by and "slow" in by:
        print(f"the N viewers' bitrate with the slow viewer: {by['slow']['kbps']} kbit/s with the ladder, "
              f"{by['off+slow']['kbps']} with --layers off")


if __name__ == "__main__":
    main()
