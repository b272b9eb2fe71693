"""`rtd replay`: pacing, ranges, loop, export (checked with ffprobe), summary, bad inputs, and
`replay:FILE` as a source."""
import json
import subprocess
import time

import pytest

from conftest import ffprobe, frame_params, run, run_on_terminal, y4m_frames


@pytest.fixture(scope="module")
def recording(rtd, tmp_path_factory):
    """A 4 s testsrc recording with its detections beside it (capture + detect, as documented)."""
    d = tmp_path_factory.mktemp("rec")
    video, records = d / "rec.mkv", d / "rec.jsonl"
    run([rtd, "capture", "testsrc", "--size", "320x240", "--pace", "fast", "--frames", "120", "-o", str(video)], check=True)
    r = subprocess.run(f"{rtd} capture testsrc --size 320x240 --pace fast --frames 120 | {rtd} detect -q -o {records}",
                       shell=True, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return video, records


def test_replay_paces_frames_at_recorded_timing(rtd, recording):
    video, _ = recording
    p = subprocess.Popen([rtd, "replay", str(video), "--from", "1", "--to", "0:02.5", "--frames-out", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    header = p.stdout.readline()
    assert header.startswith(b"YUV4MPEG2 W320 H240")
    size = 320 * 240 * 3 // 2
    arrivals = []
    while True:
        line = p.stdout.readline()
        if not line:
            break
        arrivals.append((time.monotonic(), int(frame_params(line.decode())["Xpts"])))
        p.stdout.read(size)
    assert p.wait(timeout=10) == 0
    assert len(arrivals) == 46, len(arrivals)  # 1.0 s ... 2.5 s at 30 fps
    assert abs(arrivals[0][1] - 1_000_000) <= 1000
    t0, p0 = arrivals[0]
    late = [abs((t - t0) - (pts - p0) / 1e6) for t, pts in arrivals]
    # Within one frame interval of the recorded timing.
    assert max(late) < 1 / 30, max(late)


def test_speed_and_loop(rtd, recording):
    video, _ = recording
    start = time.monotonic()
    out = run([rtd, "replay", str(video), "--speed", "2", "--to", "2", "--frames-out", "-"], check=True)
    elapsed = time.monotonic() - start
    _, frames = y4m_frames(out.stdout)
    assert len(frames) == 61 and 0.9 < elapsed < 1.6, (len(frames), elapsed)
    p = subprocess.Popen([rtd, "replay", str(video), "--speed", "max", "--loop", "--frames-out", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    size = 320 * 240 * 3 // 2
    p.stdout.readline()
    pts = []
    for _ in range(300):
        pts.append(int(frame_params(p.stdout.readline().decode())["Xpts"]))
        p.stdout.read(size)
    p.kill()
    p.wait()
    assert all(b > a for a, b in zip(pts, pts[1:])), "a loop keeps timestamps increasing"


def test_export_opens_in_ffprobe_with_duration_and_frames(rtd, recording, tmp):
    video, _ = recording
    out = tmp / "annotated.mp4"
    status, tty = run_on_terminal([rtd, "replay", str(video), "--export", str(out)])
    assert status == 0, tty
    assert b"100%" in tty and b"120/120" in tty, tty[-300:]
    info = ffprobe(out, "-show_entries", "format=duration")
    assert info["codec_name"] == "h264" and int(info["nb_read_frames"]) == 120
    fmt = json.loads(run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(out)],
                         check=True).stdout)["format"]
    assert abs(float(fmt["duration"]) - 4.0) < 0.05, fmt
    # Boxes and the timestamp are drawn: the export differs from the recording.
    plain = run(["ffmpeg", "-v", "error", "-i", str(video), "-frames:v", "1", "-f", "rawvideo", "-"], check=True).stdout
    drawn = run(["ffmpeg", "-v", "error", "-i", str(out), "-frames:v", "1", "-f", "rawvideo", "-"], check=True).stdout
    bottom = slice(320 * 220, 320 * 240)
    assert sum(abs(a - b) for a, b in zip(plain[bottom], drawn[bottom])) > 20000, "timestamp strip at the bottom"


def test_summary_text_and_json(rtd, recording):
    video, records = recording
    out = run([rtd, "replay", str(video), "--summary", "--json"], check=True)
    s = json.loads(out.stdout)
    n = sum(1 for _ in open(records))
    assert s["records"] == n and s["detections_file"] == str(records)
    motion = [l for l in s["labels"] if l["label"] == "motion"]
    assert motion and motion[0]["detections"] > 0 and motion[0]["last_seen_s"] <= 4
    assert s["busiest_minutes"][0]["minute"] == 0
    assert "first_seen_at" in motion[0], "capture time is known from the records"
    text = run([rtd, "replay", str(video), "--summary"], check=True).stdout.decode()
    assert "motion" in text and "busiest minutes" in text


def test_corrupt_sidecar_line_is_reported_and_skipped(rtd, recording, tmp):
    video, records = recording
    lines = open(records).read().splitlines()
    lines[4] = '{"type":"detections","frame":'
    lines[9] = "garbage"
    lines[14] = "[" * 513  # made JSONDecoder trap (SIGILL): replay crashed
    bad = tmp / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    out = run([rtd, "replay", str(video), "--speed", "max", "--detections", str(bad), "--detections-out", str(tmp / "o.jsonl")])
    assert out.returncode == 0, out.stderr
    err = out.stderr.decode()
    assert f"{bad}:5:" in err and f"{bad}:10:" in err and f"{bad}:15: not valid JSON (byte 64: nested deeper" in err, err
    assert len(open(tmp / "o.jsonl").readlines()) == len(lines) - 3


def test_missing_or_unreadable_video_is_a_clear_error(rtd, tmp):
    out = run([rtd, "replay", str(tmp / "nope.mkv")])
    assert out.returncode == 1
    assert out.stderr.decode().strip() == f"rtd replay: no such recording: {tmp / 'nope.mkv'}"
    junk = tmp / "junk.mkv"
    junk.write_bytes(b"\x00" * 1000)
    out = run([rtd, "replay", str(junk), "--frames-out", str(tmp / "x.y4m")])
    assert out.returncode == 1
    err = out.stderr.decode().strip()
    assert err.startswith(f"rtd replay: cannot read recording {junk}") and "\n" not in err
    out = run([rtd, "replay", str(tmp / "nope.mkv"), "--summary"])
    assert out.returncode == 1 and "no such recording" in out.stderr.decode()


def test_replay_source_in_detect_and_serve(rtd, recording):
    video, records = recording
    # As a source: frames at their recorded timing (4 s), decoded from the recording.
    start = time.monotonic()
    out = run([rtd, "detect", f"replay:{video}", "-q"], check=True)
    assert 3.6 < time.monotonic() - start < 6
    assert len(out.stdout.decode().splitlines()) == 120
    # In serve, a replayed camera shows the recording's own detections.
    import asyncio
    from peers import Viewer, wait_for
    from test_serve import start_server
    p, base, _ = start_server(rtd, "--camera", f"again=replay:{video}")
    try:
        async def go():
            v = Viewer(base, camera="again")
            await v.start()
            assert await wait_for(lambda: len(v.records) >= 40, timeout=15), len(v.records)
            got = list(v.records)
            await v.bye()
            await v.close()
            return got
        got = asyncio.run(go())
    finally:
        p.terminate()
        p.wait(timeout=10)
    recorded = {tuple(tuple(d["box"]) for d in r["detections"]) for r in map(json.loads, open(records))}
    served = [tuple(tuple(d["box"]) for d in r["detections"]) for _, r in got]
    assert all(r["camera"] == "again" and r["detector"] == "motion" for _, r in got)
    assert sum(1 for s in served if s) >= 10
    assert all(s in recorded for s in served), "every box set shown is one the recording holds"
