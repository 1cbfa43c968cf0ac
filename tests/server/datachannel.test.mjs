// Frames over a real WebRTC DataChannel (Chromium) into the real server: reassembly in any chunk order,
// JPEG decode, the receipt, and every kind of bad chunk, JPEG and control message — each must be
// dropped with an error and counted while the session's good frames still arrive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, getJson, repoRoot, buildDir } from '../lib/sueo-server.mjs';
import { launchChromium } from '../lib/chromium.mjs';
import { clipFrames } from '../lib/clip-frames.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let server, browser;

async function openPeer(target = server) {
  const page = await browser.newPage();
  await page.goto(target.url + 'healthz');
  await page.addScriptTag({ content: readFileSync(join(here, 'raw-peer.js'), 'utf8') });
  await page.evaluate((wsUrl) => window.rawPeer.connect(wsUrl), target.wsUrl);
  return page;
}

async function waitFor(page, predicate, arg, timeout = 15000) {
  const handle = await page.waitForFunction(predicate, arg, { timeout, polling: 20 });
  return await handle.jsonValue();
}

const receiptOf = (page, seq, timeout) => waitFor(page, (s) => window.rawPeer.messages.find((m) => m.type === 'receipt' && m.seq === s), seq, timeout);
const errorsOf = (page) => page.evaluate(() => window.rawPeer.messages.filter((m) => m.type === 'error').map((m) => m.code));
const health = async () => (await getJson(server.url + 'healthz')).body;

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (process.env.SUEO_TEST_VERBOSE) console.log(server.stderr());
  assert.equal(await server.stop(), 0, 'server exits cleanly');
});

test('a sequence of real JPEG frames arrives whole, whatever the chunk order', async () => {
  const frames = clipFrames(20);
  const page = await openPeer();
  const receipt = await page.evaluate(async (frames) => {
    const peer = window.rawPeer;
    peer.sendJson({ type: 'sequence-start', seq: 1, frames: frames.length, fps: 15, width: 640, height: 480, t_start: Date.now() });
    frames.forEach((bytes, index) => {
      const parts = peer.chunks(1, index, new Uint8Array(bytes), 4096);
      // Send each frame's chunks in a different order: reversed, rotated by the frame index.
      const order = parts.map((_, i) => (index % 2 ? parts.length - 1 - i : (i + index) % parts.length));
      order.forEach((i) => peer.send(parts[i]));
    });
    peer.sendJson({ type: 'sequence-end', seq: 1, frames: frames.length, t_last_sent: Date.now() });
  }, frames);
  const r = await receiptOf(page, 1);
  const detail = JSON.stringify({ receipt: r, errors: await page.evaluate(() => window.rawPeer.messages.filter((m) => m.type === 'error')) });
  assert.deepEqual(r.frames.expected, 20);
  assert.equal(r.frames.received, 20, detail);
  assert.equal(r.frames.decoded, 20);
  assert.equal(Object.values(r.frames.dropped).reduce((a, b) => a + b, 0), 0, JSON.stringify(r.frames.dropped));
  assert.equal(r.bytes, frames.reduce((n, f) => n + f.length, 0));
  assert.equal(r.width, 640);
  assert.equal(r.height, 480);
  assert.ok(r.t_receive > 1.6e12 && r.t_receive <= r.t_receipt, 't_receive is a server time before the receipt');
  assert.ok(r.decode_ms.median > 0 && r.decode_ms.max >= r.decode_ms.median);
  assert.deepEqual(await errorsOf(page), []);
  await page.evaluate(() => window.rawPeer.close());
  await page.close();
});

