#!/usr/bin/env python3
"""H.264 encode of 720p30 to mkv: `rtd capture FILE.y4m -o out.mkv` vs `ffmpeg -i FILE.y4m -c:v libx264`
with the same settings (ultrafast, zerolatency) on the same input, in one run.
Target: rtd within 10% of ffmpeg's frames/s. Usage: bench/encode.py [--frames 300] [--runs 3]"""
import argparse
import os
import tempfile

from common import RTD, run_pipeline

ap = argparse.ArgumentParser()
ap.add_argument("--frames", type=int, default=300)
ap.add_argument("--runs", type=int, default=3)
args = ap.parse_args()
tmp = tempfile.mkdtemp()
src = os.path.join(tmp, "in.y4m")
# Real-looking content: ffmpeg's testsrc2 has texture and motion everywhere.
run_pipeline([["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30", "-frames:v", str(args.frames),
               "-pix_fmt", "yuv420p", "-y", src]])
cases = {
    "rtd capture -o": [RTD, "capture", src, "-o", os.path.join(tmp, "rtd.mkv"), "--preset", "ultrafast", "--tune",
                       "zerolatency", "-q"],
    "ffmpeg libx264": ["ffmpeg", "-v", "error", "-y", "-i", src, "-c:v", "libx264", "-preset", "ultrafast", "-tune",
                       "zerolatency", os.path.join(tmp, "ff.mkv")],
}
best = {}
for _ in range(args.runs):
    for name, argv in cases.items():
        wall, usage = run_pipeline([argv])
        assert usage[0]["status"] == 0, (name, usage)
        fps = args.frames / wall
        if name not in best or fps > best[name][0]:
            best[name] = (fps, usage[0]["cpu_s"], usage[0]["max_rss_mb"])
print(f"720p30 H.264 encode to mkv, {args.frames} frames, ultrafast/zerolatency, best of {args.runs} runs")
print(f"{'encoder':18} {'frames/s':>9} {'cpu s':>7} {'cpu ms/frame':>13} {'peak RSS MB':>12}")
for name, (fps, cpu, rss) in best.items():
    print(f"{name:18} {fps:9.1f} {cpu:7.2f} {1000 * cpu / args.frames:13.2f} {rss:12.1f}")
for f in os.listdir(tmp):
    os.remove(os.path.join(tmp, f))
os.rmdir(tmp)
ratio = best["rtd capture -o"][0] / best["ffmpeg libx264"][0]
print(f"ratio rtd/ffmpeg: {ratio:.2f} (target >= 0.90)")
