// The WebSocket fallback for frames, server side: the same 32-byte-header chunks as binary /ws
// messages and sequence-start/-end as text /ws messages go through the same assembler and decoder
// as the DataChannel's, with the same receipt, errors and counters; a chunk above max_chunk_bytes
// is refused (fatal) while the server stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, getJson, repoRoot, buildDir } from '../lib/sueo-server.mjs';
import { makeChunks } from '../../web/protocol.js';
import { WsClient } from './ws-client.mjs';

let server;

// Real JPEG frames of a committed KSL clip (tests/data/NOTICE), made at test time.
function clipFrames(count) {
  const dir = join(buildDir, 'test-frames', 'c01_hi_s11');
  if (!existsSync(join(dir, `f${String(count).padStart(3, '0')}.jpg`))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(repoRoot, 'tests/data/clips/c01_hi_s11_f8e48f6c.mp4'),
      '-vf', 'scale=640:480', '-q:v', '5', '-frames:v', String(count), join(dir, 'f%03d.jpg')]);
  }
  return readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, count).map((f) => readFileSync(join(dir, f)));
}

const health = async () => (await getJson(server.url + 'healthz')).body;

before(async () => { server = await startServer(['--model', '', '--max-chunk-bytes', '16384']); });
after(async () => assert.equal(await server.stop(), 0, 'server exits cleanly'));

test('a sequence of real JPEG frames over /ws arrives whole and gets its receipt', async () => {
  const frames = clipFrames(12);
  const before = await health();
  const ws = await WsClient.connect(server.wsUrl);
  const welcome = await ws.type('welcome');
  assert.equal(welcome.config.max_chunk_bytes, 16384);
  assert.equal(typeof welcome.config.datachannel_timeout_ms, 'number');
  ws.send({ type: 'sequence-start', seq: 5, frames: frames.length, fps: 15, width: 640, height: 480, t_start: Date.now() });
  frames.forEach((jpeg, index) => {
    const chunks = makeChunks(5, index, Date.now(), new Uint8Array(jpeg), 16384);
    if (index % 2) chunks.reverse();  // any chunk order within a frame
    for (const c of chunks) ws.ws.send(c);
  });
  ws.send({ type: 'sequence-end', seq: 5, frames: frames.length, t_last_sent: Date.now() });
  const receipt = await ws.type('receipt', 10000);
  assert.equal(receipt.seq, 5);
  assert.equal(receipt.frames.received, frames.length);
  assert.equal(receipt.frames.decoded, frames.length);
  assert.equal(Object.values(receipt.frames.dropped).reduce((a, b) => a + b, 0), 0);
  assert.equal(receipt.bytes, frames.reduce((n, f) => n + f.length, 0));
  assert.deepEqual(ws.messages.filter((m) => m.type === 'error'), []);
  await ws.close();
  const after = await health();
  assert.ok(after.counters['chunks.via_websocket'] >= before.counters['chunks.via_websocket'] + frames.length);
  assert.equal(after.counters['sessions.websocket_frames'], before.counters['sessions.websocket_frames'] + 1);
});

test('bad chunks on /ws are dropped and counted like the DataChannel\'s; an oversized one is fatal', async () => {
  const [jpeg] = clipFrames(1);
  const before = await health();
  const ws = await WsClient.connect(server.wsUrl);
  await ws.type('welcome');
  ws.ws.send(new Uint8Array([1, 2, 3]));
  await ws.error('bad_chunk');
  ws.send({ type: 'sequence-end', seq: 77 });
  await ws.error('sequence_error');
  ws.send({ type: 'sequence-start', seq: 6, frames: 2 });  // fields missing: refused like on the channel
  await ws.error('bad_message');
  ws.send({ type: 'sequence-start', seq: 6, frames: 2, fps: 15, width: 640, height: 480, t_start: Date.now() });
  for (const c of makeChunks(6, 0, 1, new Uint8Array(jpeg), 16384)) ws.ws.send(c);
  for (const c of makeChunks(6, 9, 1, new Uint8Array(jpeg), 16384)) ws.ws.send(c);  // out_of_range
  ws.send({ type: 'sequence-end', seq: 6, frames: 1 });
  const receipt = await ws.type('receipt', 10000);
  assert.equal(receipt.frames.decoded, 1);
  assert.equal(receipt.frames.dropped.out_of_range, 1);
  ws.ws.send(new Uint8Array(16385));
  const tooLarge = await ws.error('message_too_large');
  assert.equal(tooLarge.fatal, true);
  await ws.closed;
  const after = await health();
  assert.ok(after.errors.bad_chunk > (before.errors.bad_chunk ?? 0));
  assert.ok(after.errors.message_too_large > (before.errors.message_too_large ?? 0));
  assert.equal(after.status, 'ok');
});