test('bad chunks, bad JPEGs and bad control messages are dropped, reported and counted', async () => {
  const [good, other] = clipFrames(2);
  const before = await health();
  const page = await openPeer();
  await page.evaluate(async ([good, other]) => {
    const peer = window.rawPeer;
    const jpeg = new Uint8Array(good);
    const seq = 7;
    peer.sendText('{"type": "sequence-start",');                         // bad_json
    peer.sendJson({ type: 'sequence-middle', seq });                     // unknown_type
    peer.sendJson({ type: 'sequence-start', seq: -1, frames: 10 });      // bad_message
    peer.start(seq, 10);
    peer.chunks(seq, 0, jpeg).forEach((m) => peer.send(m));              // frame 0: good
    peer.send(new Uint8Array([1, 2, 3]));                                // bad_chunk: too short
    peer.send(peer.chunks(seq, 1, jpeg, 16384, { version: 9 })[0]);      // bad_chunk: version
    peer.send(peer.chunks(seq, 1, jpeg, 16384, { kind: 3 })[0]);         // bad_chunk: kind
    const lying = peer.chunks(seq, 1, jpeg)[0];
    new DataView(lying.buffer).setUint16(12, 9);                         // bad_chunk: chunk index ≥ count
    peer.send(lying);
    peer.chunks(seq, 2, new TextEncoder().encode('this is not a JPEG at all')).forEach((m) => peer.send(m));  // bad_jpeg
    peer.chunks(seq, 3, jpeg.subarray(0, Math.floor(jpeg.length / 2))).forEach((m) => peer.send(m));       // bad_jpeg (truncated)
    peer.chunks(seq, 4, new Uint8Array(other)).forEach((m) => peer.send(m));                              // good
    peer.chunks(seq, 4, new Uint8Array(other)).forEach((m) => peer.send(m));                              // duplicate
    peer.chunks(seq, 12, jpeg).forEach((m) => peer.send(m));                                              // out_of_range
    peer.send(peer.chunks(seq, 5, jpeg)[0]);                                                              // incomplete
    const huge = peer.header({ seq, frame: 6, chunk: 0, count: 200, frameBytes: 64 << 20, offset: 0 });
    const big = new Uint8Array(32 + 1000); big.set(huge, 0); peer.send(big);                             // oversized
    peer.chunks(seq, 7, jpeg).forEach((m) => peer.send(m));                                               // good
    peer.sendJson({ type: 'sequence-end', seq, frames: 8 });
    peer.sendJson({ type: 'sequence-end', seq: 99 });                                                     // sequence_error
  }, [good, other]);
  const r = await receiptOf(page, 7);
  assert.equal(r.frames.expected, 8);
  assert.equal(r.frames.decoded, 3, 'frames 0, 4 and 7 decode');
  assert.equal(r.frames.received, 5, 'frames 0, 2, 3, 4 and 7 were complete');
  assert.equal(r.frames.dropped.bad_jpeg, 2);
  assert.equal(r.frames.dropped.duplicate, 1);
  assert.equal(r.frames.dropped.out_of_range, 1);
  assert.equal(r.frames.dropped.incomplete, 1);
  assert.equal(r.frames.dropped.oversized, 1);
  await waitFor(page, () => window.rawPeer.messages.some((m) => m.code === 'sequence_error'));
  const codes = await errorsOf(page);
  for (const code of ['bad_json', 'unknown_type', 'bad_message', 'bad_chunk', 'bad_jpeg', 'frame_dropped', 'sequence_error']) {
    assert.ok(codes.includes(code), `error ${code} reported; got ${codes}`);
  }
  assert.equal(codes.filter((c) => c === 'bad_chunk').length, 4);
  const after = await health();
  for (const reason of ['bad_jpeg', 'duplicate', 'out_of_range', 'incomplete', 'oversized']) {
    assert.ok(after.frames.dropped[reason] > before.frames.dropped[reason], `frames.dropped.${reason} counted`);
  }
  assert.ok(after.errors.bad_chunk >= (before.errors.bad_chunk ?? 0) + 4);

  // The session still works after all that: a clean sequence gets a clean receipt.
  await page.evaluate(([good]) => {
    const peer = window.rawPeer;
    peer.start(8, 2);
    peer.chunks(8, 0, new Uint8Array(good)).forEach((m) => peer.send(m));
    peer.chunks(8, 1, new Uint8Array(good)).forEach((m) => peer.send(m));
    peer.sendJson({ type: 'sequence-end', seq: 8, frames: 2 });
  }, [good]);
  const clean = await receiptOf(page, 8);
  assert.equal(clean.frames.decoded, 2);
  assert.equal(Object.values(clean.frames.dropped).reduce((a, b) => a + b, 0), 0);
  await page.close();
});

test('a frame left incomplete is dropped after the timeout, not held forever', async () => {
  const [good] = clipFrames(1);
  const quick = await startServer(['--frame-timeout-ms', '1000']);
  const page = await openPeer(quick);
  await page.evaluate(([good]) => {
    const peer = window.rawPeer;
    peer.start(3, 3);
    peer.send(peer.chunks(3, 0, new Uint8Array(good), 4096)[0]);
  }, [good]);
  await new Promise((r) => setTimeout(r, 2500));  // this server runs with --frame-timeout-ms 1000
  await page.evaluate(([good]) => {
    const peer = window.rawPeer;
    peer.chunks(3, 0, new Uint8Array(good), 4096).slice(1).forEach((m) => peer.send(m));  // too late
    peer.chunks(3, 1, new Uint8Array(good), 4096).forEach((m) => peer.send(m));
    peer.sendJson({ type: 'sequence-end', seq: 3, frames: 2 });
  }, [good]);
  const r = await receiptOf(page, 3);
  assert.equal(r.frames.dropped.incomplete, 1);
  assert.equal(r.frames.decoded, 1);
  await page.close();
  assert.equal(await quick.stop(), 0);
});

