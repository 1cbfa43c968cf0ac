// Sends the frames of one sequence over the DataChannel (or, in the fallback, over /ws through
// connection.js's SocketFrames, which offers the same calls) with bounded buffering
// (docs/protocol.md §2): chunks are queued only while bufferedAmount ≤ 1 MiB, sending resumes on
// `bufferedamountlow` (threshold 256 KiB), and a frame that waited behind a full buffer for more than
// one frame interval is skipped and counted. At most one frame waits, so memory stays bounded.
import { makeChunks, sequenceStart, sequenceEnd } from './protocol.js';
import { pageNow } from './clock.js';

export const LOW_WATER_BYTES = 256 * 1024;
export const HIGH_WATER_BYTES = 1024 * 1024;

export class SequenceSender {
  // dc: open RTCDataChannel or SocketFrames; info: {seq, frames (planned), fps, width, height, detail};
  // chunkBytes: message size limit.
  constructor(dc, info, chunkBytes) {
    this.dc = dc;
    this.info = info;
    this.chunkBytes = chunkBytes;
    this.intervalMs = 1000 / info.fps;
    this.current = null;        // {chunks, next, index}
    this.waiting = null;        // the one frame waiting for the buffer: {bytes, captureTime, readyAt}
    this.sent = 0;              // frames whose every chunk went to dc.send
    this.skipped = 0;           // frames skipped for a full buffer
    this.bytesSent = 0;         // chunk messages, headers included
    this.jpegBytes = 0;         // the JPEGs of the frames sent
    this.tStart = null;
    this.tLastSent = null;
    this.lastChunkSent = [];    // page clock per frame index: the frame's last chunk handed to send()
    this.captureTimes = [];
    this.ended = false;
    this.drainWaiters = [];
    this.onLow = () => this.pump();
    dc.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    dc.addEventListener('bufferedamountlow', this.onLow);
    dc.addEventListener('close', this.onLow);  // a closed channel ends any wait in end()
  }

  // Hands over one encoded frame (Uint8Array). Returns false when the sequence has ended.
  submit(bytes, captureTime) {
    if (this.ended) return false;
    if (this.waiting) this.skipped += 1;  // the newer frame replaces one that never got a turn
    this.waiting = { bytes, captureTime, readyAt: pageNow() };
    this.pump();
    return true;
  }

  startFrame(frame) {
    if (this.tStart === null) {
      // T_start: the first frame is sent right after this message, on an ordered channel.
      this.tStart = pageNow();
      const { seq, frames, fps, width, height, detail, mode } = this.info;
      this.dc.send(sequenceStart({ seq, frames, fps, width, height, tStart: this.tStart, detail, mode }));
    }
    const index = this.sent;
    this.captureTimes[index] = frame.captureTime;
    this.current = {
      chunks: makeChunks(this.info.seq, index, frame.captureTime, frame.bytes, this.chunkBytes),
      next: 0,
      index,
      bytes: frame.bytes.byteLength,
    };
  }

  pump() {
    if (this.dc.readyState !== 'open') {
      this.current = null;
      this.waiting = null;
    }
    while (this.current || this.waiting) {
      if (!this.current) {
        const frame = this.waiting;
        this.waiting = null;
        // Stale: it sat behind a full buffer for more than a frame interval.
        if (pageNow() - frame.readyAt > this.intervalMs || this.sent >= this.info.frames) {
          this.skipped += 1;
          continue;
        }
        this.startFrame(frame);
      }
      if (this.dc.bufferedAmount > HIGH_WATER_BYTES) return;  // resumes on bufferedamountlow
      const chunk = this.current.chunks[this.current.next];
      this.dc.send(chunk);
      this.bytesSent += chunk.byteLength;
      this.current.next += 1;
      if (this.current.next === this.current.chunks.length) {
        this.tLastSent = pageNow();
        this.lastChunkSent[this.current.index] = this.tLastSent;
        this.sent += 1;
        this.jpegBytes += this.current.bytes;
        this.current = null;
      }
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  // Waits until the frame in flight and the waiting one are sent, then sends sequence-end (with
  // `final: false` when a live sequence continues in the next one).
  // Returns {frames sent, tStart, tLastSent}; tStart is null when no frame was sent (then no
  // sequence-start went out and no sequence-end is sent either).
  async end({ final = true } = {}) {
    if (this.ended) return this.summary();
    this.ended = true;
    if (this.current || this.waiting) {
      await new Promise((resolve) => {
        this.drainWaiters.push(resolve);
        this.pump();
      });
    }
    this.dc.removeEventListener('bufferedamountlow', this.onLow);
    this.dc.removeEventListener('close', this.onLow);
    if (this.tStart !== null && this.dc.readyState === 'open') {
      this.dc.send(sequenceEnd({ seq: this.info.seq, frames: this.sent, tLastSent: this.tLastSent, final }));
    }
    return this.summary();
  }

  summary() {
    return {
      seq: this.info.seq, planned: this.info.frames, sent: this.sent, skipped: this.skipped,
      bytesSent: this.bytesSent, jpegBytes: this.jpegBytes, tStart: this.tStart, tLastSent: this.tLastSent,
    };
  }
}
