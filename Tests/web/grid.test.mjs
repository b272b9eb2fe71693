import { test } from "node:test";
import assert from "node:assert/strict";
import { viewerModule } from "./viewer.mjs";

const grid = viewerModule("grid.js");

test("a track's tile is its transceiver's place among the grid's transceivers", async () => {
  const { trackTile } = await grid;
  const cameras = ["a", "b", "c"];
  const mids = ["1", "2", "3"]; // the data channel took mid 0
  assert.equal(trackTile(cameras, mids, "1", ["rtd-a"]), 0);
  assert.equal(trackTile(cameras, mids, "3", ["rtd-c"]), 2);
  // The mid decides: the server gives the i-th receiving video cameras[i], whatever it calls the stream.
  assert.equal(trackTile(cameras, mids, "2", ["rtd-c"]), 1);
  assert.equal(trackTile(cameras, mids, "2", []), 1);
});

test("without a known mid the stream id names the camera", async () => {
  const { trackTile } = await grid;
  const cameras = ["a", "b", "rtd-x"];
  assert.equal(trackTile(cameras, [null, null, null], null, ["rtd-b"]), 1);
  assert.equal(trackTile(cameras, ["0", "1", "2"], "7", ["other", "rtd-rtd-x"]), 2);
  assert.equal(trackTile(cameras, ["0", "1", "2"], undefined, ["rtd-a"]), 0);
  // Neither names a tile.
  assert.equal(trackTile(cameras, ["0", "1", "2"], "9", ["rtd-zz", "b", ""]), -1);
  assert.equal(trackTile(cameras, ["0", "1", "2"], null, undefined), -1);
  assert.equal(trackTile([], [], "0", ["rtd-a"]), -1);
});

test("stream ids name cameras only with the server's prefix", async () => {
  const { streamCamera } = await grid;
  assert.equal(streamCamera("rtd-cam0"), "cam0");
  assert.equal(streamCamera("rtd-"), "");
  assert.equal(streamCamera("cam0"), null);
  assert.equal(streamCamera(undefined), null);
  assert.equal(streamCamera(7), null);
});
