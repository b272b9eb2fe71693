"""Recording: `rtd serve --record` segments (mkv + jsonl sidecar) and `rtd capture -o` + `rtd detect -o`
pairs, checked with ffprobe and replayed with `rtd replay`."""
import json
import os
import signal
import subprocess
import time

from conftest import ffprobe, free_port, frame_params, run, y4m_frames


def start_recording_server(rtd, *args):
    port = free_port()
    p = subprocess.Popen([rtd, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert "rtd serve: http://" in line, line + p.stderr.read()
    return p


def segments(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".mkv"))


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_serve_records_segments_that_replay_in_step(rtd, tmp):
    rec = tmp / "rec"
    # Leftovers from long ago: retention removes old segments at start, never other files.
    old = rec / "cam0"
    old.mkdir(parents=True)
    for name in ["cam0-20200101-000000.mkv", "cam0-20200101-000000.jsonl", "notes.txt"]:
        (old / name).write_bytes(b"x" * 100)
        os.utime(old / name, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    p = start_recording_server(rtd, "--camera", "cam0=testsrc", "--size", "320x240", "--record", str(rec),
                               "--segment", "3s", "--retain", "1d", "--keyint", "1")
    time.sleep(8)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=20)
    files = sorted(os.listdir(old))
    assert "notes.txt" in files and "cam0-20200101-000000.mkv" not in files and "cam0-20200101-000000.jsonl" not in files
    videos = segments(old)
    assert len(videos) >= 2, files
    total = 0
    for v in videos:
        path = old / v
        sidecar = old / (v[:-4] + ".jsonl")
        assert sidecar.exists()
        info = ffprobe(path)
        assert info["codec_name"] == "h264" and info["width"] == 320
        n = int(info["nb_read_frames"])
        assert n > 0
        total += n
        records = read_jsonl(sidecar)
        assert records and all(r["camera"] == "cam0" and r["detector"] == "motion" for r in records)
        out = run([rtd, "replay", str(path), "--speed", "max", "--frames-out", "-", "--detections-out",
                   str(tmp / "out.jsonl")], check=True)
        _, frames = y4m_frames(out.stdout)
        assert len(frames) == n, "every frame ffprobe sees is replayed"
        pts = [int(frame_params(fh)["Xpts"]) for fh, _ in frames]
        assert pts[0] == 0 and all(b > a for a, b in zip(pts, pts[1:]))
        # Recorded at 30 fps: frames sit on the camera's 1/30 s grid (to Matroska's millisecond;
        # a frame the encoder skipped under load leaves a gap of whole intervals).
        gaps = [b - a for a, b in zip(pts, pts[1:])]
        assert all(min(g % 33333, 33333 - g % 33333) <= 1500 for g in gaps), gaps
        replayed = read_jsonl(tmp / "out.jsonl")
        frame_pts = set(pts)
        aligned = [r for r in replayed if r["pts_us"] in frame_pts]
        assert len(aligned) >= 0.95 * len(replayed) and len(replayed) >= 0.9 * len(records)
        # Xts is the recorded capture time: it matches the records' captured_at_us.
        ts = {int(frame_params(fh)["Xpts"]): int(frame_params(fh)["Xts"]) for fh, _ in frames}
        for r in aligned[:50]:
            assert abs(ts[r["pts_us"]] - r["captured_at_us"]) <= 1000
    # 8 s of 30 fps, recorded with no viewer connected.
    assert total >= 200, total


def test_sigkill_leaves_readable_segments(rtd, tmp):
    rec = tmp / "rec"
    p = start_recording_server(rtd, "--camera", "cam0=testsrc", "--size", "320x240", "--record", str(rec))
    time.sleep(4.5)
    p.kill()
    p.wait(timeout=10)
    videos = segments(rec / "cam0")
    assert len(videos) == 1
    path = rec / "cam0" / videos[0]
    info = ffprobe(path)
    # At most the last cluster (a second) is lost.
    assert int(info["nb_read_frames"]) >= 60, info
    out = run([rtd, "replay", str(path), "--speed", "max", "--frames-out", "-", "--detections-out", str(tmp / "d.jsonl")])
    assert out.returncode == 0, out.stderr
    _, frames = y4m_frames(out.stdout)
    assert len(frames) == int(info["nb_read_frames"])
    assert read_jsonl(tmp / "d.jsonl")


def test_capture_and_detect_make_a_pair_replay_aligns(rtd, tmp):
    video, records = tmp / "x.mkv", tmp / "x.jsonl"
    # Lossless, so that detecting again over the decoded frames sees the very same pixels.
    run([rtd, "capture", "testsrc", "--size", "320x240", "--pace", "fast", "--frames", "90", "--crf", "0", "-o", str(video)],
        check=True)
    live = subprocess.run(f"{rtd} capture testsrc --size 320x240 --pace fast --frames 90 | {rtd} detect -q -o {records}",
                          shell=True, capture_output=True, timeout=120)
    assert live.returncode == 0, live.stderr
    out = run([rtd, "replay", str(video), "--speed", "max", "--frames-out", "-", "--detections-out", str(tmp / "r.jsonl")],
              check=True)
    _, frames = y4m_frames(out.stdout)
    assert len(frames) == 90
    pts = [int(frame_params(fh)["Xpts"]) for fh, _ in frames]
    replayed = read_jsonl(tmp / "r.jsonl")
    assert [r["pts_us"] for r in replayed] == pts, "one record per frame, found beside the video by itself"
    original = read_jsonl(records)
    assert [r["frame"] for r in replayed] == [r["frame"] for r in original]
    # Detecting again over the replay gives the same boxes as the live detection did.
    again = subprocess.run(f"{rtd} replay {video} --speed max | {rtd} detect -q -o {tmp / 'again.jsonl'}",
                           shell=True, capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr
    redo = read_jsonl(tmp / "again.jsonl")
    assert len(redo) == 90
    boxes = lambda rs: [[d["box"] for d in r["detections"]] for r in rs]
    assert sum(len(b) for b in boxes(original)) > 30, "the pattern moves: motion is found"
    assert boxes(redo) == boxes(original)


def test_recording_per_camera_from_the_config_file(rtd, tmp):
    rec = tmp / "rec"
    cfg = tmp / "rtd.yaml"
    cfg.write_text(f"""server:
  record: {rec}
cameras:
  kept: {{source: testsrc, size: 320x240}}
  skipped: {{source: testsrc, size: 320x240, record: false}}
""")
    p = start_recording_server(rtd, "--config", str(cfg), "--keyint", "1")
    time.sleep(4)
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=20) == 0
    assert sorted(os.listdir(rec)) == ["kept"]
    videos = segments(rec / "kept")
    assert videos and int(ffprobe(rec / "kept" / videos[0])["nb_read_frames"]) > 0
    # A camera that asks for recording on a server with nowhere to record is a clear error.
    cfg.write_text("cameras:\n  cam0: {source: testsrc, record: true}\n")
    r = run([rtd, "serve", "--config", str(cfg), "--port", "0"], timeout=30)
    assert r.returncode == 1 and b"record: true but there is no --record DIR" in r.stderr, r.stderr
