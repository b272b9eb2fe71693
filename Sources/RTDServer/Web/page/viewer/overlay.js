// Where detection boxes and their labels go on the overlay canvas. The picture is shown with
// object-fit: contain, so it is letterboxed (bars above and below) or pillarboxed (bars left and
// right) inside the canvas; boxes are in the pixels of the frame the detector saw.

export const trackColor = (id) => (id === undefined || id === null ? "#ffd23f" : `hsl(${(id * 67) % 360} 90% 58%)`);

export const detectionLabel = (d) =>
  `${d.label}${d.track_id !== undefined && d.track_id !== null ? " #" + d.track_id : ""} ${Number(d.score).toFixed(2)}`;

// The canvas's backing store for a CSS box of `rect` on a screen of `dpr` device pixels per CSS pixel.
export const canvasPixels = (rect, dpr) =>
  ({ w: Math.max(1, Math.round(rect.width * dpr)), h: Math.max(1, Math.round(rect.height * dpr)) });

export const labelFontPx = (dpr) => Math.max(11, Math.round(12 * dpr));
export const lineWidthPx = (dpr) => Math.max(2, 2 * dpr);

// A mediaW x mediaH picture fitted into a w x h canvas: its origin (ox, oy), its right edge, and
// the scale from the record's frame pixels (frameW x frameH) to canvas pixels (the two differ
// only if the frame was scaled for detection).
export function fitPicture(w, h, mediaW, mediaH, frameW, frameH) {
  const scale = Math.min(w / mediaW, h / mediaH);
  const ox = (w - mediaW * scale) / 2, oy = (h - mediaH * scale) / 2;
  return { ox, oy, right: ox + mediaW * scale, sx: scale * mediaW / frameW, sy: scale * mediaH / frameH };
}

// A detection's [x, y, width, height] in frame pixels, on the canvas.
export function boxOnCanvas(fit, [bx, by, bw, bh]) {
  return { x: fit.ox + bx * fit.sx, y: fit.oy + by * fit.sy, w: bw * fit.sx, h: bh * fit.sy };
}

// A tw x th label: above its box when that is inside the picture, else just inside the box's
// top; never past the picture's left or right edge.
export function labelOrigin(fit, box, tw, th, lineWidth) {
  const y = box.y - th >= fit.oy ? box.y - th : box.y;
  const x = Math.max(fit.ox, Math.min(box.x - lineWidth / 2, fit.right - tw));
  return { x, y };
}
