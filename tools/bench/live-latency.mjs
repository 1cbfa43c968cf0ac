#!/usr/bin/env node
// Live captions latency: one Chromium page (fake camera looping three real signs of a held-out signer
// with 1.5 s of rest between them) streams to a real `sueo serve` on loopback in live mode until
// --words words have arrived. For each word: the latency from the sign's end (the capture time of its
// last moving frame) to the word on the page, and its parts: the spotter's wait for rest, the deciding
// frame's queue wait and landmarks, the classifier, and the rest (the frame's trip, delivery, drawing).
//
//   node tools/bench/live-latency.mjs [--words 12] [--server-args="--landmark-every 1"]
//
// Prints a table and, last, one JSON line. Needs build/sueo, models/, Debian's chromium, ffmpeg.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chainY4m, launchChromium, repoRoot, startServer } from '../../tests/browser/harness.mjs';

const { values: opts } = parseArgs({
  options: { words: { type: 'string', default: '12' }, 'server-args': { type: 'string', default: '' } },
});
const wanted = Number(opts.words);
const clip = (n) => path.join(repoRoot, 'tests/data/clips', n);
const clips = [clip('c01_hi_s11_f8e48f6c.mp4'), clip('c04_bi_bim_rice_s11_82155dbd.mp4'), clip('c10_see_s11_7bbe5bb8.mp4')];

const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

const server = await startServer(opts['server-args'].split(' ').filter(Boolean), { shedding: true });
const browser = await launchChromium({ y4m: chainY4m(clips, { fps: 15, rest: 1.5, name: 'bench_live' }) });
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 20000 });
  await page.evaluate(() => window.sueo.prepare());
  const run = page.evaluate(async () => { window.sueo.closeCamera(); return window.sueo.startLive(); });
  await page.waitForFunction((n) => window.sueo.words.length >= n, wanted, { timeout: wanted * 8000 });
  await page.evaluate(() => window.sueo.stop());
  const { words } = await run;
  const rows = words.slice(0, wanted).map((w) => {
    const s = w.stages_ms ?? {};
    const known = (s.wait_for_rest ?? 0) + (s.queue_wait ?? 0) + (s.landmarks ?? 0) + (s.classifier ?? 0);
    return { word: w.word ?? `(${w.reason})`, total: w.latencyMs, wait: s.wait_for_rest ?? NaN, queue: s.queue_wait ?? NaN,
      landmarks: s.landmarks ?? NaN, classifier: s.classifier ?? NaN, rest: w.latencyMs - known };
  });
  console.log('word        total  wait_for_rest  queue  landmarks  classifier  rest(trip+delivery)  [ms]');
  for (const r of rows) {
    console.log(`${r.word.padEnd(10)} ${r.total.toFixed(0).padStart(6)} ${r.wait.toFixed(0).padStart(14)} ${r.queue.toFixed(1).padStart(6)} ` +
      `${r.landmarks.toFixed(1).padStart(10)} ${r.classifier.toFixed(1).padStart(11)} ${r.rest.toFixed(0).padStart(20)}`);
  }
  const summary = {};
  for (const key of ['total', 'wait', 'queue', 'landmarks', 'classifier', 'rest']) {
    summary[key] = { p50: pct(rows.map((r) => r[key]), 50), p95: pct(rows.map((r) => r[key]), 95) };
  }
  const order = rows.map((r) => r.word).join(' ');
  console.log(`p50 / p95: total ${summary.total.p50.toFixed(0)} / ${summary.total.p95.toFixed(0)} ms; wait for rest ` +
    `${summary.wait.p50.toFixed(0)} / ${summary.wait.p95.toFixed(0)}; landmarks ${summary.landmarks.p50.toFixed(1)} / ` +
    `${summary.landmarks.p95.toFixed(1)}; classifier ${summary.classifier.p50.toFixed(1)} / ${summary.classifier.p95.toFixed(1)}; ` +
    `rest ${summary.rest.p50.toFixed(0)} / ${summary.rest.p95.toFixed(0)}; words: ${order}`);
  console.log(JSON.stringify({ words: rows.length, order, ...summary, loadavg: (await import('node:os')).loadavg() }));
} finally {
  await browser.close();
  await server.stop();
}
