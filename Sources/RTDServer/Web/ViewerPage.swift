import RTDMedia
import RTDDetection
/// The browser viewer, embedded in the binary: plain HTML, CSS (ViewerStyle) and JavaScript
/// (ViewerScript), no build step and nothing loaded from elsewhere.
enum ViewerPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="dark">
<title>rtd viewer</title>
<link rel="stylesheet" href="viewer.css">
</head>
<body>
<header>
  <strong class="brand">rtd</strong>
  <label class="picker">Camera <select id="camera" aria-label="Camera"></select></label>
  <button id="grid-toggle" type="button" aria-pressed="false" title="Show every camera">Grid</button>
  <label class="toggle" title="Draw detections over the video"><input id="overlay-toggle" type="checkbox" checked> Boxes</label>
  <button id="fullscreen" type="button" title="Full screen">Full screen</button>
  <span class="spacer"></span>
  <span id="transport" class="badge">—</span>
  <span id="state" class="badge state" role="status" aria-live="polite">starting…</span>
</header>
<div id="error" class="error" role="alert" hidden><span id="error-text"></span><button id="error-close" type="button" aria-label="Dismiss">×</button></div>
<main>
  <section id="single" class="single">
    <div id="stage" class="tile main" data-transport="none">
      <video id="video" autoplay muted playsinline></video>
      <canvas id="frame" class="frame"></canvas>
      <canvas id="overlay" class="overlay"></canvas>
      <div id="demo-banner" class="demo-banner" hidden>Offline demo — not connected to a server</div>
    </div>
    <aside id="stats" class="stats" aria-label="Live statistics">
      <dl>
        <dt>Camera</dt><dd id="s-camera">—</dd>
        <dt>Resolution</dt><dd id="s-res">—</dd>
        <dt>Frame rate</dt><dd id="s-fps">—</dd>
        <dt>Bitrate</dt><dd id="s-bitrate">—</dd>
        <dt>Latency</dt><dd id="s-latency" title="Capture to screen (server and browser clocks)">—</dd>
        <dt>Round trip</dt><dd id="s-rtt">—</dd>
        <dt>Codec</dt><dd id="s-codec">—</dd>
        <dt>Overlay sync</dt><dd id="s-sync" title="Frames whose boxes are from that very frame">—</dd>
        <dt>Detector</dt><dd id="s-detector">—</dd>
      </dl>
    </aside>
  </section>
  <section id="grid" class="grid" hidden></section>
</main>
<template id="tile-template">
  <div class="tile" data-transport="none" tabindex="0" role="button">
    <video autoplay muted playsinline></video>
    <canvas class="frame"></canvas>
    <canvas class="overlay"></canvas>
    <div class="caption"><span class="name"></span><span class="tile-state"></span></div>
  </div>
</template>
<noscript><p class="noscript">The rtd viewer needs JavaScript.</p></noscript>
<script src="viewer.js"></script>
</body>
</html>
"""#
}