test('a page that disappears mid-sequence is torn down; another session is unaffected', async () => {
  const frames = clipFrames(10);
  const before = await health();
  const leaving = await openPeer();
  const staying = await openPeer();
  assert.equal((await health()).sessions.active, before.sessions.active + 2);
  await leaving.evaluate((frames) => {
    const peer = window.rawPeer;
    peer.start(1, 10);
    frames.slice(0, 5).forEach((f, i) => peer.chunks(1, i, new Uint8Array(f)).forEach((m) => peer.send(m)));
    peer.send(peer.chunks(1, 5, new Uint8Array(frames[5]))[0]);
  }, frames);
  await staying.evaluate((frames) => {
    const peer = window.rawPeer;
    peer.start(2, 10);
    frames.slice(0, 5).forEach((f, i) => peer.chunks(2, i, new Uint8Array(f)).forEach((m) => peer.send(m)));
  }, frames);
  await leaving.close();  // the page goes away without a word: the peer's SCTP association dies
  await staying.evaluate((frames) => {
    const peer = window.rawPeer;
    frames.slice(5).forEach((f, i) => peer.chunks(2, i + 5, new Uint8Array(f)).forEach((m) => peer.send(m)));
    peer.sendJson({ type: 'sequence-end', seq: 2, frames: 10 });
  }, frames);
  const r = await receiptOf(staying, 2);
  assert.equal(r.frames.decoded, 10, JSON.stringify({ receipt: r, errors: await staying.evaluate(() => window.rawPeer.messages.filter((m) => m.type === 'error')) }));
  let now = await health();
  for (let i = 0; i < 100 && now.sessions.active > before.sessions.active + 1; i++) {
    await new Promise((res) => setTimeout(res, 50));
    now = await health();
  }
  assert.equal(now.sessions.active, before.sessions.active + 1, 'the vanished page\'s session was torn down');
  assert.ok(now.counters['sequences.abandoned'] > (before.counters['sequences.abandoned'] ?? 0));
  await staying.close();
});

test('empty messages, out-of-range sequence-start fields and refused starts are answered; drops are reported', async () => {
  const [good] = clipFrames(1);
  const page = await openPeer();
  await page.evaluate(([good]) => {
    const peer = window.rawPeer;
    peer.send(new Uint8Array(0));                                            // bad_chunk (empty)
    peer.sendText('');                                                       // bad_json (empty)
    peer.start(5, 4);
    peer.chunks(5, 0, new Uint8Array(good)).forEach((m) => peer.send(m));
    peer.send(peer.chunks(5, 1, new Uint8Array(good), 4096)[0]);            // frame 1: one chunk only
    for (const fields of [{ fps: 1e9 }, { width: 1e9 }, { height: -5 }, { t_start: 'x' }, { frames: 1e12 }, { fps: undefined }]) {
      peer.start(6, 4, fields);                                              // each refused: bad_message
    }
  }, [good]);
  const codes = () => page.evaluate(() => window.rawPeer.messages.filter((m) => m.type === 'error').map((m) => m.code));
  await waitFor(page, () => window.rawPeer.messages.filter((m) => m.code === 'bad_message').length >= 6);
  const errors = await page.evaluate(() => window.rawPeer.messages.filter((m) => m.type === 'error'));
  assert.ok(errors.some((e) => e.code === 'bad_chunk' && /empty/.test(e.message)), JSON.stringify(errors));
  assert.ok(errors.some((e) => e.code === 'bad_json' && /empty/.test(e.message)), JSON.stringify(errors));
  for (const field of ['fps', 'width', 'height', 't_start', 'frames']) {
    assert.ok(errors.some((e) => e.code === 'bad_message' && e.message.includes(`"${field}"`)), `${field} refused: ${JSON.stringify(errors)}`);
  }
  assert.ok(!errors.some((e) => /abandon/.test(e.message)), 'a refused start abandons nothing');

  // Sequence 5 is still open: a new sequence abandons it and its partial frame 1 is reported dropped.
  await page.evaluate(([good]) => {
    const peer = window.rawPeer;
    peer.start(7, 2);
    peer.chunks(7, 0, new Uint8Array(good)).forEach((m) => peer.send(m));
    peer.chunks(7, 9, new Uint8Array(good)).forEach((m) => peer.send(m));  // out_of_range
    peer.chunks(7, 1, new Uint8Array(good)).forEach((m) => peer.send(m));
    peer.sendJson({ type: 'sequence-end', seq: 7, frames: 2 });
  }, [good]);
  const receipt = await receiptOf(page, 7);
  assert.equal(receipt.frames.decoded, 2);
  const all = await page.evaluate(() => window.rawPeer.messages);
  assert.ok(all.some((m) => m.code === 'sequence_error' && /sequence 5 was open/.test(m.message)), 'the abandoned sequence is named');
  const reports = all.filter((m) => m.code === 'frame_dropped');
  const five = reports.find((r) => r.seq === 5);
  assert.deepEqual(five && { frames: five.frames, reasons: five.reasons }, { frames: [1], reasons: { incomplete: 1 } }, JSON.stringify(reports));
  const seven = reports.find((r) => r.seq === 7);
  assert.deepEqual(seven && { frames: seven.frames, reasons: seven.reasons }, { frames: [9], reasons: { out_of_range: 1 } });
  assert.ok(all.indexOf(seven) < all.indexOf(all.find((m) => m.type === 'receipt' && m.seq === 7)), 'reported before the receipt');
  void codes;
  await page.close();
});

