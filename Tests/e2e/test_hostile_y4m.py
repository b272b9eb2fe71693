"""Hostile Y4M on stdin: every stage that reads it (rtd capture, rtd detect, to Y4M or to an H.264
recording) either refuses it with one line on stderr naming the field and where it is, and a
non-zero exit, or, for valid odd sizes, succeeds with a readable recording. Never a signal."""
import pytest
from conftest import ffprobe, run, y4m_frames


def i420(w, h):
    return w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)


def stream(header, frames=1, w=None, h=None, frame_header=b"FRAME", payload=None):
    """A Y4M byte string: `header` (without its newline), then `frames` frames of `payload` bytes
    (default: a full frame of the W/H given)."""
    if payload is None:
        payload = i420(w, h) if w and h else 0
    return header + b"\n" + (frame_header + b"\n" + bytes([128]) * payload) * frames


GOOD = b"YUV4MPEG2 W32 H24 F30:1 Ip A1:1 C420jpeg"
FULL = i420(32, 24)

# (id, stdin bytes, what the one-line error must contain)
HOSTILE = [
    # stream header fields out of range or malformed
    ("width-zero", stream(b"YUV4MPEG2 W0 H24"), "width 'W0' out of range"),
    ("width-too-big", stream(b"YUV4MPEG2 W16385 H24"), "width 'W16385' out of range"),
    ("width-negative", stream(b"YUV4MPEG2 W-32 H24"), "width 'W-32' is not a number"),
    ("width-huge-number", stream(b"YUV4MPEG2 W99999999999999999999999 H24"), "width 'W99999999999999999999999' out of range"),
    ("height-zero", stream(b"YUV4MPEG2 W32 H0"), "height 'H0' out of range"),
    ("height-too-big", stream(b"YUV4MPEG2 W32 H16385"), "height 'H16385' out of range"),
    ("height-garbage", stream(b"YUV4MPEG2 W32 Hx"), "height 'Hx' is not a number"),
    ("area-too-big", stream(b"YUV4MPEG2 W16384 H16384", payload=100), "frame size W16384 H16384"),
    ("size-missing", stream(b"YUV4MPEG2 W32 F30:1"), "frame size missing"),
    ("rate-overflow-den", stream(b"YUV4MPEG2 W32 H24 F1:10000000000000", frames=2, w=32, h=24),
     "frame rate 'F1:10000000000000' out of range (1/1000 .. 1000/1 fps"),
    ("rate-overflow-num", stream(b"YUV4MPEG2 W32 H24 F9223372036854775807:1", frames=2, w=32, h=24),
     "frame rate 'F9223372036854775807:1' out of range"),
    ("rate-int32-num", stream(b"YUV4MPEG2 W32 H24 F4294967296:4294967296", frames=2, w=32, h=24), "frame rate 'F4294967296:4294967296' out of range"),
    ("rate-zero-den", stream(b"YUV4MPEG2 W32 H24 F30:0"), "frame rate 'F30:0' out of range"),
    ("rate-zero-num", stream(b"YUV4MPEG2 W32 H24 F0:30"), "frame rate 'F0:30' out of range"),
    ("rate-too-fast", stream(b"YUV4MPEG2 W32 H24 F1001:1"), "frame rate 'F1001:1' out of range"),
    ("rate-too-slow", stream(b"YUV4MPEG2 W32 H24 F1:1001"), "frame rate 'F1:1001' out of range"),
    ("rate-malformed", stream(b"YUV4MPEG2 W32 H24 F30"), "frame rate 'F30' malformed"),
    ("aspect-zero-den", stream(b"YUV4MPEG2 W32 H24 A1:0"), "aspect ratio 'A1:0' out of range"),
    ("aspect-malformed", stream(b"YUV4MPEG2 W32 H24 Awide"), "aspect ratio 'Awide' malformed"),
    ("interlace-unknown", stream(b"YUV4MPEG2 W32 H24 Iz"), "interlacing 'Iz' unknown"),
    ("chroma-444", stream(b"YUV4MPEG2 W32 H24 C444"), "unsupported chroma format 'C444'"),
    ("chroma-10bit", stream(b"YUV4MPEG2 W32 H24 C420p10"), "unsupported chroma format 'C420p10'"),
    ("unknown-param", stream(b"YUV4MPEG2 W32 H24 Q7"), "unknown parameter 'Q7'"),
    ("repeated-width", stream(b"YUV4MPEG2 W32 H24 W64"), "parameter 'W64' repeated"),
    ("crlf", b"YUV4MPEG2 W32 H24 F30:1\r\nFRAME\r\n", "contains byte 0x0D"),
    ("control-byte", stream(b"YUV4MPEG2 W32 H24 X\x00\x01"), "contains byte 0x00"),
    # not Y4M at all, or cut short
    ("empty", b"", "empty input"),
    ("garbage", bytes(range(256)) * 40, "not a Y4M stream"),
    ("gif", b"GIF89a\x01\x00\x01\x00\x00\xff\x00,\n" + b"\x00" * 100, "not a Y4M stream: expected 'YUV4MPEG2', found 'GIF89a"),
    ("signature-glued", stream(b"YUV4MPEG2W32 H24"), "not a Y4M stream"),
    ("endless-header", b"YUV4MPEG2 W32 H24 X" + b"a" * 100_000, "header line longer than 4096 bytes"),
    ("header-cut", b"YUV4MPEG2 W32 H2", "stream ends inside the header line"),
    # frames: markers, parameters, payloads
    ("frame-marker", stream(GOOD, frame_header=b"FRAMX", w=32, h=24), "expected 'FRAME', found 'FRAMX'"),
    ("frame-header-cut", GOOD + b"\nFRA", "frame 0, byte 44: stream ends inside the frame header"),
    ("frame-header-endless", GOOD + b"\nFRAME X" + b"a" * 10_000, "frame header 'FRAME Xaaaaaaaaa' longer than 4096 bytes"),
    ("frame-truncated", GOOD + b"\nFRAME\n" + b"\x80" * 100, f"frame 0, byte {41 + 6 + 100}: frame data truncated: expected {FULL} bytes"),
    ("second-frame-truncated", stream(GOOD, w=32, h=24) + b"FRAME\n" + b"\x80" * (FULL - 1), "frame 1, byte"),
    ("huge-frame-truncated", stream(b"YUV4MPEG2 W8192 H8192", payload=1000), "expected 100663296 bytes of 8192x8192 I420, got 1000"),
    ("huge-frame-header-only", b"YUV4MPEG2 W16384 H4096\nFRAME\n", "expected 100663296 bytes of 16384x4096 I420, got 0"),
    ("xpts-garbage", stream(GOOD, frame_header=b"FRAME Xpts=soon", w=32, h=24), "Xpts 'Xpts=soon' is not an integer"),
    ("xpts-overflow", stream(GOOD, frame_header=b"FRAME Xpts=9223372036854775807", w=32, h=24), "Xpts 'Xpts=9223372036854775807' out of range"),
    ("xpts-min", stream(GOOD, frame_header=b"FRAME Xpts=-9223372036854775808", w=32, h=24), "out of range"),
    ("xts-negative", stream(GOOD, frame_header=b"FRAME Xts=-1", w=32, h=24), "Xts 'Xts=-1' out of range"),
    ("xts-repeated", stream(GOOD, frame_header=b"FRAME Xts=1 Xts=2", w=32, h=24), "parameter 'Xts=2' repeated"),
    ("frame-param-unknown", stream(GOOD, frame_header=b"FRAME W9", w=32, h=24), "unknown frame parameter 'W9'"),
]

