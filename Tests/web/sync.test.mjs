import { test } from "node:test";
import assert from "node:assert/strict";
import { viewerModule } from "./viewer.mjs";

const sync = viewerModule("sync.js");
const TS_PER_FRAME = 3000; // 90 kHz at 30 fps

function filed(records) {
  return new Map(records.map((r) => [r.rtp_timestamp ?? r.frame, r]));
}

test("the record of the very RTP timestamp is an exact match", async () => {
  const { matchByRTP } = await sync;
  const records = filed([{ rtp_timestamp: 1000 }, { rtp_timestamp: 4000 }]);
  const got = matchByRTP(records, 4000, 30);
  assert.equal(got.match, "exact");
  assert.equal(got.record.rtp_timestamp, 4000);
});

test("without one, the newest record at most 1.5 frames older is near", async () => {
  const { matchByRTP } = await sync;
  const records = filed([{ rtp_timestamp: 1000 }, { rtp_timestamp: 4000 }, { rtp_timestamp: 10000 }]);
  assert.deepEqual(matchByRTP(records, 4000 + TS_PER_FRAME, 30), { record: { rtp_timestamp: 4000 }, match: "near" });
  // 1.5 frames at 30 fps is 4500 ticks: 4501 is too old, and newer records never match.
  assert.equal(matchByRTP(records, 4000 + 4500, 30).record.rtp_timestamp, 4000);
  assert.deepEqual(matchByRTP(records, 4000 + 4501, 30), { record: null, match: "none" });
  assert.deepEqual(matchByRTP(records, 900, 30), { record: null, match: "none" });
});

test("the near window follows the frame rate, 30 fps when unknown", async () => {
  const { matchByRTP } = await sync;
  const records = filed([{ rtp_timestamp: 0 }]);
  assert.equal(matchByRTP(records, 13500, 10).match, "near"); // 1.5 frames at 10 fps
  assert.equal(matchByRTP(records, 13501, 10).match, "none");
  assert.equal(matchByRTP(records, 4500, 0).match, "near");
  assert.equal(matchByRTP(records, 4501, 0).match, "none");
});

test("RTP timestamps wrap around at 2^32", async () => {
  const { matchByRTP, rtpAge } = await sync;
  const beforeWrap = 2 ** 32 - 1000;
  assert.equal(rtpAge(2000, beforeWrap), 3000);
  assert.equal(rtpAge(beforeWrap, 2000), 2 ** 32 - 3000);
  const records = filed([{ rtp_timestamp: beforeWrap }, { rtp_timestamp: beforeWrap - TS_PER_FRAME }]);
  // The picture after the wrap takes the record just before it, not the one a frame earlier.
  assert.deepEqual(matchByRTP(records, 2000, 30), { record: { rtp_timestamp: beforeWrap }, match: "near" });
  // A record just after the wrap is newer than a picture just before it: no match.
  assert.equal(matchByRTP(filed([{ rtp_timestamp: 500 }]), beforeWrap, 30).match, "none");
});

test("a picture without an RTP timestamp matches nothing", async () => {
  const { matchByRTP } = await sync;
  assert.deepEqual(matchByRTP(filed([{ rtp_timestamp: 0 }]), undefined, 30), { record: null, match: "none" });
});

test("WebSocket pictures take their frame's record, else the newest earlier one", async () => {
  const { matchByFrame } = await sync;
  const records = filed([{ frame: 7 }, { frame: 3 }, { frame: 5 }, { frame: 12 }]);
  assert.deepEqual(matchByFrame(records, 5), { record: { frame: 5 }, match: "exact" });
  assert.deepEqual(matchByFrame(records, 11), { record: { frame: 7 }, match: "near" });
  assert.deepEqual(matchByFrame(records, 3), { record: { frame: 3 }, match: "exact" });
  assert.deepEqual(matchByFrame(records, 2), { record: null, match: "none" });
});

test("records are kept by transport key, the oldest forgotten beyond RECORDS_KEPT", async () => {
  const { keepRecord, recordKey, RECORDS_KEPT } = await sync;
  assert.equal(recordKey({ frame: 4, rtp_timestamp: 99 }, "ws"), 4);
  assert.equal(recordKey({ frame: 4, rtp_timestamp: 99 }, "webrtc"), 99);
  const records = new Map();
  for (let i = 0; i < RECORDS_KEPT + 5; i++) keepRecord(records, i, { frame: i });
  assert.equal(records.size, RECORDS_KEPT);
  assert.ok(!records.has(4) && records.has(5) && records.has(RECORDS_KEPT + 4));
});

test("a late record is drawn only for the picture that is still missing it", async () => {
  const { awaitedBy } = await sync;
  assert.equal(awaitedBy({ match: "near", rtp: 42 }, 42, "webrtc"), true);
  assert.equal(awaitedBy({ match: "none", frame: 8 }, 8, "ws"), true);
  assert.equal(awaitedBy({ match: "exact", rtp: 42 }, 42, "webrtc"), false);
  assert.equal(awaitedBy({ match: "near", rtp: 42 }, 41, "webrtc"), false);
  assert.equal(awaitedBy({ match: "near", frame: 42 }, 42, "webrtc"), false);
  assert.equal(awaitedBy(null, 42, "webrtc"), false);
});
