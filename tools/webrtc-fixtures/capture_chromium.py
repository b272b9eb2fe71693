"""Capture a real Chromium offer (recvonly video + data channel) for SDP fixtures.

Run: .venv/bin/python tools/webrtc-fixtures/capture_chromium.py [--audio] > chromium_offer.sdp
--audio also adds a sendrecv audio transceiver first (to exercise rejection of audio).
"""
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

SCRIPT = """
const done = arguments[arguments.length - 1];
(async () => {
  const pc = new RTCPeerConnection();
  if (arguments[0]) pc.addTransceiver('audio', {direction: 'sendrecv'});
  pc.addTransceiver('video', {direction: 'recvonly'});
  pc.createDataChannel('rtd');
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    setTimeout(resolve, 3000);
  });
  done(pc.localDescription.sdp);
})().catch(e => done('ERROR ' + e));
"""

opts = Options()
opts.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
             "--user-data-dir=" + tempfile.mkdtemp()):
    opts.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    driver.set_script_timeout(10)
    driver.get("about:blank")
    sdp = driver.execute_async_script(SCRIPT, "--audio" in sys.argv)
    if sdp.startswith("ERROR"):
        sys.exit(sdp)
    sys.stdout.write(sdp)
    sys.stderr.write(driver.capabilities.get("browserVersion", "?") + "\n")
finally:
    driver.quit()