# The stages that read Y4M on stdin, and what they write.
COMMANDS = {
    "capture-y4m": lambda tmp: ["capture", "-", "-q"],
    "capture-mkv": lambda tmp: ["capture", "-", "-q", "-o", str(tmp / "out.mkv")],
    "detect": lambda tmp: ["detect", "-q"],
    "detect-frames-mp4": lambda tmp: ["detect", "-", "-q", "--detector", "none", "-o", str(tmp / "r.jsonl"),
                                      "--frames-out", str(tmp / "out.mp4")],
}

# Frames of up to 96 MiB: read (and refused) by every stage, but an encoder is not opened at that
# size for each of them, to keep the suite light.
HUGE = {"huge-frame-truncated", "huge-frame-header-only"}


def check_refused(r, command, expected):
    assert r.returncode > 0, f"killed by signal {-r.returncode}" if r.returncode < 0 else "accepted"
    err = r.stderr.decode(errors="replace")
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"rtd {command}: "), err
    assert expected in lines[0], err
    assert "byte" in lines[0] or "empty input" in lines[0], err


CASES = [pytest.param(command, *case, id=f"{command}-{case[0]}") for command in COMMANDS for case in HOSTILE
         if not (case[0] in HUGE and command.endswith(("mkv", "mp4")))]


@pytest.mark.parametrize("command,name,data,expected", CASES)
def test_hostile_stream_is_refused_with_one_line(rtd, tmp, command, name, data, expected):
    r = run([rtd, *COMMANDS[command](tmp)], input=data, timeout=60)
    check_refused(r, command.split("-")[0], expected)


