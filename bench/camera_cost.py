#!/usr/bin/env python3
"""The fixed cost of one camera in `rtd serve`: a 1280x720 30 fps Y4M pipe (`--camera cam0=-`)
with the default motion detector, measured with 0 and 1 viewer, per codec, for one or more rtd
binaries side by side in one run (e.g. this build against the main checkout's).

The feeder is a separate process that writes a pre-rendered clip (ffmpeg testsrc2, played forwards
then backwards so motion never jumps) into the server's stdin at exactly --fps, so it costs almost
nothing and every binary gets the same frames. CPU is counted from /proc over a fixed number of
frames (--frames, after --warmup frames and after the viewer saw video), for the whole server and
per thread (grouped by name; libx264's and OpenCV's helpers carry the name of the thread that made
them), as % of one core; ms/frame is CPU per frame fed. Instructions (perf stat, user space) when
this kernel counts them, else n/a. Minor page faults per frame show memory mapped afresh for each
frame (a 720p I420 frame is 338 pages). encoded/detected/viewer count frames in the window (from
/metrics and the viewer): fewer than fed means a stage dropped frames, which also lowers its CPU.
The viewer is an aiortc peer (Tests/e2e/peers.py) with rtd's data channel, so detection runs as
for a browser; it counts frames without decoding them. Each configuration runs every binary back
to back (order alternating per repeat), so load from elsewhere falls on all of them alike.
Usage: bench/camera_cost.py [--rtd LABEL=PATH ...] [--codecs h264,vp8] [--viewers 0,1] [--frames 300]
                            [--warmup 90] [--size 1280x720] [--fps 30] [--repeat 1]
                            [--perf-record DIR]"""
import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "e2e"))
from common import RTD, free_port, stop  # noqa: E402
from peers import Viewer, light_viewers, wait_for  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--rtd", action="append", default=[], help="LABEL=PATH of an rtd binary (default: this build)")
ap.add_argument("--codecs", default="h264,vp8")
ap.add_argument("--viewers", default="0,1")
ap.add_argument("--frames", type=int, default=300, help="frames in the measuring window")
ap.add_argument("--warmup", type=int, default=90, help="frames before the window (after the viewer sees video)")
ap.add_argument("--size", default="1280x720")
ap.add_argument("--fps", type=int, default=30)
ap.add_argument("--clip", type=int, default=60, help="frames rendered, played forwards and back")
ap.add_argument("--repeat", type=int, default=1)
ap.add_argument("--perf-record", metavar="DIR", help="also record a CPU profile of each window there (perf record -g), "
                "for `perf report -i DIR/LABEL-CODEC-VIEWERS.data`")
args = ap.parse_args()
TICK = os.sysconf("SC_CLK_TCK")


def render_clip():
    """(stream header line, [frame payloads]) of testsrc2 at --size, --fps."""
    w, h = args.size.split("x")
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={args.fps}",
                          "-frames:v", str(args.clip), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-"],
                         check=True, stdout=subprocess.PIPE).stdout
    nl = out.index(b"\n")
    header = out[:nl + 1]
    size = int(w) * int(h) * 3 // 2
    frames, i = [], nl + 1
    while i < len(out):
        i = out.index(b"\n", i) + 1
        frames.append(out[i:i + size])
        i += size
    return header, frames + frames[-2:0:-1]


def feed(fd, header, frames, fps, written, quit_):
    """Writes frames at `fps` on the wall clock (no drift) until told to quit or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(fd, "wb", buffering=0)
    try:
        out.write(header)
        start, n = time.monotonic(), 0
        while not quit_.is_set():
            out.write(b"FRAME\n" + frames[n % len(frames)])
            n += 1
            written.value = n
            delay = start + n / fps - time.monotonic()
            if delay > 0:
                quit_.wait(delay)
    except (BrokenPipeError, OSError):
        pass


def proc_cpu(pid):
    """(CPU seconds, minor page faults) of the whole process."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK, int(f[7])


def thread_cpu(pid):
    """{tid: (name, cpu seconds)} of every thread now."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            s = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        f = s.rsplit(")", 1)[1].split()
        out[tid] = (name, (int(f[11]) + int(f[12])) / TICK)
    return out


def thread_group(name):
    """Threads by role: numbered pools (NIO-ELT-1-#0) fold into one line."""
    return re.sub(r"(-\d+)?-#\d+$", "", name)


def perf_counts():
    """Whether `perf stat -e instructions` counts on this machine (not in many VMs)."""
    if not shutil.which("perf"):
        return False
    r = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u", "true"], capture_output=True, text=True)
    return r.returncode == 0 and "not supported" not in r.stderr and "<not" not in r.stderr


def metric(base, name):
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))


async def wait_frames(written, n):
    while written.value < n:
        await asyncio.sleep(0.02)


