"""End-to-end tests of `rtd capture` and `rtd probe-cameras` against real tools (ffmpeg, ffprobe,
GStreamer's RTSP server)."""
import json
import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT, ffprobe, frame_params, free_port, run, run_on_terminal, y4m_frames


def test_ffprobe_reads_rtd_y4m(rtd, tmp):
    out = tmp / "a.y4m"
    r = run([rtd, "capture", "testsrc", "--size", "320x240", "--fps", "25", "--pace", "fast", "--frames", "40", "-o", str(out)])
    assert r.returncode == 0, r.stderr
    s = ffprobe(out)
    assert (s["width"], s["height"], s["r_frame_rate"], s["nb_read_frames"]) == (320, 240, "25/1", "40")


def test_rtd_reads_ffmpeg_y4m_bit_exact(rtd):
    ff = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=352x288:r=30", "-frames:v", "25",
              "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-"], check=True).stdout
    r = run([rtd, "capture", "-", "-q"], input=ff)
    assert r.returncode == 0, r.stderr
    _, theirs = y4m_frames(ff)
    header, ours = y4m_frames(r.stdout)
    assert "W352 H288 F30:1" in header
    assert len(ours) == len(theirs) == 25
    assert all(a[1] == b[1] for a, b in zip(ours, theirs))


def test_timing_survives_stages(rtd):
    first = run([rtd, "capture", "testsrc", "--frames", "10", "-q"], check=True).stdout
    second = run([rtd, "capture", "-", "-q"], input=first, check=True).stdout
    third = run([rtd, "capture", "-", "--size", "320x240", "-q"], input=second, check=True).stdout
    _, a = y4m_frames(first)
    _, c = y4m_frames(third)
    assert len(a) == len(c) == 10
    for (fa, _), (fc, _) in zip(a, c):
        pa, pc = frame_params(fa), frame_params(fc)
        assert "Xts" in pa and "Xpts" in pa
        assert pa == pc
    # Live testsrc runs in real time: Xts follows Xpts.
    ts = [int(frame_params(f)["Xts"]) for f, _ in a]
    pts = [int(frame_params(f)["Xpts"]) for f, _ in a]
    assert abs((ts[-1] - ts[0]) - (pts[-1] - pts[0])) < 30_000


def test_capture_to_mkv_and_mp4(rtd, tmp):
    for ext in ("mkv", "mp4"):
        out = tmp / f"clip.{ext}"
        r = run([rtd, "capture", "testsrc", "--size", "640x360", "--pace", "fast", "--frames", "75", "-o", str(out)])
        assert r.returncode == 0, r.stderr
        assert "75 frames" in r.stderr.decode()
        s = ffprobe(out)
        assert (s["codec_name"], s["width"], s["height"], s["nb_read_frames"]) == ("h264", 640, 360, "75")


def test_file_source_decodes_every_frame(rtd, tmp):
    clip = tmp / "in.mp4"
    run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=24", "-frames:v", "53", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", str(clip)], check=True)
    r = run([rtd, "capture", str(clip), "-q"])
    assert r.returncode == 0, r.stderr
    header, frames = y4m_frames(r.stdout)
    assert "W320 H180 F24:1" in header and len(frames) == 53
    pts = [int(frame_params(f)["Xpts"]) for f, _ in frames]
    assert all(abs(p - round(i * 1_000_000 / 24)) <= 1 for i, p in enumerate(pts)), pts


def test_sigint_finishes_the_recording(rtd, tmp):
    out = tmp / "live.mkv"
    p = subprocess.Popen([rtd, "capture", "testsrc", "-o", str(out)], stderr=subprocess.PIPE)
    time.sleep(2.0)
    p.send_signal(2)
    _, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    s = ffprobe(out)
    assert s["codec_name"] == "h264" and 30 <= int(s["nb_read_frames"]) <= 75


