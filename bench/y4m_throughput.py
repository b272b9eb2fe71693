#!/usr/bin/env python3
"""1080p Y4M pipe throughput: `rtd capture testsrc` vs `ffmpeg -f lavfi -i testsrc2`, each piped
into the same reader (rtd's own Y4M reader, writing to /dev/null), in one run.
Target: rtd frames/s >= ffmpeg's (ratio >= 1.0), rtd peak RSS < 100 MB.
Usage: bench/y4m_throughput.py [--frames 600] [--runs 3]"""
import argparse

from common import RTD, run_pipeline

ap = argparse.ArgumentParser()
ap.add_argument("--frames", type=int, default=600)
ap.add_argument("--runs", type=int, default=3)
args = ap.parse_args()
n = args.frames
reader = [RTD, "capture", "-", "-q"]
cases = {
    "rtd capture testsrc": [RTD, "capture", "testsrc", "--size", "1920x1080", "--pace", "fast", "--frames", str(n), "-q"],
    "ffmpeg lavfi testsrc2": ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30", "-frames:v", str(n),
                              "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-"],
}
best = {}
for _ in range(args.runs):
    for name, producer in cases.items():
        wall, usage = run_pipeline([producer, reader])
        assert all(u["status"] == 0 for u in usage), (name, usage)
        fps = n / wall
        if name not in best or fps > best[name][0]:
            best[name] = (fps, usage[0]["cpu_s"], usage[0]["max_rss_mb"], usage[1]["max_rss_mb"])
print(f"1080p Y4M pipe, {n} frames, best of {args.runs} runs")
print(f"{'producer':24} {'frames/s':>9} {'cpu s':>7} {'peak RSS MB':>12} {'reader RSS MB':>14}")
for name, (fps, cpu, rss, rrss) in best.items():
    print(f"{name:24} {fps:9.1f} {cpu:7.2f} {rss:12.1f} {rrss:14.1f}")
ratio = best["rtd capture testsrc"][0] / best["ffmpeg lavfi testsrc2"][0]
print(f"ratio rtd/ffmpeg: {ratio:.2f} (target >= 1.0); rtd peak RSS {best['rtd capture testsrc'][2]:.1f} MB (target < 100)")
