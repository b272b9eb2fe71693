// Round trips of pings over the data channel or the WebSocket: a bounded table of send times.
export class Pings {
  constructor(limit = 10) {
    this.sentAt = new Map();
    this.limit = limit;
  }

  // Ping `id` went out at `now`; the oldest unanswered one is forgotten beyond `limit`.
  sent(id, now) {
    this.sentAt.set(id, now);
    if (this.sentAt.size > this.limit) this.sentAt.delete(this.sentAt.keys().next().value);
  }

  // The round trip of the ping a pong with `id` answers; null for an id not (or no longer) known.
  answered(id, now) {
    if (!this.sentAt.has(id)) return null;
    const rtt = now - this.sentAt.get(id);
    this.sentAt.delete(id);
    return rtt;
  }
}
