// The page clock and its offset to the server clock (docs/protocol.md §1 "Clock offset").

// Milliseconds since the Unix epoch, monotonic within the page. performance.timeOrigin is missing in
// some older WebKit builds: fall back to the epoch time of performance.now()'s zero, taken once.
const origin = (typeof performance.timeOrigin === 'number' && performance.timeOrigin > 0)
  ? performance.timeOrigin
  : Date.now() - performance.now();

export function pageNow() {
  return origin + performance.now();
}

export const PINGS_ON_CONNECT = 8;
export const PING_INTERVAL_MS = 5000;
const WINDOW = 8;

// Keeps the last 8 ping samples and answers with the offset of the one with the smallest round-trip
// delay: that sample's two one-way trips were the most alike, so its offset is the least skewed.
export class ClockOffset {
  constructor() {
    this.samples = [];
  }

  // t0: page send, t1: server receive, t2: server send, t3: page receive.
  addSample(t0, t1, t2, t3) {
    const offset = ((t1 - t0) + (t2 - t3)) / 2;
    const delay = (t3 - t0) - (t2 - t1);
    if (![offset, delay].every(Number.isFinite)) return null;
    const sample = { offset, delay, at: t3 };
    this.samples.push(sample);
    if (this.samples.length > WINDOW) this.samples.shift();
    return sample;
  }

  // The best current estimate, or null before the first pong: { offset, delay, samples }.
  best() {
    if (this.samples.length === 0) return null;
    let best = this.samples[0];
    for (const s of this.samples) if (s.delay < best.delay) best = s;
    return { offset: best.offset, delay: best.delay, samples: this.samples.length };
  }

  // Server clock time → page clock time.
  toPage(serverTime) {
    const b = this.best();
    return b ? serverTime - b.offset : null;
  }
}
