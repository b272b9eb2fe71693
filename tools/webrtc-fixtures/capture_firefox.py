"""Capture a real Firefox offer (recvonly video + data channel) for SDP fixtures.

Uses WebDriver BiDi directly over Firefox's remote-debugging websocket, so no geckodriver
is needed. Requires firefox-esr (apt-get install firefox-esr) and the venv's websocket-client
(a selenium dependency).

Run: .venv/bin/python tools/webrtc-fixtures/capture_firefox.py > firefox_offer.sdp
"""
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import websocket

EXPRESSION = """
(async () => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', {direction: 'recvonly'});
  pc.createDataChannel('rtd');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    setTimeout(resolve, 3000);
  });
  return pc.localDescription.sdp;
})()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_in_firefox(expression: str) -> str:
    """Evaluates an async JS expression in headless Firefox and returns its string result."""
    port = free_port()
    profile = tempfile.mkdtemp()
    browser = subprocess.Popen(
        [shutil.which("firefox-esr") or "firefox", "--headless", "--no-remote", "--profile", profile,
         f"--remote-debugging-port={port}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                # Firefox rejects websocket handshakes that carry an Origin header.
                ws = websocket.create_connection(f"ws://127.0.0.1:{port}/session", timeout=15,
                                                 suppress_origin=True)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        next_id = 0

        def call(method: str, params: dict) -> dict:
            nonlocal next_id
            next_id += 1
            ws.send(json.dumps({"id": next_id, "method": method, "params": params}))
            while True:
                reply = json.loads(ws.recv())
                if reply.get("id") == next_id:
                    if reply.get("type") == "error":
                        sys.exit(f"{method}: {reply}")
                    return reply["result"]

        call("session.new", {"capabilities": {}})
        context = call("browsingContext.getTree", {})["contexts"][0]["context"]
        result = call("script.evaluate", {"expression": expression, "target": {"context": context},
                                          "awaitPromise": True})
        if result.get("type") == "exception":
            sys.exit(f"script failed: {result}")
        call("session.end", {})
        return result["result"]["value"]
    finally:
        browser.terminate()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.stdout.write(run_in_firefox(EXPRESSION))
