/// The viewer's stylesheet: one column on a phone, video and statistics side by side on a
/// laptop; the overlay canvas always covers its video exactly.
enum ViewerStyle {
    static let css = #"""
:root { --bg: #101214; --panel: #1a1d21; --line: #2a2f36; --text: #e3e6ea; --dim: #9aa3ad; --accent: #4fb3ff;
        --ok: #3ecf8e; --warn: #f5b942; --bad: #ff6b6b; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; background: var(--bg);
       color: var(--text); display: flex; flex-direction: column; }
header { display: flex; flex-wrap: wrap; gap: .5rem .75rem; align-items: center; padding: .5rem max(.75rem, env(safe-area-inset-left));
         background: var(--panel); border-bottom: 1px solid var(--line); }
.brand { font-size: 1.1rem; letter-spacing: .05em; color: var(--accent); }
.spacer { flex: 1; }
button, select { font: inherit; color: var(--text); background: #252a30; border: 1px solid var(--line); border-radius: 6px;
                 padding: .3rem .6rem; min-height: 2rem; }
button:hover, select:hover { border-color: var(--accent); }
button[aria-pressed="true"] { background: #1f3b52; border-color: var(--accent); }
.picker, .toggle { display: inline-flex; gap: .35rem; align-items: center; color: var(--dim); }
.badge { padding: .15rem .55rem; border-radius: 999px; background: #252a30; color: var(--dim); font-size: .85rem; white-space: nowrap; }
.state[data-kind="ok"] { background: #123826; color: var(--ok); }
.state[data-kind="wait"] { background: #3a2f12; color: var(--warn); }
.state[data-kind="bad"] { background: #3d1717; color: var(--bad); }
.error { display: flex; gap: .75rem; align-items: flex-start; margin: .5rem .75rem 0; padding: .5rem .75rem; border-radius: 6px;
         background: #3d1717; color: #ffd6d6; border: 1px solid #6b2626; }
.error[hidden] { display: none; }
.error span { flex: 1; overflow-wrap: anywhere; }
.error button { background: transparent; border: 0; color: inherit; font-size: 1.2rem; line-height: 1; min-height: 0; padding: 0 .25rem; }
main { flex: 1; min-height: 0; padding: .75rem; }
.single { display: grid; gap: .75rem; grid-template-columns: minmax(0, 1fr) 15rem; align-items: start; }
.single[hidden], .grid[hidden] { display: none; }
.tile { position: relative; background: #000; border-radius: 8px; overflow: hidden; aspect-ratio: var(--ar, 16 / 9); width: 100%; }
.tile.main { max-height: calc(100vh - 6.5rem); max-height: calc(100dvh - 6.5rem); }
.tile video, .tile canvas { position: absolute; inset: 0; width: 100%; height: 100%; }
.tile video, .tile canvas.frame { object-fit: contain; }
.tile canvas.overlay { pointer-events: none; }
.tile[data-transport="webrtc"] canvas.frame, .tile[data-transport="none"] canvas.frame { visibility: hidden; }
.tile[data-transport="ws"] video, .tile[data-transport="demo"] video { visibility: hidden; }
.tile:fullscreen { border-radius: 0; max-height: none; aspect-ratio: auto; }
.demo-banner { position: absolute; left: 50%; top: .75rem; transform: translateX(-50%); padding: .35rem .9rem; border-radius: 6px;
               background: rgba(245, 185, 66, .92); color: #1b1400; font-weight: 700; text-align: center; max-width: calc(100% - 1.5rem); }
.demo-banner[hidden] { display: none; }
.stats { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
.stats dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: .25rem .75rem; }
.stats dt { color: var(--dim); }
.stats dd { margin: 0; font-variant-numeric: tabular-nums; text-align: right; overflow-wrap: anywhere; }
.grid { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 20rem), 1fr)); }
.grid .tile { cursor: pointer; outline: none; }
.grid .tile:focus-visible { box-shadow: 0 0 0 2px var(--accent); }
.caption { position: absolute; left: 0; right: 0; bottom: 0; display: flex; justify-content: space-between; gap: .5rem;
           padding: .3rem .6rem; background: linear-gradient(transparent, rgba(0, 0, 0, .75)); font-size: .85rem; }
.caption .tile-state { color: var(--dim); }
.noscript { padding: 1rem; }
@media (max-width: 760px) {
  header { gap: .4rem .5rem; padding: .4rem .5rem; }
  .spacer { display: none; }
  main { padding: .5rem; }
  .single { grid-template-columns: minmax(0, 1fr); }
  .tile.main { max-height: 60vh; max-height: 60dvh; }
  .stats dl { grid-template-columns: auto 1fr auto 1fr; font-size: .85rem; }
}
"""#
}
