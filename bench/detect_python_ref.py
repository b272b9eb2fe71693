#!/usr/bin/env python3
"""Reference implementation of rtd's motion / hog / haar / yolo detectors in Python (opencv-python-headless),
to compare speed and results side by side with `rtd detect` on the same frames.

    ffmpeg -i clip.mp4 -f yuv4mpegpipe -pix_fmt yuv420p - | bench/detect_python_ref.py --detector motion
    bench/detect_python_ref.py clip.y4m --detector hog --jsonl > py.jsonl

Reads YUV4MPEG2 4:2:0 from a file or stdin, runs the detector on the Y plane of every frame and
prints frames/s (detector time only, and wall time including Y4M parsing) on stderr; --jsonl also
writes one detection record per frame (same keys as rtd, minus camera/rtp/track ids) on stdout.

Use the OpenCV version rtd links (Debian 12: 4.6, so `pip install "opencv-python-headless==4.6.0.66" "numpy<2"`)
for a like-for-like comparison. OpenCV runs single-threaded unless --threads says otherwise,
matching how rtd runs each detector on its own thread.
"""
import argparse
import json
import math
import sys
import time

import cv2
import numpy as np

# Every parameter, in one place. These are the defaults of the Swift detectors
# (MotionOptions, HOGOptions, HaarOptions in Sources/RTDKit/Detection); keep them in step.
PARAMS = {
    "motion": {
        "history": 500,            # MOG2 history (frames)
        "sensitivity": 0.5,        # -> varThreshold = 16 * 4 ** (1 - 2 * sensitivity) = 16
        "detect_shadows": False,   # mask is strictly 0/255, no threshold pass needed
        "process_width": 320,      # frames wider than this are downscaled (INTER_AREA) first
        "open_kernel": 3,          # MORPH_OPEN, rectangular, at processing scale
        "close_kernel": 7,         # MORPH_CLOSE, rectangular, at processing scale
        "warmup_frames": 20,       # learned but not reported
        "min_area_fraction": 0.001,  # smallest box = ceil(0.1 % of the frame area), in frame pixels
    },
    "hog": {
        "win_stride": 8,
        "padding": 8,
        "scale": 1.05,
        "hit_threshold": 0.0,
        "group_threshold": 2.0,    # detectMultiScale finalThreshold
        "nms_iou": 0.65,           # then cv2.dnn.NMSBoxes over logistic(SVM margin) scores
    },
    "yolo": {
        "confidence": 0.25,
        "nms_iou": 0.45,           # per class
        "letterbox_fill": 114,
    },
    "haar": {
        "cascade": "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
        "scale_factor": 1.1,
        "min_neighbors": 5,
        "min_size": 30,            # pixels, square
    },
}


