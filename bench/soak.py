#!/usr/bin/env python3
"""Soak and fault suite for `rtd serve`: long runs, vanished peers, lossy links and a killed recorder,
each printing figures. Every server runs the built-in test camera (testsrc); every viewer is a
real aiortc peer (ICE, DTLS, SRTP, RTCP, SCTP) with a video track and, unless said otherwise,
rtd's data channel.

  cycles       --cycles 1000 connect/disconnect cycles, --concurrency at a time over 2 client
               processes: success rate (a frame and an open data channel, then a bye), the server's
               RSS and open files (/proc) before and after.
  vanish       --peers 100 viewers join, then their client processes are SIGKILLed (no bye, no
               DTLS close_notify, no ICE): seconds until /healthz shows 0 peers, with the default
               consent timeout and with --consent-timeout N, and the server's RSS idle, with them,
               and after (--no-data-channel: video only).
  loss         (root) a link between network namespaces the suite creates: viewer namespace --
               bridge namespace -- server namespace. Random loss on each end's ingress with
               `iptables -m statistic` (UDP only, so HTTP signaling is not part of the figure); the
               delayed runs swap the bridge for a userspace relay (AF_PACKET on both veth ends)
               that holds every frame DELAY +- JITTER ms each way, in order. Per server (rtd and the
               aiortc reference server, bench/aiortc_server_baseline.py) and per link: --runs
               watched runs of --seconds with one decoding viewer (fps, longest freeze = longest gap
               between decoded frames, NACKs and PLIs the viewer sent, the server's counters for
               rtd) and --connects fresh connections (answer -> ICE+DTLS connected, offer -> first
               decoded frame; median and max).
  kill-record  `rtd serve --record` SIGKILLed mid-segment --kills times (2 s segments): every
               segment left must still be readable (ffprobe counts its frames).
  all          all of the above, with their defaults.

Usage: bench/soak.py SUBCOMMAND [options]; RTD_BIN picks the binary (default .build/release/rtd)."""
import argparse
import asyncio
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "e2e"))
from common import RTD, free_port, open_files, rss_mb, stop  # noqa: E402

PY = os.path.join(HERE, "..", ".venv", "bin", "python")
if not os.path.exists(PY):
    PY = sys.executable
SELF = os.path.abspath(__file__)


# ---- /proc and HTTP --------------------------------------------------------------------------





def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())




def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def start_rtd(host, port, extra=(), netns=None, size="320x240", bitrate=300, log=None):
    """`rtd serve` on the test camera; returns the process once it serves."""
    argv = [RTD, "serve", "--host", host, "--port", str(port), "--camera", "cam0=testsrc", "--size", size,
            "--fps", "30", "--codec", "h264", "--bitrate", str(bitrate), "--signal-rate", "1000", *extra]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]  # exec's: the pid is rtd's
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log or subprocess.DEVNULL, text=True)
    if not p.stdout.readline():
        raise RuntimeError(f"rtd serve did not start: {' '.join(argv)}")
    return p




# ---- cycles ----------------------------------------------------------------------------------

