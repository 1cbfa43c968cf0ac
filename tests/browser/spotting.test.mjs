// Signing as people sign, through the page in Debian's Chromium against the real server: a person who
// rests, signs, rests and signs again in live mode gets each word as its sign ends, in order, with the
// latency from the sign's end to the word on screen; a person who only rests gets no word at all; a
// window with two signs lists both; a recorded video uploaded from the page lists its signs.
// Real KSL-77 clips of a held-out signer (tests/data/clips, signer 11), rest = the clip's first and last
// frames held 1.5 s (tests/browser/harness.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { buildDir, chainY4m, idleY4m, launchChromium, repoRoot, startServer } from './harness.mjs';
import { describeResult, y4mFrameCount } from '../lib/clips.mjs';

const FPS = 15;
const clip = (name) => path.join(repoRoot, 'tests/data/clips', name);
const HI = clip('c01_hi_s11_f8e48f6c.mp4');
const BIBIMBAP = clip('c04_bi_bim_rice_s11_82155dbd.mp4');
const SEE = clip('c10_see_s11_7bbe5bb8.mp4');

let server;
const browsers = [];
before(async () => { server = await startServer(); });
after(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  await server?.stop();
});

async function openPage(y4m, query) {
  const browser = await launchChromium({ y4m });
  browsers.push(browser);
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 20000 });
  await page.evaluate(() => window.sueo.prepare());
  return { page, problems };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

test('live captions: three signs with rest between come one by one, in order, each with its latency', async () => {
  const y4m = chainY4m([HI, BIBIMBAP, SEE], { fps: FPS, rest: 1.5, name: 'spot_live' });
  const seconds = y4mFrameCount(y4m) / FPS;
  const { page, problems } = await openPage(y4m, '');  // live captions: the page's default mode
  assert.equal(await page.evaluate(() => document.getElementById('mode-live').getAttribute('aria-pressed')), 'true');
  // Live mode has no window: no window progress bar, no Continuous box.
  assert.equal(await page.locator('#window-progress').isVisible(), false);
  assert.equal(await page.locator('#continuous-box').isVisible(), false);
  const run = page.evaluate(async () => {
    window.sueo.closeCamera();  // the fake camera replays its file from the top
    return window.sueo.startLive();
  });
  // The words arrive while the stream goes on, each as its sign ends: the first long before the
  // stream's end, the third during the rest after the last sign (Stop then, before the file loops).
  const started = Date.now();
  await page.waitForFunction(() => window.sueo.words.some((w) => w.word), null, { timeout: seconds * 1000 });
  const firstAfterMs = Date.now() - started;
  await page.waitForFunction(() => window.sueo.words.filter((w) => w.word).length >= 3, null, { timeout: seconds * 1000 });
  await page.evaluate(() => window.sueo.stop());
  const { words, result } = await run;
  assert.ok(firstAfterMs < seconds * 1000 / 2, `the first word came ${firstAfterMs} ms into a ${seconds} s stream`);
  const named = words.filter((w) => typeof w.word === 'string');
  assert.deepEqual(named.map((w) => w.word), ['안녕', '비빔밥', '보다'],
    JSON.stringify(words.map((w) => ({ word: w.word, reason: w.reason, start: w.start_ms, end: w.end_ms }))));
  for (const w of named) {
    assert.ok(w.latencyMs > 0 && w.latencyMs < 5000, `sign end → shown ${w.latencyMs} ms`);
    assert.ok(w.stages_ms && w.stages_ms.wait_for_rest >= 0, 'the latency has its parts');
  }
  // The caption shows the latest word large and the line of words beside it.
  assert.equal(await page.locator('#live-word').textContent(), '보다');
  assert.deepEqual(await page.locator('#live-line li').allTextContents().then((items) => items.length), 3);
  assert.match(await page.locator('#live-latency').textContent(), /\d\.\d\d s/);
  assert.equal(result?.mode, 'live');
  assert.deepEqual(result.words.map((w) => w.word), ['안녕', '비빔밥', '보다']);
  assert.deepEqual(problems, []);
  const latencies = named.map((w) => w.latencyMs);
  const part = (key) => named.map((w) => w.stages_ms[key] ?? 0);
  console.log(`# live sign end → word shown, ms: ${latencies.map((v) => v.toFixed(0)).join(', ')} ` +
    `(p50 ${percentile(latencies, 50).toFixed(0)}, max ${Math.max(...latencies).toFixed(0)}); ` +
    `wait_for_rest ${part('wait_for_rest').map((v) => v.toFixed(0)).join(', ')}; deciding frame's landmarks ` +
    `${part('landmarks').map((v) => v.toFixed(0)).join(', ')}, queue ${part('queue_wait').map((v) => v.toFixed(0)).join(', ')}, ` +
    `classifier ${part('classifier').map((v) => v.toFixed(1)).join(', ')}; the rest (trip, delivery, drawing) ` +
    `${named.map((w) => (w.latencyMs - (w.stages_ms.wait_for_rest ?? 0) - (w.stages_ms.landmarks ?? 0) - (w.stages_ms.queue_wait ?? 0) - (w.stages_ms.classifier ?? 0)).toFixed(0)).join(', ')}`);
  await page.close();
});

