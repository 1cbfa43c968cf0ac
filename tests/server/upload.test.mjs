// POST /api/recognize on the real server: a recorded video (real KSL clips with a person resting
// before and after, and two signs in a row) comes back with its words and their times, as `sueo spot`
// gives them; bad uploads get a clear error code, a counter, and the server stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildDir, getJson, repoRoot, startServer } from '../lib/sueo-server.mjs';
import { WsClient } from './ws-client.mjs';

const clips = path.join(repoRoot, 'tests/data/clips');
const HI = path.join(clips, 'c01_hi_s11_f8e48f6c.mp4');
const SEE = path.join(clips, 'c10_see_s11_7bbe5bb8.mp4');
const BIBIMBAP = path.join(clips, 'c04_bi_bim_rice_s11_82155dbd.mp4');

// Clips one after another, each with `rest` s of its first and last frame held around it, as one
// H.264 mp4 in the build directory (what a phone's camera app records: a person signing with rest).
function restedMp4(files, name, rest = 1.5) {
  const out = path.join(buildDir, `upload_${name}.mp4`);
  if (existsSync(out) && files.every((f) => statSync(out).mtimeMs > statSync(f).mtimeMs)) return out;
  const parts = files.map((_, i) => `[${i}:v]tpad=start_duration=${rest}:start_mode=clone:stop_duration=${rest}:` +
    `stop_mode=clone,scale=640:360,fps=30,setsar=1[v${i}]`);
  const filter = `${parts.join(';')};${files.map((_, i) => `[v${i}]`).join('')}concat=n=${files.length}:v=1:a=0`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...files.flatMap((f) => ['-i', f]), '-filter_complex', filter,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', out], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

function upload(server, bytes, { name = 'video.mp4', field = 'video' } = {}) {
  const form = new FormData();
  form.append(field, new Blob([bytes], { type: 'video/mp4' }), name);
  return fetch(server.url + 'api/recognize', { method: 'POST', body: form })
    .then(async (r) => ({ status: r.status, body: await r.json() }));
}

const counter = async (server, name) => (await getJson(server.url + 'healthz')).body.counters[name] ?? 0;

// A form of `mb` MB (not a video) sent by another Node process, so that its TLS work does not delay
// this process's /ws pings: resolves with the status and answer, or the error when `abortAfterMs`
// cuts the upload short.
function bigUploadInChild(server, mb, abortAfterMs = 0) {
  const script = `
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7919) & 0xff;
    const blocks = Array.from({ length: Number(process.argv[2]) }, () => block);
    const abort = new AbortController();
    let request;
    if (Number(process.argv[3]) > 0) {
      // Cut mid-upload for certain: the form's start and its blocks, then a body that never ends
      // (chunked), aborted after the given time.
      let next = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (next === 0) controller.enqueue(Buffer.from('--cut\\r\\nContent-Disposition: form-data; name="video"; filename="big.mp4"\\r\\n\\r\\n'));
          if (next < blocks.length) controller.enqueue(blocks[next]);
          next += 1;
          return next <= blocks.length ? undefined : new Promise(() => {});
        },
      });
      setTimeout(() => abort.abort(), Number(process.argv[3]));
      request = { method: 'POST', body, duplex: 'half', signal: abort.signal,
                  headers: { 'content-type': 'multipart/form-data; boundary=cut' } };
    } else {
      const form = new FormData();
      form.append('video', new Blob(blocks), 'big.mp4');
      request = { method: 'POST', body: form, signal: abort.signal };
    }
    fetch(process.argv[1] + 'api/recognize', request)
      .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })))
      .catch((e) => console.log(JSON.stringify({ error: String(e) })));`;
  const child = spawn(process.execPath, ['-e', script, server.url, String(mb), String(abortAfterMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  return new Promise((resolve) => child.on('exit', () => resolve(JSON.parse(out || '{}'))));
}

// The server's temporary files go to a directory of their own (TMPDIR), so a test can see that none
// is left behind.
const tmp = mkdtempSync(path.join(buildDir, 'upload-tmp-'));
const leftFiles = () => readdirSync(tmp);

let server;
let strict;  // short limits: 1 MB, 3 s
before(async () => {
  server = await startServer(['--upload-jobs', '1'], { env: { TMPDIR: tmp } });
  strict = await startServer(['--upload-max-mb', '1', '--upload-max-seconds', '3'], { env: { TMPDIR: tmp } });
});
after(async () => {
  assert.equal(await server.stop(), 0, server.stderr());
  assert.equal(await strict.stop(), 0, strict.stderr());
  rmSync(tmp, { recursive: true, force: true });
});

test('a recorded sign with rest around it comes back as its word, with its time in the video', async () => {
  const video = restedMp4([HI], 'hi');
  const { status, body } = await upload(server, readFileSync(video), { name: 'hi.mp4' });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.file, 'hi.mp4');
  assert.deepEqual(body.words.map((w) => w.word), ['안녕'], JSON.stringify(body.signs));
  const [w] = body.words;
  // The sign is between the 1.5 s of rest before it and the 1.5 s after it (clip ~2.1 s).
  assert.ok(w.start_s >= 0.8 && w.start_s <= 2.5 && w.end_s > w.start_s && w.end_s <= 4.2, `${w.start_s}–${w.end_s} s`);
  assert.ok(w.score > 0 && w.score <= 1);
  assert.ok(body.ms.upload_recognise > 0);
  console.log(`# upload hi.mp4 (${statSync(video).size} bytes, ${body.duration_s} s): answered in ` +
    `${body.ms.upload_recognise.toFixed(0)} ms (spot's own total ${body.ms.total.toFixed(0)} ms)`);
});

test('two signs in one video come back in the order they were signed', async () => {
  const video = restedMp4([BIBIMBAP, SEE], 'bibimbap_see');
  const { status, body } = await upload(server, readFileSync(video), { name: 'two.mp4' });
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual(body.words.map((w) => w.word), ['비빔밥', '보다'], JSON.stringify(body.signs));
  assert.ok(body.words[0].end_s <= body.words[1].start_s, 'in order, not overlapping');
});

test('bad uploads get a clear error and a counter, and the server stays up', async () => {
  const before = await counter(server, 'uploads.refused.bad_video');
  const junk = await upload(server, Buffer.from('this is not a video at all\n'.repeat(100)), { name: 'notes.txt' });
  assert.equal(junk.status, 400);
  assert.equal(junk.body.error.code, 'bad_video');
  assert.match(junk.body.error.message, /notes\.txt/, 'names the upload, not the server\'s temporary file');
  assert.doesNotMatch(junk.body.error.message, /sueo-upload-/);
  assert.equal(await counter(server, 'uploads.refused.bad_video'), before + 1);

  const noField = await upload(server, readFileSync(HI), { field: 'file' });
  assert.equal(noField.status, 400);
  assert.equal(noField.body.error.code, 'bad_request');

  const notAForm = await fetch(server.url + 'api/recognize', { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(notAForm.status, 400);
  assert.equal((await notAForm.json()).error.code, 'bad_request');

  const get = await fetch(server.url + 'api/recognize');
  assert.equal(get.status, 405);
  assert.equal((await get.json()).error.code, 'method_not_allowed');

  assert.equal((await getJson(server.url + 'healthz')).status, 200);
});

test('one upload at a time (--upload-jobs 1): a second one meanwhile is told the server is busy', async () => {
  const video = readFileSync(restedMp4([HI], 'hi'));
  const first = upload(server, video);
  await new Promise((r) => setTimeout(r, 300));  // the first is being recognised (it takes seconds)
  const second = await upload(server, video);
  assert.equal(second.status, 503);
  assert.equal(second.body.error.code, 'server_busy');
  assert.equal((await first).status, 200);
});

test('limits: a video over --upload-max-mb or --upload-max-seconds is refused with 413', async () => {
  const big = Buffer.alloc(1.5 * 1024 * 1024, 7);
  const tooLarge = await upload(strict, big);
  assert.equal(tooLarge.status, 413);
  assert.equal(tooLarge.body.error.code, 'too_large');
  const tooLong = await upload(strict, readFileSync(restedMp4([HI], 'hi')));  // ~5 s > 3 s
  assert.equal(tooLong.status, 413);
  assert.equal(tooLong.body.error.code, 'too_long');
  assert.match(tooLong.body.error.message, /3 s/);
  assert.equal(await counter(strict, 'uploads.refused.too_large'), 1);
  assert.equal((await getJson(strict.url + 'healthz')).status, 200);
});

test('a chunked upload (no Content-Length) over --upload-max-mb is refused with 413 as its body streams', async () => {
  const chunk = new Uint8Array(64 << 10).fill(7);
  let sent = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="video"; filename="x.mp4"\r\n\r\n'));
      if (sent >= 3 << 20) {
        controller.enqueue(new TextEncoder().encode('\r\n--b--\r\n'));
        controller.close();
        return;
      }
      controller.enqueue(chunk);
      sent += chunk.length;
    },
  });
  const r = await fetch(strict.url + 'api/recognize', {
    method: 'POST', body, duplex: 'half', headers: { 'Content-Type': 'multipart/form-data; boundary=b' },
  });
  assert.equal(r.status, 413);
  assert.equal((await r.json()).error.code, 'too_large');
  assert.deepEqual(leftFiles(), []);
});

// Today's bound for "does not block": before the body was streamed, a 190 MB upload stalled the main
// loop (and so every other client's /ws) 0.3-2.6 s on this 2-core machine while it was flattened,
// parsed and written in one go; streamed, pings stay within a few ms (quiet machine). The bound leaves
// room for a busy machine's scheduling, and fails the old way of doing it.
const kMaxPingMs = 250;

test('a large upload being received and written does not stall another client\'s /ws pings', async () => {
  const ws = await WsClient.connect(server.wsUrl);
  await ws.type('welcome');
  const rtts = [];
  const pinger = setInterval(() => {
    const t0 = performance.now();
    ws.send({ type: 'ping', t0 });
    ws.next((m) => m.type === 'pong' && m.t0 === t0, 60000).then(() => rtts.push(performance.now() - t0), () => {});
  }, 25);
  const started = performance.now();
  const answer = await bigUploadInChild(server, 190);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(pinger);
  await new Promise((r) => setTimeout(r, 100));
  await ws.close();
  // Not a video: sueo spot read the stored file and said so (the upload itself went through whole).
  assert.equal(answer.status, 400, JSON.stringify(answer));
  assert.equal(answer.body.error.code, 'bad_video');
  const max = Math.max(...rtts);
  console.log(`# 190 MB upload in ${seconds.toFixed(1)} s: ${rtts.length} pings, max round trip ${max.toFixed(1)} ms`);
  assert.ok(rtts.length >= 10, `${rtts.length} pings answered`);
  assert.ok(max < kMaxPingMs, `a ping waited ${max.toFixed(0)} ms during the upload (bound ${kMaxPingMs} ms)`);
  assert.deepEqual(leftFiles(), []);
});

test('a client that leaves mid-upload leaves no file and no taken slot behind', async () => {
  const before = await counter(server, 'uploads.refused.server_busy');
  const cut = await bigUploadInChild(server, 150, 400);
  assert.match(cut.error ?? '', /abort/i, JSON.stringify(cut));
  // The next upload is served (the slot is free), and the cut one's file is gone.
  const { status } = await upload(server, readFileSync(restedMp4([HI], 'hi')));
  assert.equal(status, 200);
  assert.equal(await counter(server, 'uploads.refused.server_busy'), before);
  for (let i = 0; i < 50 && leftFiles().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(leftFiles(), []);
});

test('SIGTERM: an upload being recognised is still answered, a new one is refused, then the server exits 0', async () => {
  const own = await startServer([], { env: { TMPDIR: tmp } });
  const video = readFileSync(restedMp4([HI], 'hi'));
  const first = upload(own, video);
  while (await counter(own, 'uploads.started') < 1) await new Promise((r) => setTimeout(r, 20));
  own.child.kill('SIGTERM');
  while ((await getJson(own.url + 'healthz')).status !== 503) await new Promise((r) => setTimeout(r, 10));
  const late = await upload(own, video);
  assert.equal(late.status, 503);
  assert.equal(late.body.error.code, 'server_draining');
  const answer = await first;
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(answer.body.words.map((w) => w.word), ['안녕']);
  assert.equal(await new Promise((r) => own.child.once('exit', (code, signal) => r(code ?? signal))), 0, own.stderr());
  assert.deepEqual(leftFiles(), []);
});
