import { test } from "node:test";
import assert from "node:assert/strict";
import { viewerModule } from "./viewer.mjs";

const overlay = viewerModule("overlay.js");

test("a wide picture in a tall canvas is letterboxed: bars above and below", async () => {
  const { fitPicture, boxOnCanvas } = await overlay;
  // 1280x720 into 800x800: scale 0.625, picture 800x450 from y = 175.
  const fit = fitPicture(800, 800, 1280, 720, 1280, 720);
  assert.deepEqual(fit, { ox: 0, oy: 175, right: 800, sx: 0.625, sy: 0.625 });
  assert.deepEqual(boxOnCanvas(fit, [0, 0, 1280, 720]), { x: 0, y: 175, w: 800, h: 450 });
  assert.deepEqual(boxOnCanvas(fit, [640, 360, 64, 32]), { x: 400, y: 400, w: 40, h: 20 });
});

test("a tall picture in a wide canvas is pillarboxed: bars left and right", async () => {
  const { fitPicture, boxOnCanvas } = await overlay;
  // 480x640 into 1000x500: scale 0.78125, picture 375x500 from x = 312.5.
  const fit = fitPicture(1000, 500, 480, 640, 480, 640);
  assert.deepEqual(fit, { ox: 312.5, oy: 0, right: 687.5, sx: 0.78125, sy: 0.78125 });
  assert.deepEqual(boxOnCanvas(fit, [480, 640, 0, 0]), { x: 687.5, y: 500, w: 0, h: 0 });
});

test("boxes of a frame scaled for detection land on the full picture", async () => {
  const { fitPicture, boxOnCanvas } = await overlay;
  // The detector saw 640x360 of a 1920x1080 picture shown in a 960x540 canvas.
  const fit = fitPicture(960, 540, 1920, 1080, 640, 360);
  assert.deepEqual(boxOnCanvas(fit, [320, 180, 64, 36]), { x: 480, y: 270, w: 96, h: 54 });
});

test("labels sit above their box inside the picture, never past its edges", async () => {
  const { fitPicture, labelOrigin } = await overlay;
  const fit = fitPicture(800, 800, 1280, 720, 1280, 720); // picture from y = 175 to 625
  // Room above: the label's bottom is the box's top; half the line width to the left.
  assert.deepEqual(labelOrigin(fit, { x: 100, y: 300, w: 50, h: 50 }, 60, 20, 2), { x: 99, y: 280 });
  // No room above (it would cover the letterbox bar): inside the box.
  assert.deepEqual(labelOrigin(fit, { x: 100, y: 180, w: 50, h: 50 }, 60, 20, 2), { x: 99, y: 180 });
  // At the right edge: pulled left to end at the picture's edge; at the left edge: not past it.
  assert.deepEqual(labelOrigin(fit, { x: 790, y: 300, w: 10, h: 10 }, 60, 20, 2), { x: 740, y: 280 });
  assert.deepEqual(labelOrigin(fit, { x: 0, y: 300, w: 10, h: 10 }, 60, 20, 2), { x: 0, y: 280 });
});

test("the canvas is as many device pixels as its box, at least one", async () => {
  const { canvasPixels, labelFontPx, lineWidthPx } = await overlay;
  assert.deepEqual(canvasPixels({ width: 640.4, height: 360.6 }, 2), { w: 1281, h: 721 });
  assert.deepEqual(canvasPixels({ width: 0, height: 0 }, 1), { w: 1, h: 1 });
  assert.equal(labelFontPx(1), 12);
  assert.equal(labelFontPx(0.5), 11);
  assert.equal(lineWidthPx(3), 6);
  assert.equal(lineWidthPx(0.5), 2);
});

test("labels name the class, the track and the score; colours follow the track", async () => {
  const { detectionLabel, trackColor } = await overlay;
  assert.equal(detectionLabel({ label: "person", score: 0.876, track_id: 7 }), "person #7 0.88");
  assert.equal(detectionLabel({ label: "car", score: 1 }), "car 1.00");
  assert.equal(detectionLabel({ label: "car", score: 0.5, track_id: null }), "car 0.50");
  assert.equal(detectionLabel({ label: "car", score: 0.5, track_id: 0 }), "car #0 0.50");
  assert.equal(trackColor(undefined), "#ffd23f");
  assert.equal(trackColor(null), "#ffd23f");
  assert.equal(trackColor(6), "hsl(42 90% 58%)"); // 6 * 67 = 402 degrees
  assert.notEqual(trackColor(1), trackColor(2));
});
