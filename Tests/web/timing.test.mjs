import { test } from "node:test";
import assert from "node:assert/strict";
import { viewerModule } from "./viewer.mjs";

test("reconnection backs off 0.5, 1, 2, 4 then 8 s, each ±20 %", async () => {
  const { reconnectDelay, BACKOFF_MS } = await viewerModule("backoff.js");
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map((n) => reconnectDelay(n, 0.5)), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(reconnectDelay(0, 0), 400);
  assert.equal(reconnectDelay(4, 0.999999), 9600);
  assert.deepEqual(BACKOFF_MS, [500, 1000, 2000, 4000, 8000]);
});

test("round trips come from the ping a pong answers; unknown and old pings give none", async () => {
  const { Pings } = await viewerModule("pings.js");
  const pings = new Pings(3);
  pings.sent(0, 100);
  pings.sent(1, 200);
  assert.equal(pings.answered(1, 215.5), 15.5);
  assert.equal(pings.answered(1, 300), null); // answered once only
  assert.equal(pings.answered(9, 300), null);
  for (let id = 2; id <= 4; id++) pings.sent(id, 1000 + id);
  assert.equal(pings.answered(0, 2000), null); // forgotten: more than 3 in flight
  assert.equal(pings.answered(2, 1010), 8);
});

test("the offline demo's shapes stay inside the picture, below the banner, and move", async () => {
  const { demoDetections, tri, DEMO_WIDTH, DEMO_HEIGHT, DEMO_SHAPES } = await viewerModule("demo.js");
  assert.deepEqual([tri(0), tri(0.25), tri(1), tri(1.5), tri(2), tri(-0.5)], [0, 0.25, 1, 0.5, 0, 0.5]);
  for (let t = 0; t < 60; t += 0.37) {
    const d = demoDetections(t);
    assert.equal(d.length, DEMO_SHAPES.length);
    for (const { box: [x, y, w, h] } of d) {
      assert.ok(x >= 0 && x + w <= DEMO_WIDTH, `x at t=${t}`);
      assert.ok(y >= 100 && y + h <= DEMO_HEIGHT - 28, `y at t=${t}`);
    }
  }
  assert.deepEqual(demoDetections(0).map((d) => [d.label, d.track_id, d.score]),
                   [["square", 1, 0.9], ["disc", 2, 0.85], ["bar", 3, 0.8]]);
  assert.notDeepEqual(demoDetections(0).map((d) => d.box), demoDetections(0.5).map((d) => d.box));
});

test("on the fallback WebRTC is tried again soon, then at most every 15 s (±20 %)", async () => {
  const { upgradeDelay } = await viewerModule("backoff.js");
  assert.deepEqual([0, 1, 2, 3, 4, 99].map((n) => upgradeDelay(n, 0.5)), [2000, 4000, 8000, 15000, 15000, 15000]);
  assert.equal(upgradeDelay(0, 0), 1600);
  assert.equal(upgradeDelay(3, 0.999999), 18000);
});

test("grid tiles are laid out as square as they go: four make 2×2", async () => {
  const { gridColumns } = await viewerModule("grid.js");
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 9, 10, 16, 30].map(gridColumns), [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
});