async def run(label, path, codec, viewers, header, frames, counts):
    port = free_port()
    r, w = os.pipe()
    server = subprocess.Popen([path, "serve", "--host", "127.0.0.1", "--port", str(port), "--camera", "cam0=-",
                               "--codec", codec], stdin=r, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    os.close(r)
    written, quit_ = multiprocessing.Value("l", 0), multiprocessing.Event()
    feeder = multiprocessing.Process(target=feed, args=(w, header, frames, args.fps, written, quit_))
    feeder.start()
    os.close(w)
    base = f"http://127.0.0.1:{port}"
    viewer = None
    try:
        server.stdout.readline()
        if viewers:
            light_viewers()
            viewer = Viewer(base, codec=codec, light=True)
            await viewer.start()
            if not await wait_for(lambda: viewer.frames > 0, timeout=30):
                raise RuntimeError(f"{label}: the viewer saw no frame")
        await wait_frames(written, written.value + args.warmup)
        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", "instructions:u", "-p", str(server.pid)],
                                stderr=subprocess.PIPE, text=True) if counts else None
        record = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-p", str(server.pid), "-o",
                                   os.path.join(args.perf_record, f"{label}-{codec}-{viewers}.data")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if args.perf_record else None
        first = written.value
        t0, (c0, f0), th0 = time.monotonic(), proc_cpu(server.pid), thread_cpu(server.pid)
        enc0, det0, seen0 = metric(base, "rtd_frames_encoded_total"), metric(base, "rtd_frames_detected_total"), (viewer.frames if viewer else 0)
        await wait_frames(written, first + args.frames)
        t1, (c1, f1), th1 = time.monotonic(), proc_cpu(server.pid), thread_cpu(server.pid)
        enc1, det1, seen1 = metric(base, "rtd_frames_encoded_total"), metric(base, "rtd_frames_detected_total"), (viewer.frames if viewer else 0)
        fed = written.value - first
        instructions = None
        if perf:
            perf.send_signal(signal.SIGINT)
            text = perf.communicate(timeout=10)[1]
            m = re.search(r"^(\d+),", text, re.M)
            instructions = int(m.group(1)) if m else None
        if record:
            record.send_signal(signal.SIGINT)
            record.wait(30)
        seconds = t1 - t0
        groups = {}
        for tid, (name, cpu) in th1.items():
            before = th0.get(tid, (name, 0.0))[1]
            g = thread_group(name)
            groups[g] = groups.get(g, 0.0) + cpu - before
        return {"cpu": 100 * (c1 - c0) / seconds, "ms_frame": 1000 * (c1 - c0) / fed, "fed": fed, "seconds": seconds, "faults": (f1 - f0) / fed,
                "enc": enc1 - enc0, "det": det1 - det0, "seen": seen1 - seen0, "instructions": instructions,
                "threads": {g: 100 * c / seconds for g, c in groups.items()}}
    finally:
        if viewer:
            await viewer.leave()
        quit_.set()
        stop([server])
        feeder.join(5)


def main():
    binaries = [tuple(s.split("=", 1)) for s in args.rtd] or [("rtd", RTD)]
    counts = perf_counts()
    print("clip: rendering", flush=True)
    header, frames = render_clip()
    print(f"{args.size} at {args.fps} fps over a Y4M pipe, motion detection; {args.frames} frames measured after "
          f"{args.warmup}; CPU in % of one core; instructions {'by perf stat' if counts else 'n/a (perf cannot count here)'}")
    print(f"{'codec':<5} {'viewers':>7} {'rtd':<12} {'CPU %':>6} {'ms/frame':>8} {'Ginstr':>7} {'faults/fr':>9} {'encoded':>7} {'detected':>8} "
          f"{'viewer':>6} {'fed':>5}")
    for codec in args.codecs.split(","):
        for n in [int(v) for v in args.viewers.split(",")]:
            results = {label: [] for label, _ in binaries}
            for rep in range(args.repeat):
                order = binaries if rep % 2 == 0 else binaries[::-1]
                for label, path in order:
                    results[label].append(asyncio.run(run(label, path, codec, n, header, frames, counts)))
            for label, _ in binaries:
                for r in results[label]:
                    ins = f"{r['instructions'] / 1e9:7.2f}" if r["instructions"] else f"{'n/a':>7}"
                    print(f"{codec:<5} {n:>7} {label:<12} {r['cpu']:6.1f} {r['ms_frame']:8.2f} {ins} {r['faults']:9.0f} {int(r['enc']):>7} "
                          f"{int(r['det']):>8} {r['seen']:>6} {r['fed']:>5}", flush=True)
            shown = [(label, rs[-1]["threads"]) for label, rs in results.items()]
            names = sorted({g for _, t in shown for g in t}, key=lambda g: -max(t.get(g, 0) for _, t in shown))
            print(f"      threads (% of a core): " + "; ".join(
                f"{g} " + "/".join(f"{t.get(g, 0):.1f}" for _, t in shown) for g in names
                if max(t.get(g, 0) for _, t in shown) >= 0.2) + f"  [{'/'.join(label for label, _ in shown)}]", flush=True)


if __name__ == "__main__":
    main()