ODD = [(3, 3), (63, 47), (33, 1), (1, 1), (16384, 1), (1, 16384)]


@pytest.mark.parametrize("w,h", ODD, ids=[f"{w}x{h}" for w, h in ODD])
@pytest.mark.parametrize("command", ["capture-mkv", "detect-frames-mp4"])
def test_odd_sizes_encode(rtd, tmp, command, w, h):
    frames = 3
    r = run([rtd, *COMMANDS[command](tmp)], input=stream(b"YUV4MPEG2 W%d H%d F30:1" % (w, h), frames=frames, w=w, h=h), timeout=120)
    assert r.returncode == 0, r.stderr
    s = ffprobe(tmp / ("out.mkv" if command == "capture-mkv" else "out.mp4"))
    assert (s["codec_name"], s["width"], s["height"], s["nb_read_frames"]) == ("h264", w + w % 2, h + h % 2, str(frames))


@pytest.mark.parametrize("w,h", ODD, ids=[f"{w}x{h}" for w, h in ODD])
def test_odd_size_header_alone_makes_an_empty_recording(rtd, tmp, w, h):
    """A writer is opened from the header, before any frame arrives: that alone crashed before."""
    r = run([rtd, "capture", "-", "-q", "-o", str(tmp / "out.mkv")], input=b"YUV4MPEG2 W%d H%d\n" % (w, h))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("w,h", [(3, 3), (63, 47), (33, 1)], ids=["3x3", "63x47", "33x1"])
def test_odd_sizes_pass_through_y4m_and_detect(rtd, w, h):
    data = stream(b"YUV4MPEG2 W%d H%d F30:1" % (w, h), frames=4, w=w, h=h, frame_header=b"FRAME Xpts=0 Xts=5")
    r = run([rtd, "capture", "-", "-q"], input=data)
    assert r.returncode == 0, r.stderr
    header, frames = y4m_frames(r.stdout)
    assert f"W{w} H{h}" in header and len(frames) == 4
    r = run([rtd, "detect", "-q"], input=data)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.decode().splitlines()) == 4


def test_slowest_and_fastest_rates_are_read(rtd, tmp):
    for rate, pts in ((b"F1:1000", ["0", "1000000000"]), (b"F1000:1", ["0", "1000"])):
        r = run([rtd, "capture", "-", "-q"], input=stream(b"YUV4MPEG2 W4 H2 " + rate, frames=2, w=4, h=2))
        assert r.returncode == 0, r.stderr
        _, frames = y4m_frames(r.stdout)
        assert [dict(p.split("=") for p in fh.split()[1:])["Xpts"] for fh, _ in frames] == pts


# Numeric options: bounded by the argument parser (exit 64) before anything is opened.
BAD_OPTIONS = [
    (["capture", "-", "--fps", "1e300"], "--fps"),
    (["capture", "-", "--fps", "1/9223372036854775807"], "--fps"),
    (["capture", "-", "--fps", "nan"], "--fps"),
    (["capture", "-", "-o", "x.mkv", "--keyint", "9999999999"], "--keyint"),
    (["capture", "-", "-o", "x.mkv", "--bitrate", "9223372036854775807"], "--bitrate"),
    (["capture", "-", "--duration", "nan"], "--duration"),
    (["capture", "-", "--size", "99999x2"], "--size"),
    (["detect", "--max-fps", "inf"], "--max-fps"),
    (["detect", "--scale", "1"], "--scale"),
    (["detect", "--hog-stride", "0"], "--hog-stride"),
    (["detect", "--input-size", "999999999"], "--input-size"),
    (["detect", "--threads", "100000"], "--threads"),
    (["detect", "--frames", "0"], "--frames"),
    (["replay", "x.mkv", "--speed", "1e-300"], "--speed"),
    (["serve", "--keyint", "1e300"], "--keyint"),
    (["serve", "--bitrate", "9223372036854775807"], "--bitrate"),
    (["signal", "http://127.0.0.1:9/", "--timeout", "1e300"], "--timeout"),
]


@pytest.mark.parametrize("args,option", BAD_OPTIONS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in BAD_OPTIONS])
def test_numeric_options_are_bounded(rtd, tmp, args, option):
    r = run([rtd, *args], input=stream(GOOD, w=32, h=24), cwd=tmp, timeout=30)
    assert r.returncode == 64, (r.returncode, r.stderr)
    assert option in r.stderr.decode()
