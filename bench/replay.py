#!/usr/bin/env python3
"""Offline re-detection over a recording: `rtd replay --speed max REC | rtd detect --detector motion`
vs `ffmpeg -i REC -f yuv4mpegpipe - | python3 bench/detect_python_ref.py --detector motion` (the same
MOG2 settings in opencv-python-headless), side by side in one run over a 10-minute 720p recording
(median of REPS=3 alternating runs each; CPU seconds from the first run).
Target: rtd's pipeline faster than the Python one.
Usage: bench/replay.py [MINUTES]  (default 10; needs opencv-python-headless==4.6.0.66 and numpy<2, as in .venv)"""
import os
import shutil
import statistics
import sys
import tempfile

from common import RTD, ROOT, run_pipeline

PY = os.path.join(ROOT, ".venv", "bin", "python")
PY = PY if os.path.exists(PY) else sys.executable
REF = os.path.join(ROOT, "bench", "detect_python_ref.py")
minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 10
frames = int(minutes * 60 * 30)
tmp = tempfile.mkdtemp()
rec = os.path.join(tmp, "rec.mkv")
# testsrc --pace fast stamps frames 1/30 s apart: 18,000 frames are 10 minutes of 30 fps video.
wall, u = run_pipeline([[RTD, "capture", "testsrc", "--size", "1280x720", "--pace", "fast", "--frames", str(frames),
                         "-o", rec, "-q"]])
assert u[0]["status"] == 0, u
probe = os.popen(f"ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 {rec}").read().strip()
print(f"recording: {frames} frames 1280x720, {float(probe):.1f} s of video, {os.path.getsize(rec) / 1e6:.0f} MB "
      f"(made in {wall:.1f} s)")

# Both pipelines share the machine's cores: alternate who goes first and take the median of REPS runs.
REPS = int(os.environ.get("REPS", "3"))
times = {"rtd": [], "python": []}
usages = {}
for rep in range(REPS):
    for side in (("rtd", "python") if rep % 2 == 0 else ("python", "rtd")):
        if side == "rtd":
            stages = [[RTD, "replay", rec, "--speed", "max", "-q"],
                      [RTD, "detect", "--detector", "motion", "--threads", "1", "-q", "-o", os.devnull]]
        else:
            stages = [["ffmpeg", "-v", "error", "-i", rec, "-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p", "-"],
                      [PY, REF, "--detector", "motion", "--threads", "1"]]
        t, usage = run_pipeline(stages)
        assert all(s["status"] == 0 for s in usage), (side, usage)
        times[side].append(t)
        usages.setdefault(side, usage)
runs = {side: (statistics.median(ts), usages[side]) for side, ts in times.items()}

print(f"{'pipeline':44} {'frames':>6} {'total s':>8} {'frames/s':>9} {'decode CPU s':>13} {'detect CPU s':>13}")
labels = {"rtd": "rtd replay --speed max | rtd detect", "python": "ffmpeg -f yuv4mpegpipe | python motion (MOG2)"}
for side, (t, u) in runs.items():
    print(f"{labels[side]:44} {frames:6} {t:8.1f} {frames / t:9.1f} {u[0]['cpu_s']:13.1f} {u[1]['cpu_s']:13.1f}")
ratio = runs["python"][0] / runs["rtd"][0]
spread = ", ".join(f"{p / r:.2f}" for p, r in zip(times["python"], times["rtd"]))
print(f"rtd is {ratio:.2f}x the Python pipeline's speed (median of {REPS}; per run: {spread}; target: > 1)")
shutil.rmtree(tmp)