def read_y4m(stream):
    """Yields (width, height, y_plane, i420) for every frame of a 4:2:0 YUV4MPEG2 stream (i420:
    the whole frame as the (h*3/2, w) array cv2.COLOR_YUV2BGR_I420 takes)."""
    header = stream.readline()
    if not header.startswith(b"YUV4MPEG2"):
        sys.exit("input is not YUV4MPEG2")
    fields = {t[:1]: t[1:] for t in header.split()[1:]}
    width, height = int(fields[b"W"]), int(fields[b"H"])
    colour = fields.get(b"C", b"420jpeg")
    if not colour.startswith(b"420"):
        sys.exit(f"only 4:2:0 Y4M is supported, got C{colour.decode()}")
    chroma = ((width + 1) // 2) * ((height + 1) // 2)
    size = width * height + 2 * chroma
    while True:
        line = stream.readline()
        if not line:
            return
        if not line.startswith(b"FRAME"):
            sys.exit("bad Y4M frame header")
        data = stream.read(size)
        if len(data) < size:
            return
        frame = np.frombuffer(data, np.uint8)
        yield width, height, frame[: width * height].reshape(height, width), frame.reshape(height * 3 // 2, width)


def lround(v):
    """C's lround for the non-negative values used here (Python's round() rounds half to even)."""
    return int(math.floor(v + 0.5))


class Motion:
    def __init__(self, p):
        self.p = p
        var_threshold = 16 * 4 ** (1 - 2 * min(max(p["sensitivity"], 0), 1))
        self.mog = cv2.createBackgroundSubtractorMOG2(p["history"], var_threshold, p["detect_shadows"])
        self.open = cv2.getStructuringElement(cv2.MORPH_RECT, (p["open_kernel"],) * 2) if p["open_kernel"] else None
        self.close = cv2.getStructuringElement(cv2.MORPH_RECT, (p["close_kernel"],) * 2) if p["close_kernel"] else None
        self.frames = 0

    def detect(self, gray):
        h, w = gray.shape
        small = gray
        if self.p["process_width"] and w > self.p["process_width"]:
            pw = self.p["process_width"]
            small = cv2.resize(gray, (pw, max(1, lround(h * pw / w))), interpolation=cv2.INTER_AREA)
        mask = self.mog.apply(small)
        self.frames += 1
        if self.frames <= self.p["warmup_frames"]:
            return []
        if self.open is not None:
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self.open)
        if self.close is not None:
            mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self.close)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        sx, sy = w / mask.shape[1], h / mask.shape[0]
        min_area = math.ceil(w * h * self.p["min_area_fraction"])
        out = []
        for c in contours:
            x, y, bw, bh = cv2.boundingRect(c)
            x1, y1 = max(0, math.floor(x * sx)), max(0, math.floor(y * sy))
            x2, y2 = min(w, math.ceil((x + bw) * sx)), min(h, math.ceil((y + bh) * sy))
            area = (x2 - x1) * (y2 - y1)
            if area == 0 or area < min_area:
                continue
            fill = cv2.countNonZero(mask[y:y + bh, x:x + bw]) / (bw * bh)
            out.append(("motion", fill, (x1, y1, x2 - x1, y2 - y1)))
        return out


class Hog:
    def __init__(self, p):
        self.p = p
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def detect(self, gray):
        p = self.p
        rects, weights = self.hog.detectMultiScale(
            gray, hitThreshold=p["hit_threshold"], winStride=(p["win_stride"],) * 2, padding=(p["padding"],) * 2,
            scale=p["scale"], groupThreshold=p["group_threshold"])
        if len(rects) == 0:
            return []
        scores = [float(1 / (1 + math.exp(-float(w)))) for w in np.ravel(weights)]
        keep = cv2.dnn.NMSBoxes([list(map(int, r)) for r in rects], scores, 0.0, p["nms_iou"])
        h, w = gray.shape
        out = []
        for i in np.ravel(keep):
            x, y, bw, bh = map(int, rects[i])
            x1, y1, x2, y2 = max(0, x), max(0, y), min(w, x + bw), min(h, y + bh)
            if x2 > x1 and y2 > y1:
                out.append(("person", scores[i], (x1, y1, x2 - x1, y2 - y1)))
        return out


class Yolo:
    """A YOLOv8-layout ONNX model ([1, 4+C, N]) through cv2.dnn: letterbox, forward, decode with
    numpy, class-wise NMS; boxes back in frame pixels. Takes the whole I420 frame (it needs colour)."""
    colour = True

    def __init__(self, p, model):
        self.p = p
        self.net = cv2.dnn.readNetFromONNX(model)
        self.net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        self.net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        shape = [d.dim_value for d in __import__("onnx").load(model).graph.input[0].type.tensor_type.shape.dim]
        self.input_h, self.input_w = shape[2], shape[3]

    def detect(self, i420):
        p = self.p
        bgr = cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)
        h, w = bgr.shape[:2]
        r = min(self.input_w / w, self.input_h / h)
        nw, nh = max(1, lround(w * r)), max(1, lround(h * r))
        left, top = (self.input_w - nw) // 2, (self.input_h - nh) // 2
        boxed = cv2.copyMakeBorder(cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR), top, self.input_h - nh - top,
                                   left, self.input_w - nw - left, cv2.BORDER_CONSTANT, value=(p["letterbox_fill"],) * 3)
        self.net.setInput(cv2.dnn.blobFromImage(boxed, 1 / 255.0, swapRB=True, crop=False))
        out = self.net.forward()[0]                      # (4 + C, N)
        classes = out[4:]
        best = classes.argmax(axis=0)
        scores = classes[best, np.arange(out.shape[1])]
        keep = scores >= p["confidence"]
        cx, cy, bw, bh = (out[i][keep] for i in range(4))
        x1, y1 = (cx - bw / 2 - left) / r, (cy - bh / 2 - top) / r
        x2, y2 = (cx + bw / 2 - left) / r, (cy + bh / 2 - top) / r
        found = []
        for cls in np.unique(best[keep]):
            idx = np.nonzero(best[keep] == cls)[0]
            rects = [[float(x1[i]), float(y1[i]), float(x2[i] - x1[i]), float(y2[i] - y1[i])] for i in idx]
            for k in np.ravel(cv2.dnn.NMSBoxes(rects, [float(scores[keep][i]) for i in idx], 0.0, p["nms_iou"])):
                i = idx[k]
                bx1, by1 = min(max(lround(x1[i]), 0), w), min(max(lround(y1[i]), 0), h)
                bx2, by2 = min(max(lround(x2[i]), 0), w), min(max(lround(y2[i]), 0), h)
                if bx2 > bx1 and by2 > by1:
                    found.append((str(int(cls)), float(scores[keep][i]), (bx1, by1, bx2 - bx1, by2 - by1)))
        found.sort(key=lambda f: -f[1])
        return found