def test_slow_reader_makes_live_source_drop(rtd):
    # A reader that takes 1 frame per ~100 ms from a 30 fps live source: capture drops, never queues.
    p = subprocess.Popen([rtd, "capture", "testsrc", "--size", "160x120", "--duration", "2"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    frame = 160 * 120 * 3 // 2
    got = 0
    while True:
        chunk = p.stdout.read(frame)
        if not chunk:
            break
        got += 1
        time.sleep(0.1)
    err = p.stderr.read().decode()
    p.wait(timeout=10)
    assert p.returncode == 0, err
    dropped = int(err.split(" dropped")[0].rsplit(" ", 1)[1])
    assert dropped >= 20, err


@pytest.fixture
def rtsp_server():
    port = free_port()
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "Tests", "e2e", "rtsp_server.py"), str(port)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "READY" not in line:
        p.kill()
        pytest.fail("RTSP server did not start: " + p.stderr.read())
    yield f"rtsp://127.0.0.1:{port}/cam", p
    p.kill()
    p.wait()


def test_rtsp_stream(rtd, rtsp_server):
    url, _ = rtsp_server
    r = run([rtd, "capture", url, "--frames", "30", "-q"], timeout=60)
    assert r.returncode == 0, r.stderr
    header, frames = y4m_frames(r.stdout)
    assert "W320 H240" in header and len(frames) == 30
    # Real content: a moving ball, so frames differ.
    assert frames[0][1] != frames[-1][1]


def test_probe_rtsp_and_file(rtd, rtsp_server, tmp):
    url, _ = rtsp_server
    r = run([rtd, "probe-cameras", "--json", url], timeout=60)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["container"] == "rtsp" and info["streams"][0]["codec"] == "h264"
    assert (info["streams"][0]["width"], info["streams"][0]["height"]) == (320, 240)
    clip = tmp / "p.mkv"
    run([rtd, "capture", "testsrc", "--pace", "fast", "--frames", "60", "-o", str(clip), "-q"], check=True)
    r = run([rtd, "probe-cameras", str(clip)])
    assert r.returncode == 0 and b"video h264 640x480 @ 30 fps" in r.stdout, r.stdout


def test_rtsp_source_is_reopened_after_the_server_dies(rtd, rtsp_server):
    url, server = rtsp_server
    port = url.split(":")[2].split("/")[0]
    p = subprocess.Popen([rtd, "capture", url, "--duration", "14", "--log-level", "info"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    import threading
    total = []
    threading.Thread(target=lambda: total.append(len(p.stdout.read())), daemon=True).start()
    time.sleep(3)
    server.kill()
    server.wait()
    time.sleep(1.5)
    again = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "Tests", "e2e", "rtsp_server.py"), port],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert "READY" in again.stdout.readline()
        _, err = p.communicate(timeout=30)
        err = err.decode()
        assert p.returncode == 0, err
        assert "reopening in" in err and "reopened" in err, err
        frames = int(err.split("rtd capture: ")[1].split(" frames")[0])
        # 3 s before the kill, and at least 4 s after the reopen, at 25 fps.
        assert frames >= 170, err
    finally:
        again.kill()
        again.wait()


def test_probe_without_camera(rtd):
    r = run([rtd, "probe-cameras"])
    assert r.returncode == 0
    if not any(n.startswith("video") for n in os.listdir("/dev")):
        assert b"No cameras found" in r.stdout
    j = run([rtd, "probe-cameras", "--json"])
    assert j.returncode == 0
    assert isinstance(json.loads(j.stdout)["cameras"], list)


@pytest.mark.parametrize("args,stdin,expect", [
    (["-"], b"YUV4MPEG2 W64 H32 F30:1 C420jpeg\nFRAME\n" + b"\x10" * 1000, "y4m: frame 0, byte 1039: frame data truncated"),
    (["-"], b"GIF89a garbage\n", "not a Y4M stream"),
    (["-"], b"YUV4MPEG2 W64 H32 F30:1 C422\nFRAME\n", "unsupported chroma format 'C422'"),
    (["/no/such/clip.mp4"], b"", "no such file: /no/such/clip.mp4"),
    (["foo://bar"], b"", "unknown source scheme 'foo://'"),
    (["v4l2:/dev/null"], b"", "not a V4L2 video device"),
    (["/dev/video77"], b"", "no such camera: /dev/video77"),
])
def test_bad_input_is_one_clear_line(rtd, args, stdin, expect):
    r = run([rtd, "capture", *args, "-o", "/tmp/rtd-bad-input.y4m"], input=stdin)
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert expect in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_unsupported_chroma_from_ffmpeg(rtd):
    ff = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x32", "-frames:v", "2", "-pix_fmt", "yuv422p",
              "-f", "yuv4mpegpipe", "-"], check=True).stdout
    r = run([rtd, "capture", "-", "-o", "/tmp/rtd-422.y4m"], input=ff)
    assert r.returncode == 1 and b"C422" in r.stderr and b"yuv420p" in r.stderr, r.stderr


def test_malformed_size_is_rejected(rtd):
    r = run([rtd, "capture", "testsrc", "--size", "640by480"])
    assert r.returncode != 0
    assert b"640by480" in r.stderr and b"WIDTHxHEIGHT" in r.stderr, r.stderr


def test_refuses_to_write_y4m_to_a_terminal(rtd):
    status, out = run_on_terminal([rtd, "capture", "testsrc", "--frames", "3"])
    assert status == 1
    assert b"refusing to write binary Y4M video to a terminal" in out
    assert b"YUV4MPEG2" not in out


def test_stdout_closed_early_is_a_normal_end(rtd):
    p = subprocess.Popen(f"{rtd} capture testsrc --pace fast | head -c 1000000 > /dev/null; echo ${{PIPESTATUS[0]}}",
                         shell=True, executable="/bin/bash", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=30)
    assert out.strip() == b"0", err
    assert b"reader closed the pipe" in err


@pytest.mark.parametrize("cmd", ["capture", "detect", "serve", "signal", "probe-cameras", "replay"])
def test_every_subcommand_has_help_with_an_example(rtd, cmd):
    r = run([rtd, cmd, "--help"])
    assert r.returncode == 0
    assert b"Example" in r.stdout and b"rtd " + cmd.encode() in r.stdout


def test_version(rtd):
    r = run([rtd, "--version"])
    assert r.returncode == 0 and r.stdout.strip().count(b".") == 2


def test_completions_and_man_pages_are_fresh():
    r = run([os.path.join(ROOT, "scripts", "gen-docs"), "--check"], timeout=900)
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
