// One recognition sequence: take frames on a timer at the configured rate, encode, send, end the
// sequence, wait for the server's receipt, and work out the timings.
import { FrameGrabber } from './capture.js';
import { chunkLimit, newSequenceId } from './protocol.js';
import { SequenceSender } from './sender.js';
import { pageNow } from './clock.js';

// How long after sequence-end the receipt may take: the server decodes every frame first.
const RECEIPT_TIMEOUT_MS = 15000;

export class SequenceRun {
  // conn: an open Connection; video: the camera's <video>; options: {fps, width, height, quality,
  // seconds, detail, maxFrames} (the server's welcome config, possibly overridden).
  constructor(conn, video, options) {
    this.conn = conn;
    this.options = options;
    this.grabber = new FrameGrabber(video, options.width, options.height, options.quality);
    // The server refuses a sequence longer than its max_sequence_frames.
    const planned = Math.max(1, Math.min(Math.round(options.fps * options.seconds), options.maxFrames ?? Infinity));
    const sctpMax = conn.maxMessageSize;  // the DataChannel's SCTP limit, or 64 KiB on /ws
    this.chunkBytes = chunkLimit(sctpMax, conn.welcome?.config?.max_chunk_bytes);
    this.sender = new SequenceSender(conn.dc, {
      seq: newSequenceId(), frames: planned, fps: options.fps,
      width: this.grabber.width, height: this.grabber.height, detail: !!options.detail,
    }, this.chunkBytes);
    this.planned = planned;
    this.ticks = 0;
    this.encodeSkipped = 0;
    this.stopped = false;
    this.submitChain = Promise.resolve();  // keeps frames in capture order
    this.timer = null;
  }

  get seq() { return this.sender.info.seq; }

  // Resolves with {receipt, page, timings} once the receipt has arrived. waitForReceipt(seq, tStart)
  // is called once sequence-end is sent.
  async run(waitForReceipt) {
    await this.capture();
    await this.submitChain;
    const summary = await this.sender.end();
    if (summary.tStart === null) throw new Error('no frame could be sent');
    const receipt = await withTimeout(waitForReceipt(this.seq, summary.tStart), RECEIPT_TIMEOUT_MS, 'receipt');
    return { receipt, page: this.pageStats(summary), timings: this.timings(summary, receipt) };
  }

  stop() {
    this.stopped = true;
  }

  // Ticks on a schedule of absolute deadlines (start + n·interval) so timer lateness does not add up.
  capture() {
    const interval = 1000 / this.options.fps;
    const start = pageNow();
    return new Promise((resolve) => {
      const tick = () => {
        if (this.stopped || this.ticks >= this.planned) {
          resolve();
          return;
        }
        this.ticks += 1;
        this.takeFrame();
        if (this.ticks >= this.planned) {
          // The last frame is taken: end now, not one frame interval later, or sequence-end (and so the
          // word) would wait for a tick that takes no frame.
          resolve();
          return;
        }
        const next = start + this.ticks * interval;
        this.timer = setTimeout(tick, Math.max(0, next - pageNow()));
      };
      tick();
    });
  }

  takeFrame() {
    const encoding = this.grabber.grab();
    if (!encoding) {
      this.encodeSkipped += 1;
      return;
    }
    this.submitChain = this.submitChain
      .then(() => encoding)
      .then((frame) => { this.sender.submit(frame.bytes, frame.captureTime); })
      .catch(() => { this.encodeSkipped += 1; });
  }

  pageStats(summary) {
    const encode = this.grabber.encodeMs.slice().sort((a, b) => a - b);
    return {
      ...summary,
      ticks: this.ticks,
      encodeSkipped: this.encodeSkipped,
      sendSkipped: summary.skipped,
      chunkBytes: this.chunkBytes,
      width: this.grabber.width,
      height: this.grabber.height,
      encodeMsMedian: encode.length ? encode[Math.floor(encode.length / 2)] : null,
      lastChunkSent: this.sender.lastChunkSent,
      captureTimes: this.sender.captureTimes,
    };
  }

  // T_receive is on the server clock: bring it to the page clock with the measured offset.
  timings(summary, receipt) {
    const clock = this.conn.clock.best();
    const offset = clock ? clock.offset : null;
    const tReceive = typeof receipt.t_receive === 'number' ? receipt.t_receive : null;
    const tReceivePage = tReceive !== null && offset !== null ? tReceive - offset : null;
    return {
      tStart: summary.tStart,
      tLastSent: summary.tLastSent,
      tReceive,
      offset,
      offsetDelay: clock ? clock.delay : null,
      transferMs: tReceivePage !== null ? tReceivePage - summary.tStart : null,
      lastFrameMs: tReceivePage !== null ? tReceivePage - summary.tLastSent : null,
    };
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} in ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
