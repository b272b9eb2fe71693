#!/usr/bin/env python3
"""Detector throughput, rtd vs the same detector and settings in Python (opencv-python-headless,
bench/detect_python_ref.py), on the same Y4M frames, one thread each, in one run (median of REPS=3 alternating runs each); then rtd's
memory over 10,000 frames.
Targets: motion >= 300 frames/s at 640x480; every detector at least as fast as Python;
RSS flat over 10,000 frames.
Usage: bench/detect.py  (needs opencv-python-headless==4.6.0.66, numpy<2 and onnx, as in .venv)"""
import os
import statistics
import sys
import tempfile
import time

from common import RTD, ROOT, run_pipeline

PY = os.path.join(ROOT, ".venv", "bin", "python")
PY = PY if os.path.exists(PY) else sys.executable
REF = os.path.join(ROOT, "bench", "detect_python_ref.py")
tmp = tempfile.mkdtemp()
# No trained YOLO weights can be fetched here: bench/yolo_model.py builds a YOLOv8-shaped network
# (0.6 GFLOP at 320x320) with fixed weights; both sides run the same model.
model = os.path.join(tmp, "yolo.onnx")
run_pipeline([[PY, os.path.join(ROOT, "bench", "yolo_model.py"), model]])
frames = {"motion": 600, "haar": 40, "hog": 20, f"yolo:{model}": 150}
REPS = int(os.environ.get("REPS", "3"))
print(f"{'detector':8} {'size':>9} {'frames':>6} {'rtd fps':>9} {'python fps':>11} {'ratio':>6} {'run ratios':>11} {'rtd RSS MB':>11}")
for size in ("640x480", "1280x720"):
    clip = os.path.join(tmp, f"{size}.y4m")
    run_pipeline([[RTD, "capture", "testsrc", "--size", size, "--pace", "fast", "--frames", "600", "-o", clip, "-q"]])
    for det, n in frames.items():
        # Both sides spend almost all their time in the same OpenCV routine, so the ratio sits near 1.0
        # and one run is at the mercy of the other core's load: alternate who goes first and take
        # the median of REPS runs each.
        rtd_t, py_t, rss = [], [], 0.0
        for rep in range(REPS):
            for side in (("rtd", "py") if rep % 2 == 0 else ("py", "rtd")):
                if side == "rtd":
                    t, u = run_pipeline([[RTD, "detect", clip, "--detector", det, "--threads", "1", "--frames", str(n),
                                          "-q", "-o", os.devnull]])
                    assert u[0]["status"] == 0, (det, u)
                    rtd_t.append(t)
                    rss = max(rss, u[0]["max_rss_mb"])
                else:
                    t, v = run_pipeline([[PY, REF, clip, "--detector", det, "--frames", str(n), "--threads", "1"]])
                    assert v[0]["status"] == 0, (det, v)
                    py_t.append(t)
        t_rtd, t_py = statistics.median(rtd_t), statistics.median(py_t)
        spread = f"{min(p / r for p, r in zip(py_t, rtd_t)):.2f}-{max(p / r for p, r in zip(py_t, rtd_t)):.2f}"
        print(f"{det.split(':')[0]:8} {size:>9} {n:6} {n / t_rtd:9.1f} {n / t_py:11.1f} {t_py / t_rtd:6.2f} {spread:>11} {rss:11.1f}")
    os.remove(clip)
os.remove(model)
os.rmdir(tmp)

print("\nmotion memory, 640x480 from a pipe:")
for n in (1000, 10000):
    wall, u = run_pipeline([[RTD, "capture", "testsrc", "--pace", "fast", "--frames", str(n), "-q"],
                            [RTD, "detect", "-q", "-o", os.devnull]])
    print(f"  {n:6} frames: rtd detect peak RSS {u[1]['max_rss_mb']:.1f} MB, {n / wall:.0f} frames/s through the pipe")
