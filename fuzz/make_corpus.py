#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from inputs the repository already holds:
the browser and aiortc SDP captures (tools/webrtc-fixtures/captures), the byte vectors of the unit
tests (RFC 5769 STUN, RTP, RTCP and transport-cc, DCEP), the config files of the config tests,
signaling and control messages as the viewer page sends them, and small Y4M streams;
plus a few packets built here the way Chromium sends them (a STUN check with integrity and
fingerprint, RTP with abs-send-time and transport-cc extensions, H.264 and VP8 payloads).
scripts/fuzz minimizes what the fuzzer adds; run this again only to reseed."""
import hashlib
import hmac
import json
import re
import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "Tests"
CAPTURES = ROOT / "tools" / "webrtc-fixtures" / "captures"
OUT = ROOT / "fuzz" / "corpus"


def hex_vectors(path):
    """The hexBytes("...") and hexBytes(\"\"\"...\"\"\") literals of a Swift test file."""
    text = path.read_text()
    found = re.findall(r'hexBytes\(\s*"""(.*?)"""\s*\)', text, re.S)
    found += re.findall(r'hexBytes\("([0-9a-fA-F ]+)"\)', text)
    return [bytes.fromhex("".join(re.findall(r"[0-9a-fA-F]", item))) for item in found]


def swift_arrays(path, first_byte):
    """[0x03, 0x00, 0, ...] byte-array literals starting with `first_byte`."""
    items = []
    for body in re.findall(r"\[((?:0x[0-9A-Fa-f]+|\d+)(?:,\s*(?:0x[0-9A-Fa-f]+|\d+))+)\]", path.read_text()):
        values = [int(v, 0) for v in re.split(r",\s*", body)]
        if values[0] == first_byte and all(v < 256 for v in values):
            items.append(bytes(values))
    return items


def stun_message(msg_type, txid, attributes, password=None, fingerprint=True):
    def attr(kind, value):
        return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)

    body = b"".join(attr(k, v) for k, v in attributes)
    header = lambda extra: struct.pack("!HHI", msg_type, len(body) + extra, 0x2112A442) + txid
    if password is not None:
        mac = hmac.new(password.encode(), header(24) + body, hashlib.sha1).digest()
        body += attr(0x0008, mac)
    if fingerprint:
        crc = (zlib.crc32(header(8) + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(0x8028, struct.pack("!I", crc))
    return header(0) + body


def chromium_stun():
    txid = bytes(range(1, 13))
    check = stun_message(0x0001, txid, [
        (0x0006, b"fzUf:mdV0"),                     # USERNAME local:remote
        (0xC057, b"\x00\x02\x00\x0a"),              # GOOG-NETWORK-INFO
        (0x802A, bytes(8)),                         # ICE-CONTROLLING
        (0x0025, b""),                              # USE-CANDIDATE
        (0x0024, struct.pack("!I", 1853693695)),    # PRIORITY
    ], password="fuzzpasswordfuzzpassword")
    xor_port = 8443 ^ 0x2112
    xor_ip = bytes(a ^ b for a, b in zip(bytes([192, 0, 2, 1]), struct.pack("!I", 0x2112A442)))
    success = stun_message(0x0101, txid, [(0x0020, b"\x00\x01" + struct.pack("!H", xor_port) + xor_ip)],
                           password="fuzzpasswordfuzzpassword")
    error = stun_message(0x0111, txid, [(0x0009, b"\x00\x00\x04\x01Unknown USERNAME"), (0x000A, b"\xc0\x57\x00\x99")])
    return [check, success, error]


def turn_messages():
    """What coturn answers an Allocate (401 with realm and nonce, the allocation), a Data
    indication, ChannelData (padded and not), and the same back to back as TURN over TCP sends them."""
    txid = bytes(range(20, 32))
    xor = lambda ip, port: b"\x00\x01" + struct.pack("!H", port ^ 0x2112) + bytes(a ^ b for a, b in zip(bytes(ip), struct.pack("!I", 0x2112A442)))
    unauthorized = stun_message(0x0113, txid, [(0x0009, b"\x00\x00\x04\x01Unauthorized"), (0x0014, b"rtd"),
                                              (0x0015, b"0123456789abcdef"), (0x8022, b"Coturn-4.6.1")])
    key = hashlib.md5(b"fuzz:rtd:fuzzpass").digest()
    body = [(0x0016, xor([192, 0, 2, 1], 50000)), (0x0020, xor([192, 0, 2, 7], 40000)), (0x000D, struct.pack("!I", 600))]
    allocated = stun_message(0x0103, txid, body, fingerprint=False)
    # MESSAGE-INTEGRITY with the long-term key (MD5 of user:realm:password).
    header = struct.pack("!HHI", 0x0103, len(allocated) - 20 + 24, 0x2112A442) + txid
    allocated = header[:2] + struct.pack("!H", len(allocated) - 20 + 24) + allocated[4:] + struct.pack("!HH", 0x0008, 20) + \
        hmac.new(key, header + allocated[20:], hashlib.sha1).digest()
    stale = stun_message(0x0113, txid, [(0x0009, b"\x00\x00\x04\x26Stale Nonce"), (0x0015, b"fedcba9876543210")])
    data = stun_message(0x0017, txid, [(0x0012, xor([192, 0, 2, 9], 9)), (0x0013, b"\x00\x01\x00\x00hello")], fingerprint=False)
    channel = b"\x40\x00\x00\x05hello"
    return [unauthorized, allocated, stale, data, channel, channel + b"\0\0\0", unauthorized + channel + b"\0\0\0" + data]


def rtp(pt, seq, ts, ssrc, payload, marker=False, extensions=None, padding=0):
    first = 0x80 | (0x20 if padding else 0) | (0x10 if extensions is not None else 0)
    out = struct.pack("!BBHII", first, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    if extensions is not None:
        body = b"".join(bytes([(i << 4) | (len(d) - 1)]) + d for i, d in extensions)
        body += b"\0" * (-len(body) % 4)
        out += struct.pack("!HH", 0xBEDE, len(body) // 4) + body
    out += payload
    if padding:
        out += b"\0" * (padding - 1) + bytes([padding])
    return out


def chromium_rtp():
    ext = [(2, b"\x12\x34\x56"), (3, b"\x00\x07"), (4, b"\x00\x00\x00\x01")]  # abs-send-time, transport-cc, mid-ish
    sps = bytes([0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xE8])
    pps = bytes([0x68, 0xCE, 0x3C, 0x80])
    stap = bytes([0x18]) + struct.pack("!H", len(sps)) + sps + struct.pack("!H", len(pps)) + pps
    fu_start = bytes([0x7C, 0x85]) + bytes(range(40))
    fu_end = bytes([0x7C, 0x45]) + bytes(range(20))
    vp8 = bytes([0x90, 0x80, 0x2A, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00])
    return [
        rtp(102, 1000, 90000, 0x1234, stap, extensions=ext),
        rtp(102, 1001, 90000, 0x1234, fu_start, extensions=ext),
        rtp(102, 1002, 90000, 0x1234, fu_end, marker=True, extensions=ext),
        rtp(96, 7, 3000, 0x5678, vp8, marker=True, extensions=ext[:2]),
        rtp(96, 8, 3000, 0x5678, b"", padding=224),
    ]


def chromium_rtcp():
    rr = struct.pack("!BBHI", 0x81, 201, 7, 0x1) + struct.pack("!IBBHIIII", 0x1234, 0, 0, 0, 1000, 5, 0, 0)
    sdes_cname = b"\x01\x10" + b"{0123456789abcd}" + b"\0\0"
    sdes = struct.pack("!BBHI", 0x81, 202, (4 + len(sdes_cname)) // 4, 0x1) + sdes_cname
    remb = struct.pack("!BBHII", 0x8F, 206, 5, 0x1, 0) + b"REMB" + bytes([1, 0x0B, 0xD0, 0x90]) + struct.pack("!I", 0x1234)
    return [rr + sdes, rr + remb]


def y4m(header, frame_lines):
    width = int(re.search(rb"W(\d+)", header).group(1))
    height = int(re.search(rb"H(\d+)", header).group(1))
    size = width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)
    return header + b"\n" + b"".join(line + b"\n" + bytes(range(size)) for line in frame_lines)


def config_texts():
    text = (TESTS / "RTDServerTests" / "ConfigFileTests.swift").read_text()
    items = []
    for block in re.findall(r'"""\n(.*?)\n(\s*)"""', text, re.S):
        body, indent = block
        items.append("\n".join(line[len(indent):] for line in body.split("\n")) + "\n")
    for literal in re.findall(r'\(\s*"((?:[^"\\]|\\.)*)",\s*"rtd\.yaml', text):
        items.append(literal.encode().decode("unicode_escape"))
    return [item.encode() for item in items]


def icetcp_streams(stun):
    """What an ICE-TCP connection carries (RFC 4571): framed STUN checks back to back, one cut
    short, an empty frame, and a length prefix above any datagram."""
    framed = [struct.pack("!H", len(m)) + m for m in stun]
    return [framed[0], b"".join(framed), b"".join(framed)[:-5], b"\x00\x00" + framed[0],
            b"\xff\xff" + bytes(16), framed[0] + b"\x10\x00\x17\xfe\xfd"]


def main():
    captures = sorted(CAPTURES.glob("*.sdp"))
    sdps = [path.read_bytes() for path in captures]
    candidates = []
    for sdp in sdps:
        for line in sdp.decode().splitlines():
            if line.startswith("a=candidate:"):
                candidates.append(line[2:].encode())
    corpora = {
        "sdp": sdps + [sdps[0].replace(b"\r\n", b"\n")],
        "candidate": candidates + [b"candidate:1 1 udp 2130706431 192.0.2.1 8443 typ host generation 0 ufrag fzUf",
                                   b"candidate:2 1 udp 1694498815 203.0.113.9 61000 typ srflx raddr 10.0.0.2 rport 61000"],
        "stun": hex_vectors(TESTS / "RTDWebRTCTests" / "STUN" / "STUNTests.swift") + chromium_stun(),
        "icetcp": icetcp_streams(chromium_stun()),
        "turn": turn_messages(),
        "rtp": hex_vectors(TESTS / "RTDWebRTCTests" / "RTP" / "RTPPacketTests.swift") + chromium_rtp(),
        "rtcp": hex_vectors(TESTS / "RTDWebRTCTests" / "RTCP" / "RTCPTests.swift") + chromium_rtcp(),
        "dcep": swift_arrays(TESTS / "RTDWebRTCTests" / "SCTP" / "HostileInputTests.swift", 0x03)
                + [b"\x02", b"\x03\x00\x01\x00\x00\x00\x00\x00\x00\x0a\x00\x00detections"],
        "config": config_texts(),
        "signal": [json.dumps({"type": "offer", "sdp": sdps[0].decode(), "camera": "cam0", "codec": "vp8"}).encode(),
                   json.dumps({"type": "candidate", "session_id": "s1", "candidate": {
                       "candidate": candidates[0].decode(), "sdpMid": "0", "sdpMLineIndex": 0}}).encode(),
                   b'{"type":"bye","session_id":"s1"}', b'{"type":"offer","sdp":"v=0\\r\\n","x":[1,{"y":null}]}',
                   b'[' * 513],
        "json": [b'[' * 513, b'{"a":' * 40 + b'1' + b'}' * 40, b'[1e400,-0.0,1E-7,123456789012345678901234]',
                 b'"\\ud83d\\ude00\\u0000\\/\\b"', b'{"a":1,"a":2}', b'\xef\xbb\xbf{}'],
        "control": [b'{"type":"ping","id":1}', b'{"type":"ping","id":{"a":[1.5,"x",true,null]}}',
                    b'{"type":"subscribe","camera":"cam0"}', b'{"type":"ping","id":"\\u00e9\\ud83d\\ude00"}'],
        "y4m": [y4m(b"YUV4MPEG2 W4 H2 F30:1 Ip A1:1 C420jpeg", [b"FRAME", b"FRAME Xpts=33333 Xts=1700000000000000"]),
                y4m(b"YUV4MPEG2 W3 H3 F30000:1001 C420mpeg2 XYSCSS=420JPEG", [b"FRAME"])],
    }
    for target, items in corpora.items():
        directory = OUT / target
        directory.mkdir(parents=True, exist_ok=True)
        for item in dict.fromkeys(items):
            (directory / hashlib.sha1(item).hexdigest()[:16]).write_bytes(item)
        print(f"{target}: {len(list(directory.iterdir()))} files")


if __name__ == "__main__":
    main()
