// Which detection record belongs to the picture on screen. WebRTC pictures are known by RTP
// timestamp (requestVideoFrameCallback), WebSocket pictures by frame number.

export const RECORDS_KEPT = 90;
const RTP_CLOCK_HZ = 90000;

// The key a record is filed under for a transport.
export const recordKey = (record, via) => (via === "ws" ? record.frame : record.rtp_timestamp);

// Files `record` under `key`, forgetting the oldest beyond RECORDS_KEPT.
export function keepRecord(records, key, record) {
  records.set(key, record);
  if (records.size > RECORDS_KEPT) records.delete(records.keys().next().value);
}

// How far RTP timestamp `ts` is after `earlier`: 32-bit RTP timestamps wrap around.
export const rtpAge = (ts, earlier) => (ts - earlier) >>> 0;

// The record of RTP timestamp `ts` ("exact"); else the newest at most 1.5 frames older ("near").
export function matchByRTP(records, ts, fps) {
  if (ts === undefined) return { record: null, match: "none" };
  const exact = records.get(ts);
  if (exact) return { record: exact, match: "exact" };
  const limit = RTP_CLOCK_HZ / (fps || 30) * 1.5;
  let record = null, bestAge = Infinity;
  for (const r of records.values()) {
    const age = rtpAge(ts, r.rtp_timestamp);
    if (age > 0 && age <= limit && age < bestAge) { record = r; bestAge = age; }
  }
  return { record, match: record ? "near" : "none" };
}

// The record of frame `frame` ("exact"); else the newest earlier one ("near").
export function matchByFrame(records, frame) {
  const exact = records.get(frame);
  if (exact) return { record: exact, match: "exact" };
  let record = null;
  for (const r of records.values()) if (r.frame < frame && (!record || r.frame > record.frame)) record = r;
  return { record, match: record ? "near" : "none" };
}

// Whether a record filed under `key` is the one the picture on screen (`shown`) is still missing.
export const awaitedBy = (shown, key, via) =>
  Boolean(shown) && shown.match !== "exact" && (via === "ws" ? shown.frame === key : shown.rtp === key);
