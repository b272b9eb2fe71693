"""End-to-end tests of `rtd detect` through the CLI, with real inputs (rtd's test pattern, ffmpeg
streams, a real photograph) and tiny ONNX models built here."""
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, ffprobe, frame_params, run, run_on_terminal, y4m_frames

SCHEMA = {"type": str, "frame": int, "pts_us": int, "captured_at_us": int, "width": int, "height": int,
          "detector": str, "inference_us": int, "detections": list}


def records(text):
    lines = text.decode().splitlines()
    return [json.loads(l) for l in lines]


def test_records_follow_the_schema_and_carry_xts(rtd, tmp):
    frames = run([rtd, "capture", "testsrc", "--pace", "fast", "--frames", "90", "-q"], check=True).stdout
    r = run([rtd, "detect", "--camera", "cam0", "-q"], input=frames)
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    assert len(recs) == 90
    _, y4m = y4m_frames(frames)
    for i, (rec, (fh, _)) in enumerate(zip(recs, y4m)):
        for k, t in SCHEMA.items():
            assert isinstance(rec[k], t), (k, rec)
        assert rec["type"] == "detections" and rec["camera"] == "cam0" and rec["frame"] == i
        assert rec["captured_at_us"] == int(frame_params(fh)["Xts"])
        assert rec["pts_us"] == int(frame_params(fh)["Xpts"])
        assert "rtp_timestamp" not in rec
        for d in rec["detections"]:
            assert d["label"] == "motion" and 0 <= d["score"] <= 1 and len(d["box"]) == 4 and "track_id" in d
    # The pattern's three shapes move: once the background has settled, motion is found.
    assert sum(len(r["detections"]) for r in recs[30:]) >= 60


def test_static_scene_has_no_detections(rtd):
    one = run([rtd, "capture", "testsrc", "--pace", "fast", "--frames", "1", "-q"], check=True).stdout
    header, frames = y4m_frames(one)
    fh, payload = frames[0]
    stream = (header + "\n").encode() + b"".join(b"FRAME\n" + payload for _ in range(120))
    r = run([rtd, "detect", "-q"], input=stream)
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    assert len(recs) == 120
    assert all(not rec["detections"] for rec in recs)


def test_frames_out_annotated_go_on_as_y4m(rtd, tmp):
    frames = run([rtd, "capture", "testsrc", "--pace", "fast", "--frames", "60", "-q"], check=True).stdout
    jsonl = tmp / "d.jsonl"
    r = run([rtd, "detect", "--frames-out", "-", "--annotate", "-o", str(jsonl), "-q"], input=frames)
    assert r.returncode == 0, r.stderr
    _, plain = y4m_frames(frames)
    _, out = y4m_frames(r.stdout)
    assert len(out) == 60 and len(jsonl.read_text().splitlines()) == 60
    recs = [json.loads(l) for l in jsonl.read_text().splitlines()]
    changed = [i for i in range(60) if out[i][1] != plain[i][1]]
    with_boxes = [i for i, rec in enumerate(recs) if rec["detections"]]
    assert changed == with_boxes and changed, "annotation must change exactly the frames with detections"
    assert [frame_params(f) for f, _ in out] == [frame_params(f) for f, _ in plain]
    (tmp / "a.y4m").write_bytes(r.stdout)
    assert ffprobe(tmp / "a.y4m")["nb_read_frames"] == "60"


def test_every_and_max_fps_thin_detection_not_frames(rtd):
    frames = run([rtd, "capture", "testsrc", "--pace", "fast", "--frames", "60", "-q"], check=True).stdout
    r = run([rtd, "detect", "--every", "3", "-q"], input=frames)
    assert [rec["frame"] for rec in records(r.stdout)] == list(range(0, 60, 3))
    r = run([rtd, "detect", "--max-fps", "10"], input=frames)
    assert len(records(r.stdout)) == 20
    assert b"60 frames in, 20 processed, 0 dropped" in r.stderr, r.stderr


def photo_stream(frames=2):
    png = os.path.join(ROOT, "Tests", "Fixtures", "basketball1.png")
    return run(["ffmpeg", "-v", "error", "-loop", "1", "-i", png, "-frames:v", str(frames), "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
                "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-"], check=True).stdout


