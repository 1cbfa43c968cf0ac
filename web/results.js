// The server's recognition results (docs/protocol.md §4) turned into what the page shows: the three
// latencies and a bounded history. No DOM here, so Node can import it too (tests/browser/).

export const HISTORY_LENGTH = 20;

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

// The three latencies of §4, in ms:
//   total    T_end − T_start                 (both page clock)
//   transfer T_receive − offset − T_start    (T_receive on the server clock, brought to the page's)
//   server   T_inference − T_receive         (both server clock: no offset needed)
// tStart: page clock of the sequence's first frame; tEnd: page clock when the result arrived;
// offset: server clock − page clock (null before the first pong).
export function latencies(result, { tStart, tEnd, offset }) {
  const tReceive = num(result.t_receive);
  const tInference = num(result.t_inference);
  const start = num(tStart);
  const end = num(tEnd);
  const off = num(offset);
  return {
    totalMs: start !== null && end !== null ? end - start : null,
    transferMs: start !== null && tReceive !== null && off !== null ? tReceive - off - start : null,
    serverMs: tReceive !== null && tInference !== null ? tInference - tReceive : null,
  };
}

// One history entry: the result message as the server sent it plus the page's timings.
export function makeEntry(result, times) {
  return {
    ...result,
    tStart: num(times.tStart),
    tEnd: num(times.tEnd),
    offset: num(times.offset),
    ...latencies(result, times),
  };
}

// The last HISTORY_LENGTH entries, oldest first.
export class ResultHistory {
  constructor(limit = HISTORY_LENGTH) {
    this.limit = limit;
    this.entries = [];
  }

  add(entry) {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return entry;
  }

  get last() {
    return this.entries.length ? this.entries[this.entries.length - 1] : null;
  }
}
