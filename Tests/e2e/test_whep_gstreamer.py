"""rtd serve watched over WHEP by GStreamer's webrtcbin (libnice ICE, GStreamer's DTLS-SRTP,
RTP depayloaders and decoders): a WebRTC stack that is neither ours nor aiortc. The client is
whep_gst_client.py, run with the system Python (PyGObject)."""
import json
import os
import socket
import subprocess

import pytest
from conftest import ROOT, free_port
from test_serve_ops import cameras, request, stop

CLIENT = os.path.join(ROOT, "Tests", "e2e", "whep_gst_client.py")


def lan_address():
    """The IPv4 address of the interface with the default route. rtd serves on it rather than on
    127.0.0.1 because libnice gathers no loopback candidate while the machine has another
    interface, and pins each candidate's socket to its interface (IP_UNICAST_IF): from there,
    127.0.0.1 is unreachable. Connecting a UDP socket only asks the kernel for a route."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"  # no other interface: libnice then gathers loopback itself


def serve(rtd, *args):
    """rtd serve with the 640x480 30 fps test pattern; (process, base URL)."""
    host, port = lan_address(), free_port()
    p = subprocess.Popen([rtd, "serve", "--host", host, "--port", str(port), "--camera", "cam0=testsrc",
                          "--size", "640x480", "--detector", "none", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "rtd serve: http://" not in line:
        p.kill()
        raise RuntimeError("server did not start: " + line + p.stderr.read())
    return p, f"http://{host}:{port}"


def watch(url, *args, timeout=60):
    """Runs the client to the end; (exit status, its JSON result or None, stderr)."""
    r = subprocess.run(["/usr/bin/python3", CLIENT, url, *args], capture_output=True, text=True, timeout=timeout)
    return r.returncode, json.loads(r.stdout) if r.returncode == 0 else None, r.stderr


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_webrtcbin_watches_a_camera_over_whep(rtd, codec):
    p, base = serve(rtd, "--codec", codec)
    client = subprocess.Popen(["/usr/bin/python3", CLIENT, base + "/whep/cam0", "--codec", codec, "--frames", "60",
                               "--pause-before-delete"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The client gives up on any step after 20 s, so these reads end.
        line = client.stdout.readline()
        assert line == "PLAYING\n", line + client.stderr.read()
        assert cameras(base)["cam0"]["viewers"] == 1
        out, err = client.communicate("\n", timeout=30)
        assert client.returncode == 0, err
        got = json.loads(out)
        assert got["status"] == 201 and got["location"].startswith("/whep/cam0/"), got
        assert got["encoding"] == codec.upper(), got
        assert got["frames"] >= 60 and (got["width"], got["height"]) == (640, 480), got
        # 30 fps source: 59 frame intervals take about 2 s; much slower means frames are lost.
        assert 59 / got["seconds"] >= 20, got
        assert got["delete_status"] == 200, got
        assert cameras(base)["cam0"]["viewers"] == 0
        assert request(base + got["location"], "DELETE")[0] == 404
    finally:
        client.kill()
        client.wait()
        stop(p)


def test_webrtcbin_with_a_token(rtd):
    p, base = serve(rtd, "--codec", "h264", "--token", "s3cret")
    try:
        status, got, err = watch(base + "/whep/cam0", "--timeout", "10")
        assert status == 1 and "POST offer: HTTP 401" in err, err
        status, got, err = watch(base + "/whep/cam0", "--token", "wrong", "--timeout", "10")
        assert status == 1 and "POST offer: HTTP 401" in err, err
        status, got, err = watch(base + "/whep/cam0", "--token", "s3cret")
        assert status == 0, err
        assert got["frames"] >= 60 and (got["width"], got["height"]) == (640, 480), got
        assert got["delete_status"] == 200, got
        assert cameras(base, "s3cret")["cam0"]["viewers"] == 0
    finally:
        stop(p)


def test_webrtcbin_is_kept_past_the_consent_timeout(rtd):
    """libnice sends no ICE check once its pair is nominated, only keepalive indications (about
    every 25 s); what it does send is RTCP (every few seconds). The viewer must outlive
    --consent-timeout on that alone: 12 s of video against a 10 s timeout."""
    p, base = serve(rtd, "--codec", "vp8", "--consent-timeout", "10")
    try:
        status, got, err = watch(base + "/whep/cam0", "--codec", "vp8", "--frames", "360", "--timeout", "20")
        assert status == 0, err
        assert got["frames"] >= 360 and got["delete_status"] == 200, got
    finally:
        stop(p)
