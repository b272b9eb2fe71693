// Reconnection: exponential backoff with ±20 % jitter, so that many viewers of a restarted server
// do not all come back in the same instant.
export const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

// The wait after `failures` attempts in a row that brought no media; `random` is in [0, 1).
export function reconnectDelay(failures, random) {
  const base = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
  return Math.round(base * (0.8 + 0.4 * random));
}
