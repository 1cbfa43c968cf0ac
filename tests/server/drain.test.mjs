// SIGTERM drains: /healthz turns 503 "draining" at once, new sessions are refused with
// `server_draining`, idle sessions are closed (1001), a sequence in flight still gets its receipt and
// result, then the process exits 0; a second signal exits at once; --drain-seconds bounds it all.
// The real server, a real WebRTC peer (Chromium) streaming real JPEG frames. Prints the timeline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../lib/sueo-server.mjs';
import { launchChromium } from '../lib/chromium.mjs';
import { clipFrames } from '../lib/clip-frames.mjs';
import { WsClient } from './ws-client.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let browser;

before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

async function openPeer(server) {
  const page = await browser.newPage();
  await page.goto(server.url + 'healthz');
  await page.addScriptTag({ content: readFileSync(join(here, 'raw-peer.js'), 'utf8') });
  await page.evaluate((wsUrl) => window.rawPeer.connect(wsUrl), server.wsUrl);
  return page;
}

const waitFor = async (page, predicate, arg, timeout = 15000) =>
  (await page.waitForFunction(predicate, arg, { timeout, polling: 10 })).jsonValue();

function exited(server) {
  if (server.child.exitCode !== null) return Promise.resolve(server.child.exitCode);
  return new Promise((r) => server.child.once('exit', (code, signal) => r(code ?? signal)));
}

async function healthz(server) {
  const response = await fetch(server.url + 'healthz');
  return { status: response.status, body: await response.json() };
}

// Starts sequence 1 of `total` frames and sends the first `sent` of them.
async function startSequence(page, frames, sent) {
  await page.evaluate(([frames, sent]) => {
    const peer = window.rawPeer;
    peer.sendJson({ type: 'sequence-start', seq: 1, frames: frames.length, fps: 15, width: 640, height: 480, t_start: Date.now() });
    frames.slice(0, sent).forEach((f, i) => peer.chunks(1, i, new Uint8Array(f)).forEach((m) => peer.send(m)));
  }, [frames, sent]);
}

test('SIGTERM: refuse new sessions, finish the sequence in flight, then exit 0', async () => {
  const frames = clipFrames(20);
  const server = await startServer(['--drain-seconds', '20']);
  const page = await openPeer(server);
  const idle = await WsClient.connect(server.wsUrl);
  await idle.type('welcome');
  await startSequence(page, frames, 10);

  const t0 = Date.now();
  server.child.kill('SIGTERM');
  const exit = exited(server);
  let health = await healthz(server);
  for (let i = 0; i < 40 && health.status !== 503; i++) health = await healthz(server);
  const tHealth = Date.now() - t0;
  assert.equal(health.status, 503);
  assert.equal(health.body.status, 'draining');

  const idleError = await idle.error('server_draining');
  assert.equal(idleError.fatal, true, 'a session with nothing in flight is closed');
  assert.equal((await idle.closed).code, 1001);
  const late = await WsClient.connect(server.wsUrl);
  assert.equal((await late.error('server_draining')).fatal, true, 'a new session is refused');
  assert.equal((await late.closed).code, 1013, 'try again later (elsewhere)');

  const notice = await waitFor(page, () => window.rawPeer.messages.find((m) => m.code === 'server_draining'));
  assert.notEqual(notice.fatal, true, 'the busy session is told, not closed');
  await page.evaluate((frames) => {
    const peer = window.rawPeer;
    frames.slice(10).forEach((f, i) => peer.chunks(1, i + 10, new Uint8Array(f)).forEach((m) => peer.send(m)));
    peer.sendJson({ type: 'sequence-end', seq: 1, frames: frames.length, t_last_sent: Date.now() });
    peer.sendJson({ type: 'sequence-start', seq: 2, frames: 5, fps: 15, width: 640, height: 480, t_start: Date.now() });
  }, frames);
  const receipt = await waitFor(page, () => window.rawPeer.messages.find((m) => m.type === 'receipt' && m.seq === 1));
  assert.equal(receipt.frames.decoded, 20, 'every frame of the sequence in flight was used');
  const result = await waitFor(page, () => window.rawPeer.messages.find((m) => m.type === 'result' && m.seq === 1));
  const tResult = Date.now() - t0;
  assert.ok('word' in result);
  const close = await waitFor(page, () => window.rawPeer.messages.find((m) => m.type === 'ws-close'));
  assert.equal(close.code, 1001);
  const codes = await page.evaluate(() => window.rawPeer.messages.filter((m) => m.type === 'error').map((m) => m.code));
  assert.ok(codes.filter((c) => c === 'server_draining').length >= 2, `refused sequence 2 and the final notice: ${codes}`);
  assert.equal(await exit, 0, server.stderr());
  const tExit = Date.now() - t0;
  console.log(`drain timeline (ms after SIGTERM): /healthz 503 at ${tHealth}, result of the sequence in flight at ${tResult}, exit 0 at ${tExit}`);
  assert.match(server.stderr(), /drained in \d+ ms/);
  await page.close();
});

test('a second signal exits at once; --drain-seconds bounds the wait', async () => {
  const frames = clipFrames(4);
  const server = await startServer(['--drain-seconds', '30']);
  const page = await openPeer(server);
  await startSequence(page, frames, 2);  // never ended
  await waitFor(page, () => true);
  server.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(server.child.exitCode, null, 'still draining');
  const t0 = Date.now();
  server.child.kill('SIGTERM');
  assert.equal(await exited(server), 0);
  assert.ok(Date.now() - t0 < 3000, `exited ${Date.now() - t0} ms after the second signal`);
  await page.close();

  const bounded = await startServer(['--drain-seconds', '1']);
  const stuck = await openPeer(bounded);
  await startSequence(stuck, frames, 2);
  await new Promise((r) => setTimeout(r, 200));
  const t1 = Date.now();
  bounded.child.kill('SIGTERM');
  assert.equal(await exited(bounded), 0);
  const ms = Date.now() - t1;
  assert.ok(ms >= 900 && ms < 4000, `exited ${ms} ms after SIGTERM with --drain-seconds 1`);
  const last = await waitFor(stuck, () => window.rawPeer.messages.filter((m) => m.code === 'server_draining').pop());
  assert.equal(last.fatal, true, 'told the sequence is lost');
  await stuck.close();
});
