// The offline demo's synthetic scene: three shapes bouncing over a grid, with the detection
// record a detector would make of them. The page draws; this only says where things are.

export const DEMO_WIDTH = 640, DEMO_HEIGHT = 360;
const TOP = 100; // below the banner, labels included
const CAPTION = 28; // room for the caption at the bottom

export const DEMO_SHAPES = [
  { label: "square", track: 1, w: 70, h: 70, fx: 0.35, fy: 0.13, px: 0, py: 0.2, color: "#d8a040" },
  { label: "disc", track: 2, w: 80, h: 80, fx: 0.23, fy: 0.31, px: 0.5, py: 0, color: "#50a0e0" },
  { label: "bar", track: 3, w: 52, h: 120, fx: 0.11, fy: 0.4, px: 1.4, py: 1.2, color: "#e0e0e0" },
];

// A triangle wave of period 2 between 0 and 1.
export const tri = (u) => { const m = ((u % 2) + 2) % 2; return m < 1 ? m : 2 - m; };

// The shapes' detections at `t` seconds (one per shape, in DEMO_SHAPES order).
export function demoDetections(t, width = DEMO_WIDTH, height = DEMO_HEIGHT) {
  return DEMO_SHAPES.map((s, i) => {
    const x = Math.round(tri(t * s.fx + s.px) * (width - s.w));
    const y = TOP + Math.round(tri(t * s.fy + s.py) * (height - TOP - s.h - CAPTION));
    return { label: s.label, score: 0.9 - 0.05 * i, box: [x, y, s.w, s.h], track_id: s.track };
  });
}
