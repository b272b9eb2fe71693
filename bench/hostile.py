#!/usr/bin/env python3
"""Hostile input against a running `rtd serve`, and against the offline stages, with figures.

An attacker's and a careless client's traffic, generated from seeds by mutation (seeded, so a run
can be repeated with --seed): UDP datagrams on the WebRTC port (random bytes; STUN, DTLS, RTP and
RTCP shaped ones; STUN checks that pass integrity for a live session, then DTLS, SRTP and SRTCP
garbage from the address they nominated), HTTP requests (malformed request lines, headers, lengths
and chunking; mutated signaling JSON and WHEP SDP; every route and method), WebSocket frames on
/api/ws (bad opcodes, lengths, masking, fragments, control frames, mutated control JSON) and
data-channel control messages from a real aiortc peer. Then Y4M streams with mutated headers and
frame headers into `rtd capture -` and `rtd detect -`.

Prints, per kind: how many were sent, the HTTP statuses seen (any 5xx is a failure), and for the
server: alive, /healthz, RSS and open files before, at the end, and after --settle seconds
(sessions the mutated offers made are dropped after --consent-timeout). Offline: runs, exit
statuses, runs killed by a signal (a failure). Exit status 1 if the server died, answered 5xx, or
a stage was killed by a signal.
Usage: bench/hostile.py [--datagrams 200000] [--requests 20000] [--ws-frames 20000]
                        [--dc-messages 3000] [--y4m 600] [--seed 1] [--settle 8]"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "e2e"))
from common import RTD, free_port, open_files, rss_mb  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--datagrams", type=int, default=200_000)
ap.add_argument("--requests", type=int, default=20_000)
ap.add_argument("--ws-frames", type=int, default=20_000)
ap.add_argument("--dc-messages", type=int, default=3_000)
ap.add_argument("--y4m", type=int, default=600, help="mutated Y4M streams per offline stage")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--settle", type=float, default=8)
ap.add_argument("--consent-timeout", type=int, default=3)
args = ap.parse_args()
R = random.Random(args.seed)
FAILURES = []
UNANSWERED = []  # requests that got no HTTP answer, to show (a few)






def fd_targets(pid):
    """What each open descriptor is (a file, socket:[inode], anon_inode:[eventfd], ...)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.append(re.sub(r"\[\d+\]$", "", os.readlink(f"/proc/{pid}/fd/{fd}")))
        except OSError:
            pass
    return Counter(out)




# MARK: mutation

def mutate(data: bytes, n=None) -> bytes:
    b = bytearray(data)
    for _ in range(n or R.randint(1, 6)):
        op = R.randrange(9)
        pos = R.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(pos, len(b) - 1)] ^= 1 << R.randrange(8)
        elif op == 1:
            b[pos:pos] = bytes(R.randrange(256) for _ in range(R.randint(1, 16)))
        elif op == 2 and b:
            del b[pos:pos + R.randint(1, 32)]
        elif op == 3:
            b = b[:pos]
        elif op == 4:
            b[pos:pos] = R.choice([b"[" * 600, b"{\"a\":" * 300, b"\"" + b"\\u0000" * 200, b"1e999999",
                                   b"-" + b"9" * 400, b"\xff\xfe", b"\\ud800", b"\x00" * 8, b"\r\n", b"%", b"%zz"])
        elif op == 5 and len(b) > 2:
            i, j = sorted(R.sample(range(len(b)), 2))
            b[i:j] = b[i:j] * R.randint(2, 20)
        elif op == 6:
            b[pos:pos] = str(R.choice([-1, 0, 2**31, 2**32, 2**63, 2**64, 10**30, -2**63])).encode()
        elif op == 7 and b:
            b[min(pos, len(b) - 1)] = R.choice(b"\x00\xff\x7f\x80\n\r\"\\{}[]:,")
        else:
            b += bytes(R.randrange(256) for _ in range(R.randint(0, 64)))
    return bytes(b)


# MARK: seeds from a real peer

