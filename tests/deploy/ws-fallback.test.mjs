// The WebSocket fallback for frames in Chromium, end to end with real clips and the real model:
//  - a server whose ICE has nothing to offer (its only candidate address, 203.0.113.1 from a
//    documentation range, is not on this host: like a network that drops the UDP), so the
//    DataChannel never opens: the page falls back after welcome.config.datachannel_timeout_ms and
//    streams over /ws;
//  - Chromium without RTCPeerConnection (WebRTC switched off: the constructors removed before the
//    page runs): the page streams over /ws at once.
// Either way the same chunks, pacing, receipt and result as the DataChannel: the clip's word.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { clipY4m, launchChromium, playClipSequence, repoRoot, startServer } from '../browser/harness.mjs';
import { describeResult, isClipWord, listClips, y4mFrameCount } from '../lib/clips.mjs';

const MODEL = process.env.SUEO_TEST_MODEL || path.join(repoRoot, 'models/sueo-ksl.onnx');
const TIMEOUT_MS = 1500;
const clips = listClips();
let server;
const browsers = [];

before(async () => {
  server = await startServer(['--model', MODEL, '--ice-loopback', '0', '--ice-addresses', '203.0.113.1',
    '--datachannel-timeout-ms', String(TIMEOUT_MS)]);
});
after(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  await server?.stop();
});

const health = async (page) => page.evaluate(async () => (await fetch('/healthz')).json());

async function streamClip(clip, { noWebRTC = false } = {}) {
  const y4m = clipY4m(clip.file);
  const browser = await launchChromium({ y4m });
  browsers.push(browser);
  if (noWebRTC) {
    await browser.context.addInitScript(() => {
      for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel']) delete window[name];
    });
  }
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
  const before = await health(page);
  const begin = Date.now();
  await page.evaluate(() => window.sueo.prepare());
  const preparedMs = Date.now() - begin;
  const conn = await page.evaluate(() => ({
    transport: window.sueo.connection.transport, why: window.sueo.connection.fallbackReason,
    rtc: typeof window.RTCPeerConnection, state: window.sueo.state,
  }));
  const run = await playClipSequence(page, y4mFrameCount(y4m) / 15);
  const after = await health(page);
  await page.close();
  return { conn, run, before, after, preparedMs, problems };
}

test('the DataChannel cannot open: the page falls back to /ws after the timeout and gets its word', async () => {
  const clip = clips.find((c) => c.label === 'hi');
  const { conn, run, before, after, preparedMs, problems } = await streamClip(clip);
  assert.equal(conn.rtc, 'function');
  assert.equal(conn.transport, 'websocket');
  assert.match(conn.why, new RegExp(`did not open in ${TIMEOUT_MS} ms`));
  assert.ok(preparedMs >= TIMEOUT_MS, `fell back after ${preparedMs} ms`);
  assert.ok(isClipWord(run.result, clip), `${clip.name}: ${describeResult(run.result)}`);
  assert.equal(run.receipt.frames.received, run.page.sent);
  assert.equal(run.page.sendSkipped, 0);
  assert.equal(after.counters['sessions.websocket_frames'], before.counters['sessions.websocket_frames'] + 1);
  assert.ok(after.counters['chunks.via_websocket'] >= before.counters['chunks.via_websocket'] + run.page.sent);
  assert.equal(after.counters['channels.opened'] ?? 0, before.counters['channels.opened'] ?? 0, 'no DataChannel opened');
  assert.deepEqual(problems, []);
});

test('Chromium without RTCPeerConnection streams over /ws at once and gets its word', async () => {
  const clip = clips.find((c) => c.label === 'bi_bim_rice');  // another word than the first test's
  const { conn, run, preparedMs, problems } = await streamClip(clip, { noWebRTC: true });
  assert.equal(conn.rtc, 'undefined');
  assert.equal(conn.transport, 'websocket');
  assert.match(conn.why, /no RTCPeerConnection/);
  assert.ok(preparedMs < TIMEOUT_MS, `no wait for a channel: ${preparedMs} ms`);
  assert.ok(isClipWord(run.result, clip), `${clip.name}: ${describeResult(run.result)}`);
  assert.equal(run.receipt.frames.received, run.page.sent);
  assert.deepEqual(problems, []);
});