@pytest.mark.parametrize("detector,label", [("haar", "face"), ("hog", "person")])
def test_people_and_faces_in_a_photograph(rtd, detector, label):
    r = run([rtd, "detect", "--detector", detector, "-q"], input=photo_stream())
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    assert recs and all(any(d["label"] == label for d in rec["detections"]) for rec in recs), recs
    grey = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=gray:s=640x480", "-frames:v", "2", "-pix_fmt", "yuv420p",
                "-f", "yuv4mpegpipe", "-"], check=True).stdout
    r = run([rtd, "detect", "--detector", detector, "-q"], input=grey)
    assert all(not rec["detections"] for rec in records(r.stdout))


def make_model(path, spec):
    py = os.path.join(ROOT, ".venv", "bin", "python")
    r = run([py if os.path.exists(py) else sys.executable, os.path.join(ROOT, "Tests", "python", "make_const_yolo.py"),
             str(path), json.dumps(spec)])
    assert r.returncode == 0, r.stderr


def test_yolo_model_and_labels_through_the_cli(rtd, tmp):
    model = tmp / "m.onnx"
    # One v8 candidate of class 1 centred in a 320x320 input; the frame is 640x480, so the
    # letterbox scale is 0.5 with 40 px of padding top and bottom.
    make_model(model, {"input": [1, 3, 320, 320], "layout": "v8", "attributes": 6, "count": 8,
                       "candidates": [[160, 160, 64, 32, 0.1, 0.9]]})
    labels = tmp / "labels.txt"
    labels.write_text("cat\ndog\n")
    frames = run([rtd, "capture", "testsrc", "--pace", "fast", "--frames", "3", "-q"], check=True).stdout
    r = run([rtd, "detect", "--detector", f"yolo:{model}", "--labels", str(labels), "-q"], input=frames)
    assert r.returncode == 0, r.stderr
    for rec in records(r.stdout):
        assert [(d["label"], d["box"], d["score"]) for d in rec["detections"]] == [("dog", [256, 208, 128, 64], 0.9)]
    short = tmp / "short.txt"
    short.write_text("cat\n")
    r = run([rtd, "detect", "--detector", f"yolo:{model}", "--labels", str(short)], input=frames)
    assert r.returncode == 1 and b"short.txt" in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr


@pytest.mark.parametrize("args,expect", [
    (["--detector", "bogus"], "unknown detector 'bogus'"),
    (["--detector", "yolo:/no/such/model.onnx"], "not found"),
    (["--detector", "haar:/no/such/cascade.xml"], "/no/such/cascade.xml"),
])
def test_bad_detector_is_one_clear_line(rtd, args, expect):
    r = run([rtd, "detect", *args], input=b"")
    err = r.stderr.decode()
    assert r.returncode == 1 and expect in err and len(err.strip().splitlines()) == 1, err


def test_corrupt_and_wrong_shape_models(rtd, tmp):
    bad = tmp / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 100)
    r = run([rtd, "detect", "--detector", f"yolo:{bad}"], input=b"")
    assert r.returncode == 1 and b"bad.onnx" in r.stderr, r.stderr
    odd = tmp / "odd.onnx"
    make_model(odd, {"input": [1, 3, 64, 64], "shape": [1, 7]})
    frames = run([rtd, "capture", "testsrc", "--pace", "fast", "--frames", "1", "-q"], check=True).stdout
    r = run([rtd, "detect", "--detector", f"yolo:{odd}"], input=frames)
    assert r.returncode == 1 and b"shape" in r.stderr, r.stderr


def test_live_source_is_detected_newest_first_with_drops_counted(rtd):
    # hog at 720p (about 90 ms a frame) is far slower than 30 fps: detect keeps up by dropping, never lagging.
    r = run([rtd, "detect", "testsrc", "--size", "1280x720", "--detector", "hog", "--duration", "3"])
    assert r.returncode == 0, r.stderr
    recs = records(r.stdout)
    summary = r.stderr.decode()
    dropped = int(summary.split(" dropped")[0].rsplit(" ", 1)[1])
    assert dropped > 10 and len(recs) < 80, summary
    # Newest-frame-first: capture-to-record age stays bounded instead of growing.
    ages = [rec["captured_at_us"] for rec in recs]
    assert ages == sorted(ages)


def test_progress_bar_on_a_terminal(rtd, tmp):
    clip = tmp / "c.y4m"
    run([rtd, "capture", "testsrc", "--pace", "fast", "--frames", "30", "-o", str(clip), "-q"], check=True)
    _, out = run_on_terminal([rtd, "detect", str(clip), "--detector", "hog"], stdout_to_devnull=True)
    assert b"% " in out and b"/30 frames" in out, out[-300:]