async def real_offer():
    from aiortc import RTCConfiguration, RTCPeerConnection
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    pc.createDataChannel("rtd")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def http(port, raw: bytes, timeout=5.0):
    """Sends raw bytes on a new connection; returns the status code, 0 for no answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data = b""
        try:
            while b"\r\n" not in data and len(data) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else 0


def request(method, path, body=b"", headers=None):
    h = {"Host": "127.0.0.1", "Content-Length": str(len(body)), "Connection": "close"}
    h.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    return head.encode() + body


def signal(port, body: dict):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/webrtc/signal", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


# MARK: HTTP

def http_cases(offer_sdp, session_id):
    signal_seeds = [json.dumps({"type": "offer", "sdp": offer_sdp, "camera": "cam0"}).encode(),
                    json.dumps({"type": "candidate", "session_id": session_id,
                                "candidate": {"candidate": "candidate:1 1 udp 2113937151 127.0.0.1 5000 typ host",
                                              "sdpMid": "0", "sdpMLineIndex": 0}}).encode(),
                    json.dumps({"type": "bye", "session_id": "nope"}).encode(),
                    b'{"type":"offer","sdp":"v=0","camera":"cam0","codec":"vp8"}']
    sdp = offer_sdp.encode()
    routes = ["/", "/viewer.js", "/viewer.css", "/favicon.ico", "/api/cameras", "/api/config", "/healthz", "/metrics",
              "/api/ws?camera=cam0", "/whep/cam0", "/whep/cam0/" + session_id, "/api/webrtc/signal", "/whep/nope",
              "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc", "/api/cameras?" + "a=" * 3000, "/\x00", "/%ff%fe",
              "/whep/" + "x" * 5000]
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "BREW", "get", ""]
    while True:
        k = R.randrange(8)
        if k == 0:
            yield request("POST", "/api/webrtc/signal", mutate(R.choice(signal_seeds)), {"Content-Type": "application/json"})
        elif k == 1:
            body = mutate(sdp, R.randint(1, 12))
            yield request("POST", "/whep/cam0", body, {"Content-Type": "application/sdp"})
        elif k == 2:
            frag = mutate(b"a=ice-ufrag:abcd\r\na=ice-pwd:x\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n")
            yield request("PATCH", "/whep/cam0/" + R.choice([session_id, "x", ""]), frag,
                          {"Content-Type": "application/trickle-ice-sdpfrag"})
        elif k == 3:
            yield request(R.choice(methods), R.choice(routes), mutate(R.choice(signal_seeds))[:R.randrange(70000)])
        elif k == 4:  # broken framing
            yield R.choice([
                b"POST /api/webrtc/signal HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(R.choice([-1, 10**20, 99999999])).encode() + b"\r\n\r\n{}",
                b"POST /api/webrtc/signal HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + mutate(b"5\r\nhello\r\nFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n"),
                b"POST /api/webrtc/signal HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}",
                b"GET / HTTP/1.1\r\n" + b"X-A: " + b"a" * R.choice([100, 9000, 70000]) + b"\r\n\r\n",
                b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(R.choice([50, 500, 5000]))) + b"\r\n",
                b"GET /\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200),
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + os.urandom(50),
                mutate(b"GET /api/cameras HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n", 8),
            ])
        elif k == 5:  # WebSocket handshakes
            key = base64.b64encode(os.urandom(16)).decode()
            h = {"Upgrade": R.choice(["websocket", "foo", "h2c", "WebSocket", ""]), "Connection": "Upgrade",
                 "Sec-WebSocket-Key": R.choice([key, "", "short", "x" * 300]),
                 "Sec-WebSocket-Version": R.choice(["13", "8", "", "99999999999"])}
            for drop in R.sample(list(h), R.randrange(3)):
                h.pop(drop)
            yield mutate(request("GET", R.choice(["/api/ws?camera=cam0", "/api/ws?camera=%00", "/api/ws", "/healthz"]), b"", h), R.randrange(3) or 1) \
                if R.random() < 0.3 else request("GET", R.choice(["/api/ws?camera=cam0", "/api/ws?camera=nope", "/healthz"]), b"", h)
        elif k == 6:  # pipelined
            yield b"".join(request("GET", R.choice(routes[:8]), b"", {"Connection": "keep-alive"}) for _ in range(R.randint(2, 30)))
        else:
            yield bytes(R.randrange(256) for _ in range(R.randrange(2000)))


def run_http(port, n, offer_sdp, session_id, statuses):
    cases = http_cases(offer_sdp, session_id)
    lock = threading.Lock()
    it = iter(range(n))

    def worker():
        while True:
            with lock:
                if next(it, None) is None:
                    return
                raw = next(cases)
            try:
                status = http(port, raw)
            except OSError as e:
                status = f"error {type(e).__name__}"
            with lock:
                statuses[status] += 1
                if status == 0 and len(UNANSWERED) < 5:
                    UNANSWERED.append(raw[:160])
                if isinstance(status, int) and status >= 500 and status != 503:
                    if len(FAILURES) < 20:
                        FAILURES.append(f"HTTP {status} for {raw[:200]!r}")
    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# MARK: UDP

def stun(msg_type, attrs, txid=None, password=None, fingerprint=True):
    txid = txid or os.urandom(12)

    def pack(attrs):
        out = b""
        for t, v in attrs:
            out += struct.pack("!HH", t, len(v)) + v + b"\x00" * (-len(v) % 4)
        return out
    body = pack(attrs)
    if password is not None:
        header = struct.pack("!HHI", msg_type, len(body) + 24, 0x2112A442) + txid
        mac = hmac.new(password.encode(), header + body, hashlib.sha1).digest()
        body += pack([(0x0008, mac)])
    if fingerprint:
        header = struct.pack("!HHI", msg_type, len(body) + 8, 0x2112A442) + txid
        crc = (zlib.crc32(header + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += pack([(0x8028, struct.pack("!I", crc))])
    return struct.pack("!HHI", msg_type, len(body), 0x2112A442) + txid + body


def ice_check(server_ufrag, server_pwd, client_ufrag="hOsT"):
    return stun(0x0001, [(0x0006, f"{server_ufrag}:{client_ufrag}".encode()), (0x0024, struct.pack("!I", 1853824767)),
                         (0x802A, os.urandom(8)), (0x0025, b"")], password=server_pwd)


def dtls_record(content_type=22, epoch=0, body=None):
    body = body if body is not None else os.urandom(R.randrange(300))
    return struct.pack("!BHH", content_type, 0xFEFD, epoch) + os.urandom(6) + struct.pack("!H", len(body)) + body


def client_hello_like():
    hs = struct.pack("!B", 1) + struct.pack("!I", R.randrange(1 << 24))[1:] + struct.pack("!H", R.randrange(5)) \
        + struct.pack("!I", R.randrange(1 << 24))[1:] + struct.pack("!I", R.randrange(1 << 24))[1:] + os.urandom(R.randrange(400))
    return dtls_record(22, 0, hs)


def udp_payloads(ufrag):
    while True:
        k = R.randrange(8)
        if k == 0:
            yield os.urandom(R.randrange(1500))
        elif k == 1:
            attrs = [(R.choice([0x0006, 0x0008, 0x8028, 0x0024, 0x0025, 0x802A, 0x8029, 0x0020, R.randrange(65536)]),
                      os.urandom(R.randrange(64))) for _ in range(R.randrange(6))]
            yield mutate(stun(R.choice([0x0001, 0x0101, 0x0111, 0x0011]), attrs, fingerprint=R.random() < 0.5), R.randrange(3) or 1)
        elif k == 2:
            yield stun(0x0001, [(0x0006, f"{ufrag}:x".encode()), (0x0008, os.urandom(20))])
        elif k == 3:
            yield mutate(client_hello_like(), R.randrange(3) or 1)
        elif k == 4:
            yield dtls_record(R.randrange(20, 64), R.randrange(3))
        elif k == 5:
            yield bytes([0x80 | R.randrange(64), R.randrange(256)]) + os.urandom(R.randrange(1200))
        elif k == 6:
            yield bytes([0x80 | R.randrange(32), R.choice([200, 201, 205, 206, 207])]) + os.urandom(R.randrange(200))
        else:
            yield mutate(ice_check(ufrag, "wrongpassword0123456789"))


def run_udp(udp_port, n, sessions, counts):
    """Random senders, then, per live session, a path nominated with a valid check and garbage after it."""
    gen = udp_payloads(sessions[0][0])
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
    sent = 0
    nominated = 0
    while sent < n:
        s = R.choice(socks)
        if R.random() < 0.01:  # nominate this socket for a live session: what follows reaches DTLS/SRTP
            ufrag, pwd = R.choice(sessions)
            payload = ice_check(ufrag, pwd)
            nominated += 1
        else:
            payload = next(gen)
        try:
            s.sendto(payload, ("127.0.0.1", udp_port))
        except BlockingIOError:
            time.sleep(0.001)
            continue
        except OSError:
            pass
        sent += 1
        if sent % 2000 == 0:
            for s2 in socks:  # drain answers so our buffers do not fill
                try:
                    while s2.recv(4096):
                        pass
                except OSError:
                    pass
            time.sleep(0.002)  # stay within the socket's receive queue; a flood is not the point
    counts["datagrams"] = sent
    counts["valid checks (nominations)"] = nominated


# MARK: WebSocket

def ws_frame(opcode, payload, fin=True, mask=True, length=None):
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if mask:
        key = os.urandom(4)
        head += key
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


def run_ws(port, n, counts):
    seeds = [b'{"type":"subscribe","camera":"cam0"}', b'{"type":"ping","id":1}', b'{"type":"subscribe","camera":"nope"}']
    sent = 0
    conns = 0
    while sent < n:
        conns += 1
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall(request("GET", "/api/ws?camera=cam0", b"", {"Upgrade": "websocket", "Connection": "Upgrade",
                                                                   "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}))
            head = s.recv(4096)
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                counts[f"ws handshake {head[:12]!r}"] += 1
                s.close()
                continue
            s.setblocking(False)
            for _ in range(R.randint(1, 60)):
                k = R.randrange(7)
                if k == 0:
                    f = ws_frame(1, mutate(R.choice(seeds)))
                elif k == 1:
                    f = ws_frame(R.randrange(16), os.urandom(R.randrange(200)), fin=R.random() < 0.7, mask=R.random() < 0.9)
                elif k == 2:
                    f = ws_frame(1, b"{", length=R.choice([2**63 - 1, 2**32, 70000, 126]))
                elif k == 3:
                    f = ws_frame(R.choice([8, 9, 10]), os.urandom(R.randrange(300)), fin=R.random() < 0.5)
                elif k == 4:
                    f = ws_frame(1, b"\xff\xfe" + os.urandom(20))
                elif k == 5:
                    f = ws_frame(1, b'{"type":"subscribe"', fin=False) + ws_frame(0, b',"camera":"cam0"}')
                else:
                    f = mutate(ws_frame(1, R.choice(seeds)), 3)
                try:
                    s.sendall(f)
                except (BlockingIOError, OSError):
                    break
                sent += 1
                try:
                    while s.recv(65536):
                        pass
                except (BlockingIOError, OSError):
                    pass
            s.close()
        except OSError as e:
            counts[f"ws {type(e).__name__}"] += 1
    counts["ws frames"] = sent
    counts["ws connections"] = conns


# MARK: data channel

async def run_dc(port, n, counts):
    sys.path.insert(0, os.path.join(HERE, "..", "Tests", "e2e"))
    from peers import Viewer, light_viewers
    light_viewers()
    v = Viewer(f"http://127.0.0.1:{port}", light=True)
    await v.start()
    for _ in range(200):
        if v.dc.readyState == "open":
            break
        await asyncio.sleep(0.05)
    seeds = [b'{"type":"subscribe","camera":"cam0"}', b'{"type":"ping","id":1}']
    for i in range(n):
        m = mutate(R.choice(seeds))
        try:
            v.dc.send(m.decode("utf-8", "replace") if R.random() < 0.8 else m)
        except Exception as e:
            counts[f"dc send {type(e).__name__}"] += 1
        if i % 50 == 0:
            await asyncio.sleep(0.01)
    await asyncio.sleep(1)
    counts["dc messages"] = n
    counts["dc replies"] = len(v.replies)
    await v.close()


# MARK: Y4M

def y4m_streams(n):
    good = b"YUV4MPEG2 W64 H48 F30:1 Ip A1:1 C420jpeg\n"
    frame = b"FRAME Xpts=0 Xts=1\n" + bytes(64 * 48 * 3 // 2)
    for _ in range(n):
        k = R.randrange(4)
        if k == 0:
            yield mutate(good, R.randint(1, 4)) + frame * 2
        elif k == 1:
            w, h = R.choice([(3, 3), (63, 47), (33, 1), (16384, 1), (1, 1), (0, 5), (99999999, 99999999), (2, 2)])
            f = R.choice(["30:1", "1:10000000000000", "9223372036854775807:1", "0:0", "-1:1", "30:0"])
            body = b"FRAME\n" + bytes(min(w * h * 2, 1 << 20))
            yield f"YUV4MPEG2 W{w} H{h} F{f} C420jpeg\n".encode() + body
        elif k == 2:
            yield good + mutate(frame, R.randint(1, 3)) + frame
        else:
            yield mutate(good + frame + frame, R.randint(1, 8))


def run_y4m(n, counts):
    out = tempfile.mkdtemp()
    stages = {"capture -o mkv": [RTD, "capture", "-", "-q", "-o", os.path.join(out, "x.mkv")],
              "capture -o mp4": [RTD, "capture", "-", "-q", "-o", os.path.join(out, "x.mp4")],
              "capture to y4m": [RTD, "capture", "-", "-q"],
              "detect": [RTD, "detect", "-", "-q"]}
    for name, argv in stages.items():
        for data in y4m_streams(n):
            try:
                p = subprocess.run(argv, input=data, capture_output=True, timeout=30)
                code = p.returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
            counts[f"y4m {name} exit {code}"] += 1
            if code == "timeout" or (isinstance(code, int) and code < 0):
                path = os.path.join(out, f"y4m-{name.replace(' ', '_')}-{counts[f'y4m {name} exit {code}']}.y4m")
                open(path, "wb").write(data)
                FAILURES.append(f"rtd {name}: {code} on {path}")


# MARK: main

def main():
    port, udp_port = free_port(), free_port(socket.SOCK_DGRAM)
    server = subprocess.Popen([RTD, "serve", "--host", "127.0.0.1", "--port", str(port), "--udp-port", str(udp_port),
                               "--camera", "cam0=testsrc", "--camera", "cam1=testsrc", "--size", "320x240",
                               "--signal-rate", "100000", "--max-peers", "2000", "--max-peers-per-camera", "2000",
                               "--consent-timeout", str(args.consent_timeout), "--log-level", "error"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server.stdout.readline()
    errors = []
    threading.Thread(target=lambda: errors.extend(server.stderr), daemon=True).start()
    offer = asyncio.run(real_offer())
    counts, statuses = Counter(), Counter()
    # A warm server: encoders made, one viewer come and gone.
    asyncio.run(run_dc(port, 10, Counter()))
    time.sleep(args.settle)
    before = (rss_mb(server.pid), open_files(server.pid))
    fds_before = fd_targets(server.pid)
    sessions = []
    for _ in range(4):
        ans = signal(port, {"type": "offer", "sdp": offer, "camera": "cam0"})
        sessions.append((re.search(r"a=ice-ufrag:(\S+)", ans["sdp"]).group(1), re.search(r"a=ice-pwd:(\S+)", ans["sdp"]).group(1)))
    session_id = ans["session_id"]
    t0 = time.monotonic()
    run_udp(udp_port, args.datagrams, sessions, counts)
    t_udp = time.monotonic() - t0
    run_http(port, args.requests, offer, session_id, statuses)
    t_http = time.monotonic() - t0 - t_udp
    run_ws(port, args.ws_frames, counts)
    asyncio.run(run_dc(port, args.dc_messages, counts))
    alive = server.poll() is None
    at_end = (rss_mb(server.pid), open_files(server.pid)) if alive else (float("nan"), 0)
    time.sleep(args.settle + args.consent_timeout)
    alive = server.poll() is None
    after = (rss_mb(server.pid), open_files(server.pid)) if alive else (float("nan"), 0)
    extra_fds = (fd_targets(server.pid) - fds_before) if alive else Counter()
    health = None
    if alive:
        try:
            health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read())
        except Exception as e:
            health = f"error: {e}"
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
    print(f"server: {'alive' if alive else f'DIED (status {server.returncode})'}; /healthz after: {health}")
    print(f"  datagrams {counts['datagrams']} in {t_udp:.1f} s ({counts['valid checks (nominations)']} valid checks); "
          f"HTTP requests {sum(statuses.values())} in {t_http:.1f} s; WebSocket frames {counts['ws frames']} on "
          f"{counts['ws connections']} connections; data-channel messages {counts['dc messages']} ({counts['dc replies']} replies)")
    print("  HTTP statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))))
    for raw in UNANSWERED:
        print(f"    no answer to: {raw!r}")
    print(f"  RSS MB / open files: before {before[0]:.1f} / {before[1]}, at the end {at_end[0]:.1f} / {at_end[1]}, "
          f"after {args.settle + args.consent_timeout:.0f} s {after[0]:.1f} / {after[1]}")
    if extra_fds:
        print("    descriptors open after that were not before: " + ", ".join(f"{k} ×{v}" for k, v in extra_fds.items()))
    other = {k: v for k, v in counts.items() if k.startswith("ws ") and k not in ("ws frames", "ws connections")}
    if other:
        print("  WebSocket: " + ", ".join(f"{k}: {v}" for k, v in other.items()))
    if not alive:
        FAILURES.append("the server died: " + "".join(errors)[-2000:])
    if args.y4m:
        y = Counter()
        run_y4m(args.y4m, y)
        print("offline stages, mutated Y4M: " + ", ".join(f"{k.removeprefix('y4m ')}: {v}" for k, v in sorted(y.items())))
    for f in FAILURES:
        print("FAILURE:", f)
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
