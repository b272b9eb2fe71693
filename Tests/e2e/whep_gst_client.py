"""A WHEP client built on GStreamer's webrtcbin, so that rtd serve is tested against a WebRTC stack
that is not ours and not aiortc. Run it with the system Python (it needs PyGObject and the
GStreamer introspection data, see scripts/setup --test-deps):

  /usr/bin/python3 whep_gst_client.py http://127.0.0.1:8080/whep/cam0 --codec vp8 --frames 60

It offers one recvonly video transceiver (max-bundle, non-trickle: the offer is sent once ICE
gathering is complete), POSTs it as application/sdp, expects 201 + Location + an SDP answer,
decodes what arrives until --frames frames are decoded, DELETEs the session and prints one JSON
line: {"frames", "width", "height", "encoding", "seconds" (first to --frames-th decoded frame),
"status", "location", "delete_status"}.
With --pause-before-delete it prints "PLAYING" after the frames and waits for a line on stdin
before the DELETE, so that a test can look at the server while the session is up.
Failures: one line on stderr naming the step, exit status 1."""
import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import Gst, GstSdp, GstWebRTC  # noqa: E402

RTP_CAPS = {
    # Constrained baseline, packetization-mode 1: what browsers offer first, and what rtd encodes.
    "h264": "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
            "packetization-mode=(string)1,profile-level-id=(string)42e01f,level-asymmetry-allowed=(string)1",
    "vp8": "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000",
}


def fail(step, detail):
    print(f"whep_gst_client: {step}: {detail}", file=sys.stderr, flush=True)
    sys.exit(1)


