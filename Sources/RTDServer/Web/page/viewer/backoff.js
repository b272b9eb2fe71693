// Reconnection: exponential backoff with ±20 % jitter, so that many viewers of a restarted server
// do not all come back in the same instant.
export const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

// The wait after `failures` attempts in a row that brought no media; `random` is in [0, 1).
export function reconnectDelay(failures, random) {
  const base = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
  return Math.round(base * (0.8 + 0.4 * random));
}

// On the WebSocket fallback WebRTC is tried again after these waits (the last one repeats), ±20 %:
// soon after a short outage, and at most every 15 s while UDP stays blocked.
export const UPGRADE_MS = [2000, 4000, 8000, 15000];

export function upgradeDelay(attempt, random) {
  const base = UPGRADE_MS[Math.min(attempt, UPGRADE_MS.length - 1)];
  return Math.round(base * (0.8 + 0.4 * random));
}
