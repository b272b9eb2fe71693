"""Feed answers produced by SDPAnswerer to real browsers' setRemoteDescription.

Produce the answers, then verify them:
  RTD_WRITE_ANSWERS_DIR=/tmp/answers swift test --filter writesAnswersForBrowserCheckWhenAsked
  .venv/bin/python tools/webrtc-fixtures/verify_answers_in_browsers.py /tmp/answers/*.sdp

Each browser creates a fresh offer with the same transceiver layout as the fixture the answer
was made for (so mids and payload type numbers line up), applies it locally, then applies our
answer as the remote description. Files named firefox_* go to Firefox, the rest to Chromium.
"""
import json
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, os.path.dirname(__file__))
from capture_firefox import run_in_firefox  # noqa: E402

CHECK = """
(async (answer, withAudio) => {
  try {
    const pc = new RTCPeerConnection();
    if (withAudio) pc.addTransceiver('audio', {direction: 'sendrecv'});
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.createDataChannel('rtd');
    await pc.setLocalDescription(await pc.createOffer());
    await pc.setRemoteDescription({type: 'answer', sdp: answer});
    const t = pc.getTransceivers().map(x => `${x.mid}:${x.currentDirection}`).join(' ');
    return 'OK ' + t;
  } catch (e) {
    return 'FAIL ' + e;
  }
})
"""


def main(paths: list[str]) -> int:
    failures = 0
    chromium = None
    for path in paths:
        name = os.path.basename(path)
        answer = open(path).read()
        with_audio = "audio" in name
        if name.startswith("firefox_"):
            result = run_in_firefox(f"{CHECK}({json.dumps(answer)}, {json.dumps(with_audio)})")
        else:
            if chromium is None:
                opts = Options()
                opts.binary_location = "/usr/bin/chromium"
                for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                             "--user-data-dir=" + tempfile.mkdtemp()):
                    opts.add_argument(flag)
                chromium = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
                chromium.set_script_timeout(10)
                chromium.get("about:blank")
            result = chromium.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                f"{CHECK}(arguments[0], arguments[1]).then(done);", answer, with_audio)
        print(f"{name}: {result}")
        failures += not result.startswith("OK")
    if chromium is not None:
        chromium.quit()
    return failures


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