class Haar:
    def __init__(self, p, cascade=None):
        self.p = p
        path = cascade or p["cascade"]
        self.cascade = cv2.CascadeClassifier(path)
        if self.cascade.empty():
            sys.exit(f"cannot load Haar cascade '{path}'")

    def detect(self, gray):
        p = self.p
        rects, neighbours = self.cascade.detectMultiScale2(
            gray, scaleFactor=p["scale_factor"], minNeighbors=p["min_neighbors"], minSize=(p["min_size"],) * 2)
        k = max(1, p["min_neighbors"])
        return [("face", n / (n + k), tuple(map(int, r))) for r, n in zip(rects, np.ravel(neighbours))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", nargs="?", default="-", help="Y4M file, or - for stdin (default)")
    ap.add_argument("--detector", default="motion", help="motion, hog, haar[:FILE.xml] or yolo:FILE.onnx (v8 layout)")
    ap.add_argument("--frames", type=int, default=0, help="stop after N frames (0 = all)")
    ap.add_argument("--threads", type=int, default=1, help="cv2.setNumThreads (default 1)")
    ap.add_argument("--jsonl", action="store_true", help="write one detection record per frame on stdout")
    args = ap.parse_args()

    cv2.setNumThreads(args.threads)
    kind, _, file = args.detector.partition(":")
    if kind == "motion":
        detector = Motion(PARAMS["motion"])
    elif kind == "hog":
        detector = Hog(PARAMS["hog"])
    elif kind == "haar":
        detector = Haar(PARAMS["haar"], file or None)
    elif kind == "yolo" and file:
        detector = Yolo(PARAMS["yolo"], file)
    else:
        sys.exit(f"unknown detector '{args.detector}': choose motion, hog, haar[:FILE.xml] or yolo:FILE.onnx")

    stream = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
    frames = boxes = 0
    detect_seconds = 0.0
    wall_start = time.perf_counter()
    for width, height, gray, i420 in read_y4m(stream):
        start = time.perf_counter()
        found = detector.detect(i420 if getattr(detector, "colour", False) else gray)
        elapsed = time.perf_counter() - start
        detect_seconds += elapsed
        if args.jsonl:
            print(json.dumps({
                "type": "detections", "frame": frames, "width": width, "height": height, "detector": kind,
                "inference_us": int(elapsed * 1e6),
                "detections": [{"label": l, "score": lround(s * 1000) / 1000, "box": list(b)} for l, s, b in found],
            }, separators=(",", ":")))
        frames += 1
        boxes += len(found)
        if args.frames and frames >= args.frames:
            break
    wall = time.perf_counter() - wall_start
    if frames == 0:
        sys.exit("no frames read")
    sys.stderr.write(
        f"python {kind} (OpenCV {cv2.__version__}, {args.threads} thread(s)): {frames} frames, {boxes} detections; "
        f"detector {frames / detect_seconds:.0f} frames/s ({detect_seconds / frames * 1000:.2f} ms/frame), "
        f"wall {frames / wall:.0f} frames/s\n")


if __name__ == "__main__":
    main()
