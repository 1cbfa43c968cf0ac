// Two `sueo serve` instances behind Debian's HAProxy on 127.0.0.1 (deploy/haproxy/haproxy.cfg via
// tests/lib/cluster.mjs): pages open through the balancer, their sessions spread over both
// instances (leastconn on /ws), each page's DataChannel goes straight to the instance holding its
// WebSocket, and each page gets its clip's word. New sessions go to the instance with fewer open
// sessions; an instance that dies is taken out by the /healthz checks and pages keep working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { clipY4m, launchChromium, playClipSequence, repoRoot } from '../browser/harness.mjs';
import { describeResult, isClipWord, listClips, y4mFrameCount } from '../lib/clips.mjs';
import { haproxyMissing, startCluster } from '../lib/cluster.mjs';

const skip = haproxyMissing();
const MODEL = process.env.SUEO_TEST_MODEL || path.join(repoRoot, 'models/sueo-ksl.onnx');
// Two clips the spotter and the unknown-sign threshold name reliably (docs/spotting.md): the test is
// about the balancer.
const clips = listClips().filter((c) => ['hi', 'bi_bim_rice'].includes(c.label));
let cluster;
const browsers = new Map();  // clip label → Chromium playing it
const open = [];             // {page, clip}

before(async () => {
  if (skip) return;
  cluster = await startCluster({ count: 2, instanceArgs: ['--model', MODEL] });
});
after(async () => {
  for (const b of browsers.values()) await b.close().catch(() => {});
  await cluster?.stop();
});

async function health(instance) {
  return (await (await fetch(`${instance.url}healthz`)).json());
}

async function activeSessions() {
  return Promise.all(cluster.instances.map(async (i) => (instanceAlive(i) ? (await health(i)).sessions.active : null)));
}

function instanceAlive(instance) {
  return instance.child.exitCode === null && instance.child.signalCode === null;
}

// A page of the balancer, WebSocket up (not yet the DataChannel); `owner` is the index of the
// instance whose open sessions went up.
async function openPage(clip) {
  if (!browsers.has(clip.label)) browsers.set(clip.label, await launchChromium({ y4m: clipY4m(clip.file) }));
  const before = await activeSessions();
  const page = await browsers.get(clip.label).newPage();
  await page.goto(cluster.url);
  await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
  const after = await activeSessions();
  const owner = after.findIndex((n, i) => n === before[i] + 1);
  const entry = { page, clip, owner };
  open.push(entry);
  return entry;
}

async function closePage(entry) {
  open.splice(open.indexOf(entry), 1);
  await entry.page.close();
}

async function waitFor(predicate, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('sessions spread over both instances; each page streams straight to its instance and gets its word', { skip }, async () => {
  const before = await Promise.all(cluster.instances.map(health));
  const pages = [];
  for (let i = 0; i < 4; i++) pages.push(await openPage(clips[i % 2]));
  assert.deepEqual(await activeSessions(), [2, 2], 'leastconn: 2 sessions on each instance');
  assert.deepEqual(pages.map((p) => p.owner).sort(), [0, 0, 1, 1]);
  for (const { page, clip } of pages) {
    await page.evaluate(() => window.sueo.prepare());
    const remotePort = await page.evaluate(async () => {
      const stats = await window.sueo.connection.pc.getStats();
      const byId = new Map();
      stats.forEach((s) => byId.set(s.id, s));
      const transport = [...byId.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      return byId.get(byId.get(transport.selectedCandidatePairId).remoteCandidateId).port;
    });
    assert.notEqual(remotePort, Number(new URL(cluster.url).port), 'the DataChannel does not go through the balancer');
    const run = await playClipSequence(page, y4mFrameCount(clipY4m(clip.file)) / 15);
    assert.equal(run.receipt.frames.received, run.page.sent);
    assert.ok(isClipWord(run.result, clip), `${clip.name}: ${describeResult(run.result)}`);
  }
  const after = await Promise.all(cluster.instances.map(health));
  after.forEach((h, i) => {
    const opened = (h.counters['channels.opened'] ?? 0) - (before[i].counters['channels.opened'] ?? 0);
    assert.equal(opened, 2, `${cluster.instances[i].name}: a DataChannel for each of its 2 sessions`);
    assert.ok(h.frames.received > before[i].frames.received, `${cluster.instances[i].name} received frames`);
    assert.equal(h.counters['sessions.websocket_frames'], before[i].counters['sessions.websocket_frames'], 'no fallback');
  });
});

test('new sessions go to the instance with fewer open sessions', { skip }, async () => {
  assert.deepEqual(await activeSessions(), [2, 2]);
  // Close both sessions of sueo1: the next two pages must both land there (0 < 2, then 1 < 2).
  for (const entry of open.filter((e) => e.owner === 0)) await closePage(entry);
  await waitFor(async () => (await activeSessions())[0] === 0, 'sueo1 to have no session');
  assert.deepEqual(await activeSessions(), [0, 2]);
  const a = await openPage(clips[0]);
  const b = await openPage(clips[1]);
  assert.deepEqual([a.owner, b.owner], [0, 0], 'both new sessions went to sueo1');
  assert.deepEqual(await activeSessions(), [2, 2]);
});

test('an instance that dies is taken out by the health checks; new pages still get their word', { skip }, async () => {
  for (const entry of [...open]) await closePage(entry);
  const [first, second] = cluster.instances;
  first.child.kill('SIGKILL');
  await waitFor(async () => {
    const stat = await cluster.haproxy.stat();
    return stat.find((s) => s.pxname === 'sueo_ws' && s.svname === first.name)?.status.startsWith('DOWN');
  }, 'HAProxy to mark sueo1 down');
  const before = await health(second);
  const { page, clip } = await openPage(clips[1]);
  await page.evaluate(() => window.sueo.prepare());
  const run = await playClipSequence(page, y4mFrameCount(clipY4m(clip.file)) / 15);
  assert.ok(isClipWord(run.result, clip), `${clip.name}: ${describeResult(run.result)}`);
  assert.equal((await health(second)).sessions.total, before.sessions.total + 1, 'the session is on sueo2');
});