async def cycle_part(base, n, concurrency, timeout):
    """n connect/disconnect cycles, `concurrency` at a time: (successes, failures' reasons)."""
    from peers import Viewer, light_viewers, wait_for
    light_viewers()
    ok, failures = 0, {}
    todo = list(range(n))

    async def one():
        v = Viewer(base, light=True, data_channel=True)
        try:
            await asyncio.wait_for(v.start(), timeout)
            good = await wait_for(lambda: v.frames > 0 and v.dc.readyState == "open", timeout)
            if not good:
                return "no frame or no open channel" if v.frames == 0 else "data channel never opened"
            status = await v.bye()
            return None if status == 200 else f"bye answered {status}"
        except Exception as e:
            return type(e).__name__
        finally:
            try:
                await asyncio.wait_for(v.close(), 5)
            except Exception:
                pass

    async def worker():
        nonlocal ok
        while todo:
            todo.pop()
            reason = await one()
            if reason is None:
                ok += 1
            else:
                failures[reason] = failures.get(reason, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok, failures


def run_cycle_part(a):
    return asyncio.run(cycle_part(*a))


def settle(pid, base, seconds):
    """Waits until the server reports no peer, then `seconds` more (its trim runs 2 s after the last)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and get_json(base + "/healthz")["peers"] != 0:
        time.sleep(0.2)
    time.sleep(seconds)


def cmd_cycles(a):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_rtd("127.0.0.1", port, ["--max-peers", "64"])
    try:
        # One cycle first: encoder, usrsctp and DTLS set up once, so "before" is the steady state.
        asyncio.run(cycle_part(base, 2, 1, 20))
        settle(server.pid, base, a.settle)
        rss0, fd0 = rss_mb(server.pid), open_files(server.pid)
        t0 = time.monotonic()
        shares = [a.cycles // 2 + (1 if i < a.cycles % 2 else 0) for i in range(2)]
        with ProcessPoolExecutor(2) as pool:
            results = list(pool.map(run_cycle_part, [(base, s, max(1, a.concurrency // 2), a.timeout) for s in shares]))
        took = time.monotonic() - t0
        rss_peak = rss_mb(server.pid)
        settle(server.pid, base, a.settle)
        rss1, fd1 = rss_mb(server.pid), open_files(server.pid)
        ok = sum(r[0] for r in results)
        failures = {}
        for r in results:
            for k, v in r[1].items():
                failures[k] = failures.get(k, 0) + v
        alive = server.poll() is None
    finally:
        stop([server])
    print(f"cycles: {ok}/{a.cycles} succeeded ({100 * ok / a.cycles:.1f} %) in {took:.0f} s, {a.concurrency} at a time"
          f"{'' if alive else ' — SERVER DIED'}")
    if failures:
        print(f"  failures: {failures}")
    print(f"  server RSS {rss0:.1f} MB before, {rss_peak:.1f} MB right after the last bye, {rss1:.1f} MB settled"
          f" ({rss1 - rss0:+.1f}); open files {fd0} before, {fd1} after ({fd1 - fd0:+d})")
    return {"ok": ok, "total": a.cycles, "rss": (rss0, rss1), "fds": (fd0, fd1), "seconds": took}


# ---- vanish ----------------------------------------------------------------------------------

async def vanish_client(base, n, batch, data_channel=True):
    """Joins n viewers and reports how many are in; then waits to be killed."""
    from peers import Viewer, light_viewers, wait_for
    light_viewers()
    viewers = []
    for i in range(0, n, batch):
        group = [Viewer(base, light=True, data_channel=data_channel) for _ in range(min(batch, n - i))]
        await asyncio.gather(*(v.start() for v in group), return_exceptions=True)
        viewers += group
    await wait_for(lambda: all(v.frames > 0 for v in viewers), timeout=60)
    print(json.dumps({"joined": sum(v.frames > 0 for v in viewers)}), flush=True)
    await asyncio.sleep(3600)


def vanish_once(peers, consent, data_channel=True):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    extra = ["--max-peers", str(peers + 8), "--max-peers-per-camera", str(peers + 8)]
    if consent:
        extra += ["--consent-timeout", str(consent)]
    server = start_rtd("127.0.0.1", port, extra)
    clients = []
    try:
        rss_idle = rss_mb(server.pid)
        shares = [peers // 2 + (1 if i < peers % 2 else 0) for i in range(2)]
        clients = [subprocess.Popen([PY, SELF, "_vanish-client", base, str(s), *([] if data_channel else ["nodc"])],
                                    stdout=subprocess.PIPE, text=True) for s in shares]
        joined = sum(json.loads(c.stdout.readline() or '{"joined": 0}')["joined"] for c in clients)
        in_server = get_json(base + "/healthz")["peers"]
        rss_full = rss_mb(server.pid)
        # No bye, no close_notify, no more consent checks: the processes (and their sockets) vanish.
        for c in clients:
            c.send_signal(signal.SIGKILL)
        t0 = time.monotonic()
        for c in clients:
            c.wait()
        gone = None
        while time.monotonic() - t0 < 120:
            if get_json(base + "/healthz")["peers"] == 0:
                gone = time.monotonic() - t0
                break
            time.sleep(0.1)
        time.sleep(14)  # rtd trims its heap 10 s after the last departure
        rss_after = rss_mb(server.pid)
        alive = server.poll() is None
    finally:
        stop(clients + [server])
    return {"consent": consent or "default (30)", "joined": joined, "in_server": in_server, "gone_s": gone,
            "rss": (rss_idle, rss_full, rss_after), "alive": alive}


def cmd_vanish(a):
    dc = not a.no_data_channel
    rows = [vanish_once(a.peers, None, dc)] + [vanish_once(a.peers, c, dc) for c in a.consent_timeout]
    print(f"vanish: {a.peers} viewers{'' if dc else ' without a data channel'} killed without a bye (SIGKILL of their processes)")
    print(f"  {'consent timeout s':>18} {'joined':>7} {'gone after s':>12} {'RSS idle/with/after MB':>24}")
    for r in rows:
        gone = f"{r['gone_s']:.1f}" if r["gone_s"] is not None else "never"
        print(f"  {r['consent']:>18} {r['joined']:>3}/{a.peers:<3} {gone:>12} "
              f"{r['rss'][0]:7.1f}/{r['rss'][1]:6.1f}/{r['rss'][2]:6.1f}{'' if r['alive'] else ' SERVER DIED'}")
    return rows


# ---- loss: namespaces, relay, viewers --------------------------------------------------------

NS_C, NS_R, NS_S = "soakC", "soakR", "soakS"
SERVER_IP, CLIENT_IP = "10.79.0.1", "10.79.0.2"


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def netns_up():
    netns_down()
    for ns in (NS_C, NS_R, NS_S):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "link", "add", "vC", "netns", NS_C, "type", "veth", "peer", "name", "rC", "netns", NS_R)
    sh("ip", "link", "add", "vS", "netns", NS_S, "type", "veth", "peer", "name", "rS", "netns", NS_R)
    sh("ip", "-n", NS_C, "addr", "add", CLIENT_IP + "/24", "dev", "vC")
    sh("ip", "-n", NS_S, "addr", "add", SERVER_IP + "/24", "dev", "vS")
    sh("ip", "-n", NS_R, "link", "add", "br0", "type", "bridge")
    for ns, dev in ((NS_C, "vC"), (NS_S, "vS"), (NS_R, "rC"), (NS_R, "rS"), (NS_R, "br0")):
        # veth hands TCP over as segments of up to 64 KiB (TSO); the relay passes frames on as they
        # come, so every end takes frames that large. WebRTC's datagrams stay under 1,300 bytes.
        if dev != "br0":
            sh("ip", "-n", ns, "link", "set", dev, "mtu", "65535")
        sh("ip", "-n", ns, "link", "set", dev, "up")
    for dev in ("rC", "rS"):
        sh("ip", "-n", NS_R, "link", "set", dev, "promisc", "on")
    bridge(True)


def bridge(on):
    for dev in ("rC", "rS"):
        if on:
            sh("ip", "-n", NS_R, "link", "set", dev, "master", "br0")
        else:
            sh("ip", "-n", NS_R, "link", "set", dev, "nomaster")


def netns_down():
    for ns in (NS_C, NS_R, NS_S):
        sh("ip", "netns", "del", ns, check=False)


def set_loss(p):
    """Random loss of incoming UDP on each end (dropped at ingress, so senders see no error)."""
    for ns, dev in ((NS_C, "vC"), (NS_S, "vS")):
        sh("ip", "netns", "exec", ns, "iptables", "-F", "INPUT")
        if p > 0:
            sh("ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "-i", dev, "-p", "udp", "-m", "statistic",
               "--mode", "random", "--probability", str(p), "-j", "DROP")


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(memoryview(data).cast("H"))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def with_checksum(frame):
    """veth leaves TCP/UDP checksums to "hardware" (CHECKSUM_PARTIAL): a frame captured on one end
    and sent again on another would arrive with a wrong one, so IPv4 TCP/UDP get theirs filled in."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    proto, l4 = frame[23], 14 + ihl
    total = int.from_bytes(frame[16:18], "big")
    segment = bytearray(frame[l4:14 + total])
    at = {6: 16, 17: 6}.get(proto)
    if at is None or len(segment) < at + 2:
        return frame
    segment[at:at + 2] = b"\0\0"
    pseudo = frame[26:34] + bytes([0, proto]) + len(segment).to_bytes(2, "big")
    c = inet_checksum(pseudo + bytes(segment))
    if proto == 17 and c == 0:
        c = 0xFFFF
    # the one's-complement sum is byte-order independent when computed on native 16-bit words
    segment[at:at + 2] = c.to_bytes(2, sys.byteorder)
    return frame[:l4] + bytes(segment) + frame[14 + total:]


def relay(delay_ms, jitter_ms):
    """Bridges rC and rS in userspace, holding each frame delay +- jitter ms, in order per direction."""
    ETH_P_ALL, PACKET_OUTGOING = 3, 4
    socks = {}
    for dev in ("rC", "rS"):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((dev, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        socks[dev] = s
    other = {"rC": socks["rS"], "rS": socks["rC"]}
    queues = {"rC": [], "rS": []}  # (due, frame) towards the other side
    last_due = {"rC": 0.0, "rS": 0.0}
    by_fd = {s.fileno(): dev for dev, s in socks.items()}
    while True:
        now = time.monotonic()
        for dev, q in queues.items():
            while q and q[0][0] <= now:
                try:
                    other[dev].send(q.pop(0)[1])
                except OSError as e:
                    print(f"relay: frame not passed on: {e}", file=sys.stderr)
        due = [q[0][0] for q in queues.values() if q]
        wait = max(0.0, min(due) - time.monotonic()) if due else 1.0
        ready, _, _ = select.select(list(socks.values()), [], [], wait)
        for s in ready:
            dev = by_fd[s.fileno()]
            frame, addr = s.recvfrom(65536)
            if addr[2] == PACKET_OUTGOING:
                continue
            at = time.monotonic() + (delay_ms + random.uniform(-jitter_ms, jitter_ms)) / 1000
            at = max(at, last_due[dev])
            last_due[dev] = at
            queues[dev].append((at, with_checksum(frame)))


class WatchedViewer:
    """One aiortc viewer that decodes every frame and notes when each one came out of the decoder,
    and when it sent NACKs and PLIs."""

    def __init__(self, base, data_channel=True):
        from peers import Viewer
        self.v = Viewer(base, data_channel=data_channel)
        self.frame_times = []
        self.frame_pts = []
        self.connected_at = None
        self.ice_at = None
        self.answer_at = None

        async def consume(track):
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                self.frame_times.append(time.monotonic())
                self.frame_pts.append(frame.pts)
        self.v._consume = consume
        self.v.pc.on("connectionstatechange",
                     lambda: self.v.pc.connectionState == "connected" and self.connected_at is None
                     and setattr(self, "connected_at", time.monotonic()))
        self.v.pc.on("iceconnectionstatechange",
                     lambda: self.v.pc.iceConnectionState == "completed" and self.ice_at is None
                     and setattr(self, "ice_at", time.monotonic()))

    async def start(self):
        await self.v.start()
        self.answer_at = time.monotonic()


FEEDBACK = {"nack": [], "pli": [], "arrivals": {}, "lags": []}


async def loop_lag():
    """Notes when this process's event loop ran late by more than 0.2 s (the client itself stalled
    on a busy machine, which looks like a freeze but is none of the server's doing)."""
    while True:
        at = time.monotonic()
        await asyncio.sleep(0.05)
        late = time.monotonic() - at - 0.05
        if late > 0.2:
            FEEDBACK["lags"].append((at, late))


def count_feedback():
    """Notes every NACK and PLI aiortc's receivers send (time, lost sequence numbers)."""
    from aiortc import rtcrtpreceiver
    R = rtcrtpreceiver.RTCRtpReceiver
    nack, pli = R._send_rtcp_nack, R._send_rtcp_pli

    async def send_nack(self, ssrc, lost):
        FEEDBACK["nack"].append((time.monotonic(), list(lost)))
        return await nack(self, ssrc, lost)

    async def send_pli(self, ssrc):
        FEEDBACK["pli"].append(time.monotonic())
        return await pli(self, ssrc)
    R._send_rtcp_nack, R._send_rtcp_pli = send_nack, send_pli
    handle = R._handle_rtp_packet

    async def handle_rtp(self, packet, arrival_time_ms):
        FEEDBACK["arrivals"].setdefault(packet.sequence_number, []).append(time.monotonic())
        return await handle(self, packet, arrival_time_ms)
    R._handle_rtp_packet = handle_rtp


def freeze_detail(start, end, t0):
    """What the viewer asked for during a freeze, and when each packet it asked for came."""
    out = []
    for at, lost in FEEDBACK["nack"]:
        if start - 0.2 <= at <= end:
            came = {s: [round(t - t0, 2) for t in FEEDBACK["arrivals"].get(s, []) if t >= at - 0.05] for s in lost}
            out.append({"at": round(at - t0, 2), "asked": lost[:12], "came": {s: c[:3] for s, c in list(came.items())[:12]}})
    plis = [round(t - t0, 2) for t in FEEDBACK["pli"] if start - 0.2 <= t <= end + 0.5]
    arrived = sum(1 for ts in FEEDBACK["arrivals"].values() for t in ts if start < t < end)
    stalled = sum(late for at, late in FEEDBACK["lags"] if start - 0.1 <= at <= end)
    return {"nacks": out[:15], "plis": plis, "packets_arrived_meanwhile": arrived,
            "client_loop_stalled_s": round(stalled, 2)}


async def watch(base, seconds, connect_timeout):
    """One watched run: connect, watch `seconds`, report."""
    from peers import release_frames_at_marker
    release_frames_at_marker()
    count_feedback()
    lag = asyncio.ensure_future(loop_lag())
    w = WatchedViewer(base)
    t0 = time.monotonic()
    result = {"connected": False}
    try:
        await asyncio.wait_for(w.start(), connect_timeout)
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (w.connected_at is None and time.monotonic() - t0 > connect_timeout):
            await asyncio.sleep(0.1)
        ft = w.frame_times
        if ft:
            gaps = [b - a for a, b in zip(ft, ft[1:])]
            span = ft[-1] - ft[0]
            worst = max(range(len(gaps)), key=gaps.__getitem__) if gaps else None
            # fps per second of the run after the first frame: its minimum shows a freeze too
            per_second = [0] * max(1, int(seconds - (ft[0] - t0)))
            for t in ft:
                i = int(t - ft[0])
                if i < len(per_second):
                    per_second[i] += 1
            freeze_at = (ft[worst] - t0) if worst is not None else None
            result.update({
                "connected": w.connected_at is not None,
                "connect_s": (w.connected_at - w.answer_at) if w.connected_at else None,
                "ice_s": (w.ice_at - w.answer_at) if w.ice_at else None,
                "first_frame_s": ft[0] - w.v.offer_at, "frames": len(ft), "fps": (len(ft) - 1) / span if span else 0,
                "fps_min_1s": min(per_second[:-1] or per_second), "longest_freeze_s": max(gaps) if gaps else None,
                "freeze_at_s": freeze_at,
                "gaps_over_1s": [(round(ft[i] - t0, 2), round(g, 2)) for i, g in enumerate(gaps) if g > 1],
            })
            if worst is not None and gaps[worst] > 0.5:
                result["freeze_detail"] = freeze_detail(ft[worst], ft[worst + 1], t0)
                # Media time between the two frames around the freeze: about a frame when the
                # pictures in between were only late, the whole gap when they never came.
                result["freeze_detail"]["media_gap_s"] = round((w.frame_pts[worst + 1] - w.frame_pts[worst]) / 90000, 2)
            result["client_stalls_over_0.5s"] = [(round(at - t0, 2), round(late, 2)) for at, late in FEEDBACK["lags"] if late > 0.5]
        else:
            result["connected"] = w.connected_at is not None
        result["nacks"] = len(FEEDBACK["nack"])
        result["nacked_packets"] = sum(len(x[1]) for x in FEEDBACK["nack"])
        result["plis"] = len(FEEDBACK["pli"])
        result["pli_at_s"] = [round(t - t0, 2) for t in FEEDBACK["pli"]]
    except Exception as e:
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        lag.cancel()
        try:
            await asyncio.wait_for(w.v.bye(), 5)
        except Exception:
            pass
        try:
            await asyncio.wait_for(w.v.close(), 5)
        except Exception:
            pass
    print(json.dumps(result), flush=True)


async def connects(base, n, timeout):
    """n fresh viewers one after another: answer -> connected, offer -> first decoded frame."""
    out = []
    for _ in range(n):
        w = WatchedViewer(base, data_channel=False)
        r = {}
        try:
            await asyncio.wait_for(w.start(), timeout)
            deadline = time.monotonic() + timeout
            while not w.frame_times and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            r = {"connect_s": w.connected_at - w.answer_at if w.connected_at else None,
                 "ice_s": w.ice_at - w.answer_at if w.ice_at else None,
                 "first_frame_s": w.frame_times[0] - w.v.offer_at if w.frame_times else None}
        except Exception as e:
            r = {"error": type(e).__name__}
        for f in (w.v.bye, w.v.close):
            try:
                await asyncio.wait_for(f(), 5)
            except Exception:
                pass
        out.append(r)
    print(json.dumps(out), flush=True)


def in_ns(ns, *argv, **kw):
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, **kw)


def metrics(base):
    """rtd's NACK, retransmission and PLI counters, read inside the server's namespace."""
    r = in_ns(NS_S, PY, "-c", f"import urllib.request;print(urllib.request.urlopen('{base}/metrics',timeout=5).read().decode())")
    out = {}
    for name in ("rtd_nacks_total", "rtd_retransmissions_total", "rtd_plis_total", "rtd_keyframes_total"):
        out[name] = sum(float(m) for m in re.findall(rf"^{name}{{[^}}]*}} ([0-9.e+]+)", r.stdout, re.M))
    return out


def start_server(kind, log):
    port = 8080
    base = f"http://{SERVER_IP}:{port}"
    if kind == "rtd":
        extra = ["--log-level", "debug"] if log else []
        return start_rtd(SERVER_IP, port, extra, netns=NS_S, size=LOSS_SIZE, bitrate=LOSS_KBPS, log=log), [], base
    cap = subprocess.Popen(["ip", "netns", "exec", NS_S, RTD, "capture", "testsrc", "--size", LOSS_SIZE, "--fps", "30", "-q"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p = subprocess.Popen(["ip", "netns", "exec", NS_S, PY, os.path.join(HERE, "aiortc_server_baseline.py"), str(port),
                          "--host", SERVER_IP, "--codec", "h264", "--bitrate", str(LOSS_KBPS), "--x264-preset", "ultrafast"],
                         stdin=cap.stdout, stdout=subprocess.PIPE, stderr=log or subprocess.DEVNULL, text=True)
    cap.stdout.close()
    if not p.stdout.readline():
        raise RuntimeError("the aiortc server did not start")
    return p, [cap], base


LOSS_SIZE, LOSS_KBPS = "640x480", 1000


def loss_links(a):
    links = [(p / 100, 0, 0) for p in a.loss]
    if a.delay:
        links.append((a.delay_loss / 100, a.delay, a.jitter))
    return links


def cmd_loss(a):
    global LOSS_SIZE, LOSS_KBPS
    LOSS_SIZE, LOSS_KBPS = a.size, a.bitrate
    if os.geteuid() != 0:
        sys.exit("soak.py loss needs root (network namespaces, iptables)")
    rows = []
    netns_up()
    relay_proc = None
    log = open(a.log, "ab") if a.log else None
    try:
        for loss, delay, jitter in loss_links(a):
            set_loss(loss)
            if relay_proc:
                relay_proc.kill()
                relay_proc.wait()
                relay_proc = None
            bridge(delay == 0)
            if delay:
                relay_proc = subprocess.Popen(["ip", "netns", "exec", NS_R, PY, SELF, "_relay", str(delay), str(jitter)])
                time.sleep(0.5)
            for kind in a.servers.split(","):
                server, extra, base = start_server(kind, log)
                try:
                    runs, conn = [], []
                    for i in range(a.runs):
                        m0 = metrics(base) if kind == "rtd" else {}
                        r = in_ns(NS_C, PY, SELF, "_watch", base, str(a.seconds), timeout=a.seconds + 90)
                        res = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {"error": r.stderr[-300:]}
                        if kind == "rtd":
                            m1 = metrics(base)
                            res["server"] = {k: m1[k] - m0.get(k, 0) for k in m1}
                        res["link"] = (loss, delay, jitter)
                        res["kind"] = kind
                        runs.append(res)
                        print(f"  {kind} loss {loss * 100:g}% delay {delay}±{jitter} run {i + 1}: {json.dumps(res)}",
                              file=sys.stderr, flush=True)
                    if a.connects:
                        r = in_ns(NS_C, PY, SELF, "_connects", base, str(a.connects), timeout=a.connects * 40 + 60)
                        conn = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else []
                        print(f"  {kind} loss {loss * 100:g}% connects: {json.dumps(conn)}", file=sys.stderr, flush=True)
                    rows.append({"kind": kind, "link": (loss, delay, jitter), "runs": runs, "connects": conn})
                finally:
                    stop([server] + extra)
    finally:
        if relay_proc:
            relay_proc.kill()
        netns_down()
    print_loss(rows, a)
    return rows


def print_loss(rows, a):
    print(f"loss: {a.size} H.264 {a.bitrate} kbit/s 30 fps, one decoding aiortc viewer per run; "
          f"{a.runs} x {a.seconds:g} s watched runs and {a.connects} fresh connects per server and link")
    print(f"  {'link':>16} {'server':>6} {'fps min/med':>11} {'freeze s':>13} {'NACK':>9} {'PLI':>9} "
          f"{'connect s':>11} {'1st frame s':>11} {'failed':>6}")
    print(f"  {'':>16} {'':>6} {'':>11} {'max (runs)':>13} {'per run':>9} {'per run':>9} {'med/max':>11} {'med/max':>11}")
    for row in rows:
        loss, delay, jitter = row["link"]
        link = f"{loss * 100:g}%" + (f" {delay}±{jitter}ms" if delay else "")
        runs = [r for r in row["runs"] if r.get("frames")]
        fps = [r["fps"] for r in runs]
        fps_min = [r["fps_min_1s"] for r in runs]
        freezes = [r["longest_freeze_s"] for r in runs if r.get("longest_freeze_s") is not None]
        nacks = [r["nacks"] for r in runs]
        plis = [r["plis"] for r in runs]
        conn = [c["connect_s"] for c in row["connects"] if c.get("connect_s") is not None] + \
               [r["connect_s"] for r in runs if r.get("connect_s") is not None]
        first = [c["first_frame_s"] for c in row["connects"] if c.get("first_frame_s") is not None]
        ice = [c["ice_s"] for c in row["connects"] if c.get("ice_s") is not None]
        failed = len(row["runs"]) - len(runs) + sum(1 for c in row["connects"] if c.get("first_frame_s") is None)
        print(f"  {link:>16} {row['kind']:>6} {min(fps_min, default=0):4.0f}/{statistics.median(fps) if fps else 0:<6.1f} "
              f"{max(freezes, default=float('nan')):13.2f} {statistics.median(nacks) if nacks else 0:9.0f} "
              f"{statistics.median(plis) if plis else 0:9.0f} "
              f"{statistics.median(conn) if conn else float('nan'):5.2f}/{max(conn, default=float('nan')):<5.2f} "
              f"{statistics.median(first) if first else float('nan'):5.2f}/{max(first, default=float('nan')):<5.2f} {failed:6}")
        print(f"  {'':>16} {'':>6} longest freeze per run: {', '.join(f'{f:.2f}' for f in freezes)}; "
              f"connects: ICE done after {statistics.median(ice) if ice else float('nan'):.2f}/{max(ice, default=float('nan')):.2f} s (med/max), "
              f"ICE+DTLS {', '.join(f'{c:.2f}' for c in sorted(conn))}")


# ---- kill-record -----------------------------------------------------------------------------

def frames_in(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames", "-of", "csv=p=0", path], capture_output=True, text=True, timeout=60)
    try:
        return int(r.stdout.strip().split(",")[0]) if r.returncode == 0 else 0
    except ValueError:
        return 0


def cmd_kill_record(a):
    folder = tempfile.mkdtemp(prefix="rtd-soak-record-")
    kills = []
    try:
        for i in range(a.kills):
            port = free_port()
            server = start_rtd("127.0.0.1", port, ["--record", folder, "--segment", "2s"])
            # Mid-segment: 2 s segments, killed at a different fraction of one each time.
            time.sleep(3 + (i % 4) * 0.45 + 0.2)
            server.send_signal(signal.SIGKILL)
            server.wait()
            kills.append(i)
        segments = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if f.endswith(".mkv"))
        counts = {s: frames_in(s) for s in segments}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    readable = sum(1 for c in counts.values() if c > 0)
    print(f"kill-record: {a.kills} SIGKILLs of `rtd serve --record --segment 2s` mid-segment: "
          f"{readable}/{len(counts)} segments readable by ffprobe")
    bad = [os.path.basename(s) for s, c in counts.items() if c == 0]
    if bad:
        print(f"  unreadable: {', '.join(bad)}")
    print(f"  frames per segment: {sorted(counts.values())}")
    return {"readable": readable, "total": len(counts)}


# ---- main ------------------------------------------------------------------------------------

def main():
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        hidden = sys.argv[1]
        if hidden == "_vanish-client":
            asyncio.run(vanish_client(sys.argv[2], int(sys.argv[3]), 10, data_channel=sys.argv[4:] != ["nodc"]))
        elif hidden == "_relay":
            relay(float(sys.argv[2]), float(sys.argv[3]))
        elif hidden == "_watch":
            asyncio.run(watch(sys.argv[2], float(sys.argv[3]), 40))
        elif hidden == "_connects":
            asyncio.run(connects(sys.argv[2], int(sys.argv[3]), 30))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cycles")
    c.add_argument("--cycles", type=int, default=1000)
    c.add_argument("--concurrency", type=int, default=8)
    c.add_argument("--timeout", type=float, default=20)
    c.add_argument("--settle", type=float, default=4)
    v = sub.add_parser("vanish")
    v.add_argument("--peers", type=int, default=100)
    v.add_argument("--consent-timeout", type=float, action="append", default=None)
    v.add_argument("--no-data-channel", action="store_true", help="video only (tells SCTP's share of the memory)")
    lo = sub.add_parser("loss")
    lo.add_argument("--loss", type=float, action="append", default=None, help="percent (repeatable); 5, 10, 20")
    lo.add_argument("--delay", type=float, default=30, help="ms each way for the delayed link (0: none)")
    lo.add_argument("--jitter", type=float, default=10)
    lo.add_argument("--delay-loss", type=float, default=5)
    lo.add_argument("--runs", type=int, default=3)
    lo.add_argument("--seconds", type=float, default=60)
    lo.add_argument("--connects", type=int, default=10)
    lo.add_argument("--servers", default="rtd,aiortc")
    lo.add_argument("--size", default="640x480")
    lo.add_argument("--bitrate", type=int, default=1000)
    lo.add_argument("--log", help="append the servers' stderr here")
    k = sub.add_parser("kill-record")
    k.add_argument("--kills", type=int, default=8)
    sub.add_parser("all")
    a = ap.parse_args()
    if getattr(a, "consent_timeout", 0) is None:
        a.consent_timeout = [5]
    if getattr(a, "loss", 0) is None:
        a.loss = [5, 10, 20]
    if a.cmd == "all":
        defaults = {"cycles": ["cycles"], "vanish": ["vanish"], "kill-record": ["kill-record"], "loss": ["loss"]}
        for name, argv in defaults.items():
            sub_args = ap.parse_args(argv)
            if getattr(sub_args, "consent_timeout", 0) is None:
                sub_args.consent_timeout = [5]
            if getattr(sub_args, "loss", 0) is None:
                sub_args.loss = [5, 10, 20]
            {"cycles": cmd_cycles, "vanish": cmd_vanish, "kill-record": cmd_kill_record, "loss": cmd_loss}[name](sub_args)
        return
    {"cycles": cmd_cycles, "vanish": cmd_vanish, "loss": cmd_loss, "kill-record": cmd_kill_record}[a.cmd](a)


if __name__ == "__main__":
    main()
