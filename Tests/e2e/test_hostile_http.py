"""Hostile HTTP, WebSocket and data-channel input never takes `rtd serve` down: JSON nested past
any parser's stack, bodies over the limit, malformed JSON and malformed WebSocket handshakes all
get a 4xx that says why (JSON where the route speaks JSON), and the server keeps serving."""
import asyncio
import json
import socket

import websockets
from peers import Viewer, wait_for
from test_serve_ops import request, start, stop

NESTED = b"[" * 513  # JSONDecoder traps (SIGILL) on exactly this: one level past its 512, at the last byte


def raw(base, data, timeout=10):
    """Sends raw bytes on a new connection; returns (status line, headers dict, body) of the answer.
    The server must answer and close: a connection it merely drops gives an empty reply."""
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        reply = b""
        try:
            while chunk := s.recv(65536):
                reply += chunk
                head, sep, body = reply.partition(b"\r\n\r\n")
                if sep:
                    headers = {k.strip().lower(): v.strip() for k, _, v in
                               (line.partition(":") for line in head.decode("latin-1").split("\r\n")[1:])}
                    if len(body) >= int(headers.get("content-length", "-1")) >= 0:
                        break
        except ConnectionResetError:
            pass
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return lines[0], headers, body


def post(base, path, body, content_type="application/json"):
    return raw(base, (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body)


def json_error(status_line, headers, body, code):
    assert status_line.startswith(f"HTTP/1.1 {code} "), (status_line, body[:200])
    assert headers.get("content-type") == "application/json", headers
    reply = json.loads(body)
    assert reply["type"] == "error" and reply["error"], reply
    return reply["error"]


def alive(base, p):
    assert p.poll() is None, "rtd serve died"
    status, _, body = request(base + "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_hostile_json_bodies_get_4xx_and_the_server_stays_up(rtd):
    p, base, _ = start(rtd, "--detector", "none")
    try:
        for body in [NESTED, b"[" * 600, b"{\"a\":" * 600, b"[" * 60_000, b"[{\"type\":[" * 300]:
            error = json_error(*post(base, "/api/webrtc/signal", body), 400)
            assert "invalid JSON at byte" in error and "nested deeper" in error, error
            alive(base, p)
        # WHEP takes SDP: nesting is no SDP, and JSON is not its media type.
        status, headers, body = post(base, "/whep/cam0", NESTED, "application/sdp")
        assert status.startswith("HTTP/1.1 400 ") and headers["content-type"].startswith("text/plain"), (status, body)
        status, _, _ = post(base, "/whep/cam0", NESTED)
        assert status.startswith("HTTP/1.1 415 "), status
        alive(base, p)

        # Malformed JSON: 400 naming what and where.
        cases = [(b'{"type":"offer","sdp":', "byte 22: unexpected end of input"),
                 (b'{"type":"offer","sdp":"\xc3("}', "byte 24: invalid UTF-8"),
                 (b'{"type":"offer","sdp":"\\ud800"}', "unpaired UTF-16 surrogate"),
                 (b'{"type":"offer","type":"bye"}', "duplicate member name 'type'"),
                 (b'{"type":"offer","sdp":3}', "field 'sdp' must be a string, not number"),
                 (b'{"type":"offer","sdp":"v=0"} x', "data after the JSON value"),
                 (b'[1,2]', "expected a JSON object"),
                 (b'', "byte 0: unexpected end of input")]
        for body, expect in cases:
            error = json_error(*post(base, "/api/webrtc/signal", body), 400)
            assert expect in error, (body, error)

        # Bodies over the limit: 413 with the route's error shape.
        for size in [64 * 1024 + 1, 300 * 1024]:
            error = json_error(*post(base, "/api/webrtc/signal", b" " * size), 413)
            assert "over 65536 bytes" in error, error
        status, headers, body = post(base, "/whep/cam0", b"v=0\r\n" + b"a=x\r\n" * 20_000, "application/sdp")
        assert status.startswith("HTTP/1.1 413 ") and headers["content-type"].startswith("text/plain"), status
        assert b"over 65536 bytes" in body, body
        alive(base, p)
    finally:
        stop(p)


def handshake(extra, upgrade="websocket"):
    lines = ["GET /api/ws?camera=cam0 HTTP/1.1", "Host: 127.0.0.1", f"Upgrade: {upgrade}", "Connection: Upgrade"] + extra
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="


def test_malformed_websocket_handshakes_are_answered_with_why(rtd):
    p, base, _ = start(rtd, "--detector", "none")
    try:
        cases = [
            (handshake(["Sec-WebSocket-Version: 13"]), "400", "Sec-WebSocket-Key"),
            (handshake([KEY]), "426", "Sec-WebSocket-Version"),
            (handshake([KEY, "Sec-WebSocket-Version: 8"]), "426", "Sec-WebSocket-Version"),
            (handshake(["Sec-WebSocket-Key: c2hvcnQ=", "Sec-WebSocket-Version: 13"]), "400", "Sec-WebSocket-Key"),
            (handshake([KEY, "Sec-WebSocket-Version: 13"], upgrade="foo"), "400", "websocket"),
            (handshake(["HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"], upgrade="h2c"), "400", "websocket"),
        ]
        for data, code, reason in cases:
            status, headers, body = raw(base, data)
            error = json_error(status, headers, body, code)
            assert reason in error, (data, error)
            if code == "426":
                assert headers.get("sec-websocket-version") == "13", headers
            alive(base, p)
        # Off the WebSocket path the same mistakes are told in text; another protocol there is ignored.
        status, headers, body = raw(base, handshake(["Sec-WebSocket-Version: 13"]).replace(b"/api/ws?camera=cam0", b"/healthz"))
        assert status.startswith("HTTP/1.1 400 ") and b"Sec-WebSocket-Key" in body, (status, body)
        assert headers["content-type"].startswith("text/plain"), headers
        for upgrade in ["h2c", "foo"]:  # (were dropped unanswered, on any path)
            status, _, body = raw(base, handshake(["Connection: close"], upgrade=upgrade).replace(b"/api/ws?camera=cam0", b"/healthz"))
            assert status.startswith("HTTP/1.1 200 ") and json.loads(body)["status"] == "ok", (status, body)

        async def still_upgrades():
            async with websockets.connect(base.replace("http", "ws") + "/api/ws?camera=cam0") as conn:
                return json.loads(await conn.recv())["type"]
        assert asyncio.run(still_upgrades()) == "hello"
    finally:
        stop(p)


HOSTILE_CONTROL = ["[" * 600, "{\"a\":" * 600, "[" * 16_000, '{"type":"ping","id":"\\udc00"}',
                   '{"type":"ping","type":"subscribe"}', '{"type":"subscribe","camera":' + "[" * 100 + "}", "1e999999",
                   '"' + "x" * 16_380 + '"']


def test_hostile_websocket_control_messages_get_errors(rtd):
    p, base, _ = start(rtd, "--detector", "none")

    async def go():
        async with websockets.connect(base.replace("http", "ws") + "/api/ws?camera=cam0", max_size=None) as conn:
            errors = []
            for text in HOSTILE_CONTROL:
                await conn.send(text)
            await conn.send(json.dumps({"type": "ping", "id": {"n": [1, "\u00e9"]}}))
            while True:
                message = await asyncio.wait_for(conn.recv(), 10)
                if isinstance(message, bytes):
                    continue
                m = json.loads(message)
                if m["type"] == "error":
                    errors.append(m["error"])
                if m["type"] == "pong":
                    return errors, m

    try:
        errors, pong = asyncio.run(go())
        assert len(errors) == len(HOSTILE_CONTROL), errors
        assert all(e.startswith("invalid JSON") for e in errors), errors
        assert sum("nested deeper" in e for e in errors) == 4, errors
        assert pong == {"type": "pong", "id": {"n": [1, "\u00e9"]}}
        alive(base, p)

        async def too_big():  # over the 16 KiB frame limit: closed with 1009, and that is all
            async with websockets.connect(base.replace("http", "ws") + "/api/ws?camera=cam0") as conn:
                await conn.send("[" * 20_000)
                try:
                    while True:
                        await asyncio.wait_for(conn.recv(), 10)
                except websockets.exceptions.ConnectionClosed as closed:
                    return closed.rcvd.code if closed.rcvd else None
        assert asyncio.run(too_big()) == 1009
        alive(base, p)
    finally:
        stop(p)


def test_hostile_data_channel_control_messages_get_errors(rtd):
    p, base, _ = start(rtd, "--detector", "none")

    async def go():
        v = Viewer(base, camera="cam0")
        await v.start()
        assert await wait_for(lambda: v.dc.readyState == "open")
        for text in HOSTILE_CONTROL[:2] + HOSTILE_CONTROL[3:5] + ["[" * 20_000]:
            v.dc.send(text)
        v.dc.send(json.dumps({"type": "ping", "id": 9}))
        assert await wait_for(lambda: any(m.get("type") == "pong" for _, m in v.replies))
        replies = [m for _, m in v.replies]
        await v.bye()
        await v.close()
        return replies

    try:
        replies = asyncio.run(go())
        errors = [m["error"] for m in replies if m["type"] == "error"]
        assert len(errors) == 5 and all(e.startswith("invalid JSON") for e in errors), errors
        assert "invalid JSON at byte 16384: document over 16384 bytes: control messages are JSON objects" in errors
        assert {"type": "pong", "id": 9} in replies
        alive(base, p)
    finally:
        stop(p)