test('a person who only rests gets no word, and the page says no sign was seen', async () => {
  const y4m = idleY4m(HI, { fps: FPS, seconds: 8 });
  const { page, problems } = await openPage(y4m, '?mode=window&seconds=8');
  const r = await page.evaluate(async () => {
    window.sueo.closeCamera();
    return (await window.sueo.start({ seconds: 8 })).result;
  });
  assert.equal(r.word, null, describeResult(r));
  assert.equal(r.reason, 'no_sign');
  assert.deepEqual(r.words, []);
  assert.match(await page.locator('#reason').textContent(), /수어 동작이 없었어요/);
  assert.equal(await page.locator('#reason').isVisible(), true);
  assert.deepEqual(problems, []);
  await page.close();
});

test('window mode: two signs in one window give both words in order, and the window shows its progress', async () => {
  // (Not 비빔밥 here: its mid-sign hold is sometimes cut into a short first part that gets a word of
  // its own, docs/spotting.md, known shortfalls.)
  const y4m = chainY4m([HI, SEE], { fps: FPS, rest: 1.5, name: 'spot_window_hi_see' });
  const seconds = y4mFrameCount(y4m) / FPS;
  const { page, problems } = await openPage(y4m, `?mode=window&seconds=${seconds.toFixed(3)}`);
  const done = page.evaluate(async (s) => {
    window.sueo.closeCamera();
    return (await window.sueo.start({ seconds: s })).result;
  }, seconds);
  await page.waitForFunction(() => {
    const bar = document.getElementById('window-bar');
    return !document.getElementById('window-progress').hidden && bar.value > 0.2 && bar.value < 0.9;
  }, null, { timeout: seconds * 1000 });
  const r = await done;
  assert.deepEqual(r.words.map((w) => w.word), ['안녕', '보다'], describeResult(r));
  assert.equal(r.word === '안녕' || r.word === '보다', true, 'word: the best of them, for old clients');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a recorded video uploaded from the page lists its signs with their times', async () => {
  const video = path.join(buildDir, 'spot_upload_hi.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', HI, '-vf',
    'tpad=start_duration=1.5:start_mode=clone:stop_duration=1.5:stop_mode=clone', '-an', '-c:v', 'libx264',
    '-preset', 'veryfast', '-pix_fmt', 'yuv420p', video], { stdio: ['ignore', 'inherit', 'inherit'] });
  const { page, problems } = await openPage(chainY4m([HI], { fps: FPS, rest: 1.5, name: 'spot_upload' }), '');
  await page.locator('#upload-file').setInputFiles(video);
  await page.waitForFunction(() => ['done', 'failed'].includes(document.getElementById('upload-state').dataset.state),
    null, { timeout: 120000 });
  assert.equal(await page.locator('#upload-state').getAttribute('data-state'), 'done',
    await page.locator('#upload-state').textContent());
  const items = await page.locator('#upload-words li').allTextContents();
  assert.equal(items.length, 1, items.join(' | '));
  assert.match(items[0], /안녕/);
  assert.match(items[0], /\d\.\d–\d\.\d s/);
  assert.deepEqual(problems, []);
  await page.close();
});