def http(url, method, body=None, headers=None):
    """(status, headers, body) without raising on HTTP error statuses."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
    except OSError as e:
        fail(f"{method} {url}", e)


KEEP = []


def emit(webrtc, step, signal, *args, timeout):
    """Emits a webrtcbin action signal that answers through a promise, and waits for the reply
    (webrtcbin answers from its own thread). Promise and reply are kept alive for the whole run:
    values taken out of the reply point into it, and PyGObject frees it with its last reference."""
    done = threading.Event()
    promise = Gst.Promise.new_with_change_func(lambda _: done.set())
    KEEP.append(promise)
    webrtc.emit(signal, *args, promise)
    if not done.wait(timeout):
        fail(step, f"no answer from webrtcbin in {timeout} s")
    if promise.wait() != Gst.PromiseResult.REPLIED:
        fail(step, f"webrtcbin promise {promise.wait().value_nick}")
    reply = promise.get_reply()
    KEEP.append(reply)
    if reply is not None and reply.has_field("error"):
        fail(step, reply.get_value("error").message)
    return reply


class Client:
    """webrtcbin with one recvonly video transceiver; what arrives goes through decodebin into a
    fakesink that counts the decoded frames. Streaming-thread failures are handed to the main
    thread (a sys.exit there would only end that thread)."""

    def __init__(self, codec, frames):
        self.pipeline = Gst.Pipeline.new("whep")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
        if self.webrtc is None:
            fail("webrtcbin", "element missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipeline.add(self.webrtc)
        self.lock = threading.Lock()
        self.frames = 0
        self.width = self.height = None
        self.encoding = None
        self.wanted = frames
        self.first_at = self.enough_at = None
        self.error = None
        self.enough = threading.Event()
        self.gathered = threading.Event()
        self.webrtc.connect("pad-added", self.on_incoming)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                         Gst.Caps.from_string(RTP_CAPS[codec]))

    def on_gathering(self, webrtc, _):
        if webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            self.gathered.set()

    def on_incoming(self, webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps()
        if caps is not None:
            self.encoding = caps.get_structure(0).get_string("encoding-name")
        decode = Gst.ElementFactory.make("decodebin")
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", self.on_frame)
        self.pipeline.add(decode)
        self.pipeline.add(sink)
        decode.connect("pad-added", lambda _, p: p.link(sink.get_static_pad("sink")))
        decode.sync_state_with_parent()
        sink.sync_state_with_parent()
        if pad.link(decode.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            self.failed("link", f"cannot link webrtcbin's {pad.get_name()} to decodebin")

    def failed(self, step, detail):
        with self.lock:
            self.error = self.error or (step, detail)
        self.enough.set()

    def on_frame(self, sink, buffer, pad):
        caps = pad.get_current_caps()
        s = caps.get_structure(0) if caps is not None else None
        if s is None or not s.get_name().startswith("video/x-raw"):
            self.failed("decode", f"decodebin gave {caps.to_string() if caps else 'no caps'}, not raw video")
            return
        with self.lock:
            self.frames += 1
            self.width, self.height = s.get_value("width"), s.get_value("height")
            now = time.monotonic()
            self.first_at = self.first_at or now
            if self.frames == self.wanted:
                self.enough_at = now
                self.enough.set()

    def check_bus(self):
        msg = self.pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
        if msg is not None:
            err, debug = msg.parse_error()
            fail("pipeline", f"{msg.src.get_name()}: {err.message} ({debug})")

    def wait(self, event, step, timeout):
        deadline = time.monotonic() + timeout
        while not event.wait(0.05):
            self.check_bus()
            if self.error:
                fail(*self.error)
            if time.monotonic() > deadline:
                state = self.webrtc.get_property("ice-connection-state").value_nick
                fail(step, f"timed out after {timeout} s ({self.frames} frames decoded, ICE {state})")
        if self.error:
            fail(*self.error)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", help="WHEP endpoint, e.g. http://127.0.0.1:8080/whep/cam0")
    ap.add_argument("--codec", choices=sorted(RTP_CAPS), default="h264", help="the one codec offered")
    ap.add_argument("--token", help="sent as Authorization: Bearer TOKEN")
    ap.add_argument("--frames", type=int, default=60, help="decoded frames to wait for (default 60)")
    ap.add_argument("--timeout", type=float, default=20, help="seconds allowed for each step (default 20)")
    ap.add_argument("--pause-before-delete", action="store_true",
                    help='print "PLAYING" once the frames are in, then wait for a line on stdin before DELETE')
    args = ap.parse_args()

    Gst.init(None)
    auth = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    c = Client(args.codec, args.frames)
    c.pipeline.set_state(Gst.State.PLAYING)

    offer = emit(c.webrtc, "create-offer", "create-offer", None, timeout=args.timeout).get_value("offer")
    emit(c.webrtc, "set-local-description", "set-local-description", offer, timeout=args.timeout)
    # Non-trickle WHEP: the offer goes out once it holds every candidate.
    c.wait(c.gathered, "ICE gathering", args.timeout)
    sdp = c.webrtc.get_property("local-description").sdp.as_text()

    status, headers, body = http(args.url, "POST", sdp.encode(), {"Content-Type": "application/sdp", **auth})
    if status != 201:
        fail("POST offer", f"HTTP {status}: {body.decode(errors='replace').strip()}")
    location = headers.get("Location")
    if not location:
        fail("POST offer", "201 without a Location header")
    if (headers.get("Content-Type") or "").split(";")[0].strip() != "application/sdp":
        fail("POST offer", f"answer has Content-Type {headers.get('Content-Type')!r}")
    res, answer_sdp = GstSdp.SDPMessage.new_from_text(body.decode())
    if res != GstSdp.SDPResult.OK:
        fail("answer", f"GstSdp cannot parse the answer ({res.value_nick})")
    answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, answer_sdp)
    emit(c.webrtc, "set-remote-description", "set-remote-description", answer, timeout=args.timeout)

    c.wait(c.enough, f"receiving {args.frames} frames", args.timeout)
    if args.pause_before_delete:
        print("PLAYING", flush=True)
        sys.stdin.readline()

    delete_status, _, _ = http(urllib.parse.urljoin(args.url, location), "DELETE", headers=auth)
    c.pipeline.set_state(Gst.State.NULL)
    with c.lock:
        print(json.dumps({"frames": c.frames, "width": c.width, "height": c.height, "encoding": c.encoding,
                          "seconds": round(c.enough_at - c.first_at, 3), "status": status, "location": location,
                          "delete_status": delete_status}), flush=True)


if __name__ == "__main__":
    main()
