// The page's protocol module (web/protocol.js) and clock offset (web/clock.js) on real JPEGs cut from
// a KSL clip: header bytes at the offsets docs/protocol.md §2 names, big-endian, chunks that
// reassemble to the same bytes, and the NTP offset formula. Runs in Node: the modules have no DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  makeChunks, parseHeader, chunkLimit, sequenceStart, sequenceEnd, HEADER_BYTES,
} from '../../web/protocol.js';
import { ClockOffset } from '../../web/clock.js';
import { DEFAULT_CLIP, tempDir } from './harness.mjs';

function realJpegs(count) {
  const dir = tempDir('sueo-jpeg-');
  try {
    execFileSync('ffmpeg', ['-v', 'error', '-i', DEFAULT_CLIP, '-frames:v', String(count), '-q:v', '3',
      path.join(dir, 'f%02d.jpg')]);
    return readdirSync(dir).sort().map((f) => new Uint8Array(readFileSync(path.join(dir, f))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Big-endian reads written out by hand, so a DataView endianness slip in the module cannot hide.
const be16 = (b, o) => (b[o] << 8) | b[o + 1];
const be32 = (b, o) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];

test('chunk headers follow protocol v1 byte for byte', () => {
  const [jpeg] = realJpegs(1);
  assert.ok(jpeg.length > 10000, 'a real 640x360 JPEG');
  const limit = 16384;
  const chunks = makeChunks(0xdeadbeef, 7, 1764136000123.25, jpeg, limit);
  const payload = limit - HEADER_BYTES;
  assert.equal(chunks.length, Math.ceil(jpeg.length / payload));
  chunks.forEach((buffer, i) => {
    const b = new Uint8Array(buffer);
    assert.ok(b.length <= limit);
    assert.equal(b[0], 1, 'version');
    assert.equal(b[1], 1, 'kind');
    assert.equal(be16(b, 2), 32, 'header_bytes');
    assert.equal(be32(b, 4), 0xdeadbeef, 'seq');
    assert.equal(be32(b, 8), 7, 'frame_index');
    assert.equal(be16(b, 12), i, 'chunk_index');
    assert.equal(be16(b, 14), chunks.length, 'chunk_count');
    assert.equal(be32(b, 16), jpeg.length, 'frame_bytes');
    assert.equal(be32(b, 20), i * payload, 'chunk_offset');
    assert.equal(Buffer.from(b.subarray(24, 32)).readDoubleBE(0), 1764136000123.25, 'capture_time');
    if (i < chunks.length - 1) assert.equal(b.length, limit, 'every chunk but the last is full');
  });
});

test('chunks reassemble to the original JPEG at every allowed size', () => {
  const jpegs = realJpegs(3);
  for (const limit of [HEADER_BYTES + 1, 1200, 16384, 65536]) {
    for (const jpeg of jpegs) {
      const chunks = makeChunks(1, 0, 0, jpeg, limit);
      const whole = new Uint8Array(jpeg.length);
      let total = 0;
      for (const c of chunks) {
        const h = parseHeader(c);
        assert.equal(h.frameBytes, jpeg.length);
        whole.set(new Uint8Array(c, HEADER_BYTES), h.chunkOffset);
        total += h.payloadBytes;
      }
      assert.equal(total, jpeg.length);
      assert.deepEqual(whole, jpeg, `limit ${limit}`);
    }
  }
  assert.throws(() => makeChunks(1, 0, 0, jpegs[0], HEADER_BYTES), RangeError);
  assert.throws(() => makeChunks(1, 0, 0, new Uint8Array(0), 1000), RangeError);
});

test('chunk limit: min(sctp max, 64 KiB, server max); 16 KiB when the browser hides sctp', () => {
  assert.equal(chunkLimit(262144, undefined), 65536);
  assert.equal(chunkLimit(65536, 32768), 32768);
  assert.equal(chunkLimit(16000, 65536), 16000);
  assert.equal(chunkLimit(undefined, 65536), 16384);
  assert.equal(chunkLimit(0, undefined), 16384);
});

test('sequence control messages carry the documented fields', () => {
  const start = JSON.parse(sequenceStart({ seq: 7, frames: 150, fps: 15, width: 640, height: 480, tStart: 12.5 }));
  assert.deepEqual(start, { type: 'sequence-start', seq: 7, frames: 150, fps: 15, width: 640, height: 480, t_start: 12.5 });
  assert.equal(JSON.parse(sequenceStart({ seq: 1, frames: 1, fps: 1, width: 2, height: 2, tStart: 0, detail: true })).detail, true);
  assert.deepEqual(JSON.parse(sequenceEnd({ seq: 7, frames: 149, tLastSent: 99.5 })),
    { type: 'sequence-end', seq: 7, frames: 149, t_last_sent: 99.5 });
});

test('clock offset: NTP formula, smallest-delay sample of the last 8 wins', () => {
  const clock = new ClockOffset();
  assert.equal(clock.best(), null);
  // Server 1000 ms ahead. Symmetric 2 ms each way with 0.5 ms server time: exact.
  const s = clock.addSample(0, 1002, 1002.5, 4.5);
  assert.equal(s.offset, 1000);
  assert.equal(s.delay, 4);
  // Asymmetric and slow (10 ms out, 30 ms back): its offset is 10 ms off, but its delay is larger.
  clock.addSample(100, 1110, 1110, 140);
  assert.equal(clock.best().offset, 1000);
  assert.equal(clock.toPage(5000), 4000);
  // Eight newer slow samples push the good one out of the window.
  for (let i = 0; i < 8; i++) clock.addSample(200 + i, 1210 + i, 1210 + i, 240 + i);
  assert.equal(clock.best().samples, 8);
  assert.equal(clock.best().offset, 990);
});
