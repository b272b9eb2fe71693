"""Capture a real aiortc offer (recvonly video + data channel; with --audio a recvonly audio
transceiver first, as Tests/e2e/test_audio.py offers) for SDP fixtures.

Run: .venv/bin/python tools/webrtc-fixtures/capture_aiortc.py [--audio] > aiortc_offer.sdp
"""
import asyncio
import sys

from aiortc import RTCPeerConnection


async def main() -> None:
    pc = RTCPeerConnection()
    if "--audio" in sys.argv[1:]:
        pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    pc.createDataChannel("rtd")
    # aiortc gathers candidates inside setLocalDescription, so the result is complete.
    await pc.setLocalDescription(await pc.createOffer())
    sys.stdout.write(pc.localDescription.sdp)
    await pc.close()


asyncio.run(main())
