// The grid: its layout, and which tile a track of its one peer connection belongs to.

// As square as the tiles allow (four make 2×2, not a row of three and one left over), never more
// than four columns.
export function gridColumns(tiles) {
  if (tiles <= 1) return 1;
  return Math.min(4, Math.ceil(Math.sqrt(tiles)));
}

// The most cameras the server gives one peer connection (POST api/webrtc/signal's "cameras").
export const GRID_SESSION_MAX = 16;

// The camera a stream id names: the server calls each camera's stream "rtd-<camera>".
export const streamCamera = (id) => (typeof id === "string" && id.startsWith("rtd-") ? id.slice(4) : null);

// The tile (index into `cameras`) of a received track: the page adds one video transceiver per
// tile in the cameras' order and the server gives the i-th one cameras[i], so the track's
// transceiver mid is found among `mids` (the transceivers' mids in that order); failing that
// (no mid known), its stream id names the camera. -1 when neither names a tile.
export function trackTile(cameras, mids, mid, streamIds) {
  const byMid = mid === null || mid === undefined ? -1 : mids.indexOf(mid);
  if (byMid >= 0) return byMid;
  for (const id of streamIds || []) {
    const i = cameras.indexOf(streamCamera(id));
    if (i >= 0) return i;
  }
  return -1;
}
