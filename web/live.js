// Live mode (docs/protocol.md §4): frames go to the server without a fixed window, as consecutive
// live sequences of at most `partFrames` frames (the server sees one unbroken stream across them),
// and the server sends a `word` message as each sign ends. Stop ends the last sequence with
// `final: true`; the server then cuts a sign still going on and sends the run's result.
import { FrameGrabber } from './capture.js';
import { chunkLimit, newSequenceId } from './protocol.js';
import { SequenceSender } from './sender.js';
import { pageNow } from './clock.js';

// One live sequence holds up to this many seconds of frames (and never more than the server's
// max_sequence_frames): the receipt of each part shows the stream is healthy.
const PART_SECONDS = 20;

export class LiveRun {
  // conn: an open Connection; video: the camera's <video>; options: {fps, width, height, quality,
  // maxFrames} (the welcome config, possibly overridden).
  constructor(conn, video, options) {
    this.conn = conn;
    this.options = options;
    this.grabber = new FrameGrabber(video, options.width, options.height, options.quality);
    this.partFrames = Math.max(1, Math.min(Math.round(options.fps * PART_SECONDS), options.maxFrames ?? Infinity));
    const sctpMax = conn.maxMessageSize;  // the DataChannel's SCTP limit, or 64 KiB on /ws
    this.chunkBytes = chunkLimit(sctpMax, conn.welcome?.config?.max_chunk_bytes);
    this.sender = null;        // the current part
    this.submitted = 0;        // frames handed to the current part
    this.parts = [];           // seq of every part, in order
    this.sent = 0;             // frames sent over the run
    this.encodeSkipped = 0;
    this.stopped = false;
    this.chain = Promise.resolve();  // frames and part changes, in capture order
    this.timer = null;
    this.tStart = null;
  }

  get seq() { return this.sender ? this.sender.info.seq : null; }

  // Streams until stop(). Resolves with {parts, sent, seq (the final part), tStart} once the final
  // sequence-end has been sent.
  async run() {
    await this.capture();
    await this.chain;
    if (this.sender) {
      const summary = await this.sender.end({ final: true });
      this.sent += summary.sent;
    }
    return { parts: this.parts.slice(), sent: this.sent, seq: this.seq, tStart: this.tStart,
      encodeSkipped: this.encodeSkipped };
  }

  stop() {
    this.stopped = true;
    if (this.wake) this.wake();
  }

  newPart() {
    this.sender = new SequenceSender(this.conn.dc, {
      seq: newSequenceId(), frames: this.partFrames, fps: this.options.fps,
      width: this.grabber.width, height: this.grabber.height, mode: 'live',
    }, this.chunkBytes);
    this.submitted = 0;
    this.parts.push(this.sender.info.seq);
  }

  // A full part is ended (final: false) before the next frame starts the next one: the channel is
  // ordered, so the server sees sequence-end, then the new sequence-start.
  async submit(frame) {
    if (this.sender && this.submitted >= this.partFrames) {
      const summary = await this.sender.end({ final: false });
      this.sent += summary.sent;
      this.sender = null;
    }
    if (!this.sender) this.newPart();
    this.submitted += 1;
    this.sender.submit(frame.bytes, frame.captureTime);
    if (this.tStart === null) this.tStart = this.sender.tStart;
  }

  // Ticks on a schedule of absolute deadlines (start + n·interval) so timer lateness does not add up.
  capture() {
    const interval = 1000 / this.options.fps;
    const start = pageNow();
    let ticks = 0;
    return new Promise((resolve) => {
      this.wake = () => {
        clearTimeout(this.timer);
        resolve();
      };
      const tick = () => {
        if (this.stopped || this.conn.dc?.readyState !== 'open') {
          resolve();
          return;
        }
        ticks += 1;
        const encoding = this.grabber.grab();
        if (!encoding) {
          this.encodeSkipped += 1;
        } else {
          this.chain = this.chain
            .then(() => encoding)
            .then((frame) => this.submit(frame))
            .catch(() => { this.encodeSkipped += 1; });
        }
        this.timer = setTimeout(tick, Math.max(0, start + ticks * interval - pageNow()));
      };
      tick();
    });
  }
}
