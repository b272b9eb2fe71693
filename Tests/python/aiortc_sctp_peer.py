"""aiortc as an independent WebRTC data-channel peer for the interop test.

DTLS records travel over stdin/stdout as frames (4-byte big-endian length + bytes), so no ICE or
UDP is needed. argv: <our DTLS role: client|server> <peer sha-256 fingerprint>.
First frame written: our own "sha-256 XX:..." fingerprint.

Behaviour: every message on a channel the peer opens is echoed back on that channel; a message
"open-yours" makes us open channel "from-aiortc" and send a text and a binary message on it;
"report" makes us send back a summary line. Exits when stdin closes.
"""
import asyncio
import glob
import os
import site
import struct
import sys

# The interpreter may be started without its venv context (a launcher can resolve the venv's
# python symlink), so add the package venv's site-packages explicitly.
for _dir in glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../.venv/lib/python*/site-packages")):
    site.addsitedir(_dir)

from aiortc import RTCCertificate, RTCDtlsTransport, RTCSctpTransport, RTCDataChannel
from aiortc.rtcdatachannel import RTCDataChannelParameters
from aiortc.rtcdtlstransport import RTCDtlsFingerprint, RTCDtlsParameters


class StdioIce:
    """The two things RTCDtlsTransport uses from an RTCIceTransport."""

    def __init__(self, loop):
        self.role = "controlled"
        self.state = "completed"
        self.queue = asyncio.Queue()
        self.out = sys.stdout.buffer
        loop.add_reader(sys.stdin.fileno(), self._readable)
        self.buffer = b""

    def _readable(self):
        import os
        chunk = os.read(sys.stdin.fileno(), 65536)
        if not chunk:
            self.queue.put_nowait(None)
            return
        self.buffer += chunk
        while len(self.buffer) >= 4:
            (n,) = struct.unpack(">I", self.buffer[:4])
            if len(self.buffer) < 4 + n:
                break
            self.queue.put_nowait(self.buffer[4:4 + n])
            self.buffer = self.buffer[4 + n:]

    async def _recv(self):
        data = await self.queue.get()
        if data is None:
            raise ConnectionError("stdin closed")
        return data

    async def _send(self, data):
        self.out.write(struct.pack(">I", len(data)) + data)
        self.out.flush()


def log(*args):
    print("[aiortc]", *args, file=sys.stderr, flush=True)


async def main():
    role, fingerprint = sys.argv[1], sys.argv[2]
    loop = asyncio.get_running_loop()
    ice = StdioIce(loop)
    cert = RTCCertificate.generateCertificate()
    own = [f for f in cert.getFingerprints() if f.algorithm == "sha-256"][0]
    await ice._send(f"sha-256 {own.value}".encode())

    dtls = RTCDtlsTransport(ice, [cert])
    dtls._set_role(role)
    sctp = RTCSctpTransport(dtls)
    received = {}

    @sctp.on("datachannel")
    def on_channel(channel):
        log("peer opened", channel.id, channel.label, channel.ordered, channel.maxRetransmits, channel.maxPacketLifeTime)
        received[channel.label] = 0

        @channel.on("message")
        def on_message(message):
            received[channel.label] += 1
            if message == "open-yours":
                mine = RTCDataChannel(sctp, RTCDataChannelParameters(label="from-aiortc", protocol="demo"))

                @mine.on("open")
                def on_open():
                    mine.send("hello from aiortc")
                    mine.send(bytes(range(256)) * 4)
                    mine.send("")
                return
            if message == "report":
                channel.send(f"report {sorted(received.items())}")
                return
            channel.send(message)

        @channel.on("close")
        def on_close():
            log("closed", channel.label)

    await dtls.start(RTCDtlsParameters(fingerprints=[RTCDtlsFingerprint("sha-256", fingerprint.split(" ", 1)[1])], role="auto"))
    log("dtls", dtls.state, "role", role)
    await sctp.start(sctp.getCapabilities(), 5000)
    try:
        while dtls.state != "closed" and dtls.state != "failed":
            await asyncio.sleep(0.1)
    finally:
        await sctp.stop()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except ConnectionError:
        pass
