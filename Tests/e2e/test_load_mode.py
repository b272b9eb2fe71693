"""`rtd signal URL --viewers N`, the load mode: N receive-only viewers in one process against `rtd
serve`, counted (not decoded), and one summary at the end."""
import json
import subprocess
import urllib.request

import pytest
from conftest import free_port, run


def start_server(rtd, *args):
    port = free_port()
    p = subprocess.Popen([rtd, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    if "rtd serve: http://" not in line:
        p.kill()
        raise RuntimeError("server did not start: " + line)
    return p, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(rtd):
    p, base = start_server(rtd, "--camera", "cam0=testsrc", "--size", "320x240")
    yield base
    p.terminate()
    p.wait(timeout=10)


def peers(base):
    with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
        return json.loads(r.read())["peers"]


def summary(result):
    assert result.returncode == 0, (result.returncode, result.stderr.decode()[-3000:], result.stdout.decode()[-2000:])
    return json.loads(result.stdout)


def test_twenty_viewers_connect_and_receive_video_and_records(rtd, server):
    before = peers(server)
    r = run([rtd, "signal", server, "--viewers", "20", "--duration", "5", "--json"], timeout=120)
    s = summary(r)
    assert s["viewers"] == 20 and s["connected"] == 20 and s["failed"] == 0 and s["dropped"] == 0, s
    assert s["with_video"] == 20 and s["without_video"] == 0, s
    assert s["fps"]["median"] > 20 and s["fps"]["min"] > 15, s
    assert s["records"] > 0 and s["records_per_s"]["min"] > 5, s
    ff = s["first_frame_ms"]
    assert 0 < ff["p50"] <= ff["p95"] <= ff["max"] < 5000, s
    assert 0 < s["connect_ms"]["p50"] <= ff["p50"], s
    assert s["loss_percent"] < 5 and s["srtp_errors"] == 0, s
    assert s["seconds"] >= 4.9 and s["codec"] in ("vp8", "h264"), s
    client = s["client"]
    assert client["threads"] >= 1 and client["rss_mb"] > 0 and client["cpu_percent"] > 0, s
    assert "cpu_percent_per_viewer" in client, s
    # Progress went to stderr, the summary alone to stdout.
    assert "20/20 connected" in r.stderr.decode(), r.stderr.decode()
    # Every viewer said bye: the server is back where it was.
    assert peers(server) == before


def test_text_summary_and_codec_and_whep(rtd, server):
    r = run([rtd, "signal", server, "--viewers", "3", "--duration", "2", "--codec", "h264", "--threads", "1"], timeout=60)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    out = r.stdout.decode()
    assert "3/3 connected" in out and "codec          h264" in out and "first frame" in out, out
    r = run([rtd, "signal", server, "--whep", "--camera", "cam0", "--viewers", "3", "--duration", "2", "--json"], timeout=60)
    s = summary(r)
    assert s["connected"] == 3 and s["with_video"] == 3 and s["fps"]["median"] > 20, s


def test_failures_are_counted_and_set_the_exit_status(rtd, server):
    # An unknown camera: every offer is refused with HTTP 404, each viewer counted as failed.
    r = run([rtd, "signal", server, "--camera", "nope", "--viewers", "3", "--duration", "1", "--json"], timeout=60)
    assert r.returncode == 4, (r.returncode, r.stderr.decode())
    s = json.loads(r.stdout)
    assert s["connected"] == 0 and s["failed"] == 3, s
    assert s["failures"][0]["viewers"] == 3 and "404" in s["failures"][0]["error"], s


@pytest.mark.parametrize("args,message", [
    (["--viewers", "0"], "--viewers must be 1 .."),
    (["--viewers=-3"], "--viewers must be 1 .."),
    (["--viewers", "5", "--ramp", "0"], "--ramp must be"),
    (["--viewers", "5", "--threads", "0"], "--threads must be"),
    (["--ramp", "5"], "need --viewers"),
    (["--viewers", "5", "-o", "clip.mkv"], "-o is for a single viewer"),
    (["--viewers", "5", "--stats"], "--stats is for a single viewer"),
])
def test_bad_load_arguments_are_refused(rtd, args, message):
    r = run([rtd, "signal", "http://127.0.0.1:9", *args], timeout=30)
    assert r.returncode == 1, (r.returncode, r.stderr.decode())
    assert message in r.stderr.decode(), r.stderr.decode()
    assert r.stdout == b""
