"""TURN end to end with a real server: coturn (Debian's `turnserver`), started here on loopback
with its own configuration (a static long-term user, no TLS, loopback peers allowed, free ports),
relays rtd serve's video to Chromium (`?ice=relay`, the TURN server from rtd serve's
`ice_servers`) and to `rtd signal --turn … --ice relay` over UDP and over TCP. That the relay
carried the video is checked on both ends: the client's selected pair is a relay one, and
coturn's own accounting of the session counts the bytes it sent to the client."""
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import time

import pytest
from conftest import free_port, run
from test_serve import chromium, start_server, wait_stats
from test_signal import stats_of

pytestmark = pytest.mark.skipif(not shutil.which("turnserver"), reason="coturn is not installed (scripts/setup --test-deps)")

USER, PASSWORD, REALM = "rtdviewer", "turn-s3cret", "rtd.test"
EXIT_ICE = 5


def free_udp_and_tcp_port():
    """A port free for both UDP and TCP on loopback (coturn listens on both)."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


def stun_binding_answered(port):
    """True when something answers a STUN Binding request on 127.0.0.1:port (UDP)."""
    txid = os.urandom(12)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(struct.pack("!HHI", 0x0001, 0, 0x2112A442) + txid, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(2048)
        except OSError:
            return False
    return len(data) >= 20 and data[8:20] == txid and data[0:2] == b"\x01\x01"


class Coturn:
    def __init__(self, tmp):
        self.port = free_udp_and_tcp_port()
        # Relay ports: a window of this run's own (coturn picks among them, skipping busy ones).
        low = random.randrange(20000, 30000, 100)
        self.log = tmp / "turn.log"
        self.proc = subprocess.Popen(
            ["turnserver", "-n", "-v", "--no-tls", "--no-dtls", "--no-cli", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1",
             "--listening-port", str(self.port), "--min-port", str(low), "--max-port", str(low + 99),
             "--lt-cred-mech", "--user", f"{USER}:{PASSWORD}", "--realm", REALM, "--allow-loopback-peers",
             "--log-file", str(self.log), "--simple-log", "--no-stdout-log",
             "--userdb", str(tmp / "turndb"), "--pidfile", str(tmp / "turn.pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not stun_binding_answered(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("coturn did not start: " + self.text()[-2000:])

    def text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def sessions(self):
        """coturn's accounting per closed allocation: {rp, rb, sp, sb} (packets and bytes
        received from and sent to the client) of each session of our user."""
        out = []
        for line in self.text().splitlines():
            m = re.search(r"usage: realm=<[^>]*>, username=<([^>]*)>, rp=(\d+), rb=(\d+), sp=(\d+), sb=(\d+)", line)
            if m and m.group(1) == USER:
                out.append({k: int(v) for k, v in zip(("rp", "rb", "sp", "sb"), m.groups()[1:])})
        return out

    def wait_session(self, since, cond, timeout=15):
        """Sessions after the first `since` that meet `cond`, once there is one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [s for s in self.sessions()[since:] if cond(s)]
            if found:
                return found
            time.sleep(0.1)
        return []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def coturn(tmp_path_factory):
    server = Coturn(tmp_path_factory.mktemp("coturn"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rtd_server(rtd, coturn, tmp_path_factory):
    """rtd serve whose ice_servers name coturn (what the page hands to the browser)."""
    cfg = tmp_path_factory.mktemp("serve") / "rtd.yaml"
    cfg.write_text(json.dumps({"server": {"ice_servers": [
        {"urls": [f"turn:127.0.0.1:{coturn.port}"], "username": USER, "credential": PASSWORD}]}}))
    p, base, _ = start_server(rtd, "--config", str(cfg), "--camera", "cam0=testsrc", "--size", "640x480")
    yield base
    p.terminate()
    p.wait(timeout=10)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_rtd_signal_receives_through_coturn(rtd, coturn, rtd_server, transport):
    url = f"turn:127.0.0.1:{coturn.port}" + ("?transport=tcp" if transport == "tcp" else "")
    before = len(coturn.sessions())
    # The credentials from the environment (UDP) and from the flags (TCP): both are documented.
    creds = ["--turn-user", USER, "--turn-password", PASSWORD] if transport == "tcp" else []
    env = dict(os.environ, RTD_TURN_USER=USER, RTD_TURN_PASSWORD=PASSWORD) if transport == "udp" else None
    r = run([rtd, "signal", rtd_server, "--camera", "cam0", "--turn", url, *creds, "--ice", "relay", "--frames", "60",
             "--detections-out", "/dev/null", "--stats", "--json"], env=env, timeout=90)
    assert r.returncode == 0, r.stderr.decode()[-3000:]
    stats = stats_of(r)
    assert stats["ice_path"]["local"] == "relay", stats
    assert stats["ice_path"]["remote"].startswith("127.0.0.1:"), stats
    assert stats["frames_decoded"] >= 60 and stats["decode_errors"] == 0, stats
    assert (stats["width"], stats["height"]) == (640, 480)
    # coturn's side: the allocation rtd signal ended (Refresh 0) sent it the video: 60 VGA frames
    # are well over 100 kB.
    assert coturn.wait_session(before, lambda s: s["sb"] > 100_000 and s["sp"] >= 60), coturn.text()[-6000:]


def test_wrong_turn_password_is_refused_with_exit_5(rtd, coturn, rtd_server):
    r = run([rtd, "signal", rtd_server, "--turn", f"turn:127.0.0.1:{coturn.port}", "--turn-user", USER,
             "--turn-password", "not-the-password", "--ice", "relay", "--frames", "5", "--detections-out", "/dev/null"], timeout=60)
    err = r.stderr.decode()
    assert r.returncode == EXIT_ICE, err
    assert re.search(r"TURN server turn:127\.0\.0\.1:\d+ refused the credentials", err), err
    assert err.count("\n") == 1, err


def test_chromium_watches_through_coturn_with_ice_relay(coturn, rtd_server, tmp_path):
    before = len(coturn.sessions())
    drv = chromium()
    try:
        drv.get(rtd_server + "/?ice=relay")
        st = wait_stats(drv, lambda s: s["framesDecoded"] > 30 and s["icePath"], timeout=30)
        assert st and st["connected"] and st["framesDecoded"] > 30, st
        # getStats: the selected pair's local candidate is the relay coturn allocated.
        assert st["icePath"]["local"] == "relay" and st["icePath"]["relayProtocol"] == "udp", st
        # At the camera's rate through the relay: decoded frames over 4 s, and the browser's own
        # figure. The page reads getStats every 500 ms, so both ends of the window are taken at a
        # fresh reading (the moment framesDecoded moves), not in between.
        def fresh(seen):
            st = wait_stats(drv, lambda s: s["framesDecoded"] != seen, timeout=5)
            return st["framesDecoded"], time.monotonic()
        f0, t0 = fresh(st["framesDecoded"])
        st = wait_stats(drv, lambda s: time.monotonic() - t0 >= 4, timeout=6)
        f1, t1 = fresh(st["framesDecoded"])
        rate = (f1 - f0) / (t1 - t0)
        assert rate >= 25, (rate, st)
        st = wait_stats(drv, lambda s: s["fps"] >= 25, timeout=5)
        assert st["fps"] >= 25, st
        assert st["icePath"]["local"] == "relay", st
        drv.save_screenshot(str(tmp_path / "chromium-turn.png"))
        # Leaving the page closes the peer connection: Chromium ends its allocation (Refresh 0)
        # and coturn accounts for it; over 4 s of VGA video went to the browser through it.
        drv.get("about:blank")
        assert coturn.wait_session(before, lambda s: s["sb"] > 200_000 and s["sp"] >= 100), coturn.text()[-6000:]
    finally:
        drv.quit()
