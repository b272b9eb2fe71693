"""Load: 32 aiortc viewers on one camera of `rtd serve` (its defaults: testsrc 640x480@30, motion
detection) for 60 s, half of them on VP8 (aiortc's and browsers' first choice) and half asking for
H.264, so the camera's two encoders both run under load. Every viewer must keep >= 25 frames/s over
the whole minute, stay connected and get detection records, and GET /healthz must stay fast all
along. About 80 s."""
import asyncio
import json
import os
import statistics
import subprocess
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor

from conftest import free_port
from peers import Viewer, light_viewers

VIEWERS = 32
WINDOW_S = 60.0


async def viewers_part(base, n, window):
    """One process's viewers: connect, then count frames and detection records over `window`."""
    light_viewers()
    viewers = [Viewer(base, light=True, codec="h264" if i % 2 else None) for i in range(n)]
    await asyncio.gather(*(v.start() for v in viewers))
    await asyncio.sleep(max(0, window[0] - time.time()))
    f0, r0 = [v.frames for v in viewers], [len(v.records) for v in viewers]
    await asyncio.sleep(max(0, window[1] - time.time()))
    fps = [(v.codec or "vp8", (v.frames - a) / (window[1] - window[0])) for v, a in zip(viewers, f0)]
    records = [(len(v.records) - a) / (window[1] - window[0]) for v, a in zip(viewers, r0)]
    for v in viewers:
        await v.bye()
        await v.close()
    return fps, records


def run_part(part):
    return asyncio.run(viewers_part(*part))


def test_32_viewers_keep_25_fps_and_healthz_stays_fast(rtd):
    port = free_port()
    srv = subprocess.Popen([rtd, "serve", "--host", "127.0.0.1", "--port", str(port)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert "rtd serve: http://" in srv.stdout.readline()
    base = f"http://127.0.0.1:{port}"
    start = time.time()
    window = (start + 8, start + 8 + WINDOW_S)
    healthz_ms, peers = [], []
    try:
        # Two client processes, one per core: 32 peers' SRTP and jitter buffers in one Python
        # process would measure the client's lag, not the server's.
        with ProcessPoolExecutor(2) as pool:
            parts = [pool.submit(run_part, (base, VIEWERS // 2, window)) for _ in range(2)]
            while time.time() < window[1]:
                t0 = time.monotonic()
                with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                    body = json.loads(r.read())
                if time.time() >= window[0]:
                    healthz_ms.append(1000 * (time.monotonic() - t0))
                    peers.append(body["peers"])
                time.sleep(max(0, 1 - (time.monotonic() - t0)))
            results = [p.result(timeout=60) for p in parts]
    finally:
        srv.terminate()
        srv.wait(timeout=10)
    fps = {codec: sorted(f for r in results for c, f in r[0] if c == codec) for codec in ("vp8", "h264")}
    records = [x for r in results for x in r[1]]
    p95 = sorted(healthz_ms)[int(0.95 * len(healthz_ms))]
    print(f"\n{VIEWERS} viewers, {WINDOW_S:g} s: " + "; ".join(
          f"{c} fps min {min(f):.1f} median {statistics.median(f):.1f}" for c, f in fps.items()) +
          f"; records/s min {min(records):.1f}; /healthz p50 {statistics.median(healthz_ms):.1f} ms "
          f"p95 {p95:.1f} ms max {max(healthz_ms):.1f} ms over {len(healthz_ms)} polls")
    assert len(fps["vp8"]) + len(fps["h264"]) == VIEWERS
    for codec, f in fps.items():
        assert f[0] >= 25, (codec, f)
    assert min(peers) == VIEWERS, "every viewer stays connected for the whole minute"
    assert min(records) > 0, "detection keeps running for every viewer's data channel"
    # /healthz is one small JSON answer from the HTTP event loop, which media never runs on: under
    # load it must stay in the milliseconds. 200 ms p95 leaves room for this shared 2-core machine's
    # scheduling; 500 ms for a single worst poll still fails a blocked or starved event loop.
    assert p95 < 200, sorted(healthz_ms)
    assert max(healthz_ms) < 500, sorted(healthz_ms)