test('frames dropped by the timeout are reported, batched, with their indices', async () => {
  const [good] = clipFrames(1);
  const quick = await startServer(['--frame-timeout-ms', '300']);
  const page = await openPeer(quick);
  await page.evaluate(([good]) => {
    const peer = window.rawPeer;
    peer.start(3, 50);
    for (let i = 0; i < 40; i++) peer.send(peer.chunks(3, i, new Uint8Array(good), 4096)[0]);  // 40 frames, first chunk only
  }, [good]);
  const reports = await waitFor(page, () => {
    const r = window.rawPeer.messages.filter((m) => m.code === 'frame_dropped');
    return r.reduce((n, m) => n + m.count, 0) >= 40 ? r : null;
  });
  assert.ok(reports.length <= 5, `${reports.length} reports for 40 drops`);
  assert.deepEqual(reports.flatMap((r) => r.frames).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  assert.ok(reports.every((r) => r.seq === 3 && r.reasons.incomplete === r.count));
  await page.close();
  assert.equal(await quick.stop(), 0, quick.stderr().slice(-6000));
});

test('a session\'s waiting frames are bounded in bytes, and frames above --max-frame-pixels are refused', async (t) => {
  // The queue overflows only while frames arrive faster than the one worker takes them up, so the
  // clip's 30 frames (~100 KB each) are sent three times: 9 MB against a 1 MiB bound, which overflows
  // even when the worker is nearly as fast as the DataChannel (one run here had 3 MB drain in time).
  const frames = clipFrames(30, { size: '1280:960' });
  const repeats = 3;
  const huge = clipFrames(1, { size: '2000:1200' });
  const bounded = await startServer(['--workers', '1', '--worker-queue-bytes', '1048576', '--max-frame-pixels', '2073600']);
  t.after(() => bounded.stop());  // also when an assertion fails: a live server would hold the file until CTest's timeout
  const page = await openPeer(bounded);
  t.after(() => page.close().catch(() => {}));
  await page.evaluate(([frames, huge, repeats]) => {
    const peer = window.rawPeer;
    const all = Array.from({ length: repeats }, () => frames).flat();
    peer.start(4, all.length + 1);
    peer.chunks(4, 0, new Uint8Array(huge[0])).forEach((m) => peer.send(m));  // first: the queue is empty
    all.forEach((f, i) => peer.chunks(4, i + 1, new Uint8Array(f)).forEach((m) => peer.send(m)));
    peer.sendJson({ type: 'sequence-end', seq: 4, frames: all.length + 1 });
    peer.start(5, 2, { width: 4096, height: 4096 });  // more pixels than the limit: refused
  }, [frames, huge, repeats]);
  const r = await receiptOf(page, 4, 120000);
  const total = repeats * frames.reduce((n, f) => n + f.length, 0);
  assert.ok(total > 1048576, `the frames (${total} bytes) are more than the queue may hold`);
  assert.ok(r.frames.dropped.overloaded > 0, JSON.stringify(r.frames));
  assert.equal(r.frames.dropped.bad_jpeg, 1, 'the 2000×1200 frame');
  const all = await page.evaluate(() => window.rawPeer.messages);
  assert.ok(all.some((m) => m.code === 'frame_dropped' && m.reasons?.overloaded > 0));
  assert.ok(all.some((m) => m.code === 'bad_jpeg' && /pixels/.test(m.message)), JSON.stringify(all.filter((m) => m.code === 'bad_jpeg')));
  assert.ok(all.some((m) => m.code === 'bad_message' && /pixels/.test(m.message)));
  await page.close();
  assert.equal(await bounded.stop(), 0);
});
