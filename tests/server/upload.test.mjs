// POST /api/recognize on the real server: a recorded video (real KSL clips with a person resting
// before and after, and two signs in a row) comes back with its words and their times, as `sueo spot`
// gives them; bad uploads get a clear error code, a counter, and the server stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildDir, getJson, repoRoot, startServer } from '../lib/sueo-server.mjs';

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

let server;
let strict;  // short limits: 1 MB, 3 s
before(async () => {
  server = await startServer(['--upload-jobs', '1']);
  strict = await startServer(['--upload-max-mb', '1', '--upload-max-seconds', '3']);
});
after(async () => {
  assert.equal(await server.stop(), 0, server.stderr());
  assert.equal(await strict.stop(), 0, strict.stderr());
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
