"""Capture a real aiortc offer (recvonly video + data channel) for SDP fixtures.

Run: .venv/bin/python tools/webrtc-fixtures/capture_aiortc.py > aiortc_offer.sdp
"""
import asyncio
import sys

from aiortc import RTCPeerConnection


async def main() -> None:
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.createDataChannel("rtd")
    # aiortc gathers candidates inside setLocalDescription, so the result is complete.
    await pc.setLocalDescription(await pc.createOffer())
    sys.stdout.write(pc.localDescription.sdp)
    await pc.close()


asyncio.run(main())
