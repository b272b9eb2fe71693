"""Regenerate Tests/RTDWebRTCTests/SDP/SDPFixtures.swift from tools/webrtc-fixtures/captures/*.sdp.

Run from the package root: python3 tools/webrtc-fixtures/make_sdp_fixtures.py
"""
CAPTURES = [
    ("chromiumRecvonlyWithDataChannel", "chromium_recvonly_dc.sdp",
     "Chromium 156 (headless), tools/webrtc-fixtures/capture_chromium.py"),
    ("chromiumAudioVideoDataChannel", "chromium_audio_video_dc.sdp",
     "Chromium 156 (headless), tools/webrtc-fixtures/capture_chromium.py --audio"),
    ("aiortcRecvonlyWithDataChannel", "aiortc_recvonly_dc.sdp",
     "aiortc 1.16.0, tools/webrtc-fixtures/capture_aiortc.py"),
    ("aiortcAudioVideoDataChannel", "aiortc_audio_video_dc.sdp",
     "aiortc 1.16.0, tools/webrtc-fixtures/capture_aiortc.py --audio"),
    ("firefoxRecvonlyWithDataChannel", "firefox_recvonly_dc.sdp",
     "Firefox ESR (headless, no OpenH264 plugin so VP8 only), tools/webrtc-fixtures/capture_firefox.py"),
]

lines = [
    "/// Offers captured from real peers by the scripts in tools/ (raw copies in tools/webrtc-fixtures/captures/,",
    "/// regenerate this file with tools/webrtc-fixtures/make_sdp_fixtures.py). Line endings are LF here; the",
    "/// parser accepts both.",
    "enum SDPFixtures {",
]
for name, filename, origin in CAPTURES:
    text = open(f"tools/webrtc-fixtures/captures/{filename}", newline="").read().replace("\r\n", "\n")
    assert '"""' not in text and "\\" not in text
    lines.append(f"    /// {origin}")
    lines.append(f'    static let {name} = """')
    lines += ["        " + line if line else "" for line in text.rstrip("\n").split("\n")]
    lines.append('        """')
    lines.append("")
lines[-1] = "}"
with open("Tests/RTDWebRTCTests/SDP/SDPFixtures.swift", "w") as out:
    out.write("\n".join(lines) + "\n")
