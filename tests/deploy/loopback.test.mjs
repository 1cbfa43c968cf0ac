// ICE on a host whose only interface is loopback (a container, a CI sandbox): this file runs itself
// again inside a new network namespace with only `lo` (tests/deploy/netns.mjs). There, the server
// offers no ICE candidate at all by default (libnice skips loopback), and with --ice-loopback it
// offers 127.0.0.1 / ::1, so a real Chromium page (--allow-loopback-in-peer-connection) opens its
// DataChannel over loopback, streams a real KSL clip and gets the clip's word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { INSIDE, netnsUnavailable, runInLoopbackNamespace } from './netns.mjs';
import { clipY4m, launchChromium, playClipSequence, repoRoot, startServer } from '../browser/harness.mjs';
import { describeResult, isClipWord, listClips, y4mFrameCount } from '../lib/clips.mjs';
import { WsClient } from '../server/ws-client.mjs';

const OFFER = readFileSync(path.join(repoRoot, 'tests/server/fixtures/chromium-offer.sdp'), 'utf8');
const MODEL = process.env.SUEO_TEST_MODEL || path.join(repoRoot, 'models/sueo-ksl.onnx');

// The server's ICE candidates for an offer, collected for `ms`.
async function offeredCandidates(server, ms = 2500) {
  const ws = await WsClient.connect(server.wsUrl);
  try {
    await ws.type('welcome');
    ws.send({ type: 'offer', sdp: OFFER });
    await ws.type('answer');
    await new Promise((r) => setTimeout(r, ms));
    return ws.messages.filter((m) => m.type === 'candidate').map((m) => m.candidate.candidate).filter(Boolean);
  } finally {
    await ws.close();
  }
}

if (!INSIDE) {
  const why = netnsUnavailable();
  test('loopback-only host (in a network namespace with only lo)', { skip: why ?? false }, async () => {
    const code = await runInLoopbackNamespace(fileURLToPath(import.meta.url), ['--experimental-websocket']);
    assert.equal(code, 0, 'the tests inside the namespace passed');
  });
} else {
  test('the namespace has only loopback', () => {
    const names = Object.keys(networkInterfaces());
    assert.deepEqual(names, ['lo'], `interfaces: ${names}`);
  });

  test('without --ice-loopback the server offers no candidate; with it, 127.0.0.1', async () => {
    const plain = await startServer(['--ice-loopback', '0', '--model', '']);
    try {
      assert.deepEqual(await offeredCandidates(plain), [], 'libnice skips loopback: nothing to offer');
    } finally {
      await plain.stop();
    }
    const loop = await startServer(['--ice-loopback', '1', '--model', '']);
    try {
      const offered = await offeredCandidates(loop);
      assert.ok(offered.some((c) => / 127\.0\.0\.1 \d+ typ host/.test(c)), `candidates: ${offered.join(' | ')}`);
    } finally {
      await loop.stop();
    }
  });

  test('a page streams a real clip over a loopback DataChannel and gets its word', async () => {
    const clip = listClips()[0];
    const y4m = clipY4m(clip.file);
    const server = await startServer(['--ice-loopback', '1', '--model', MODEL]);
    const browser = await launchChromium({ y4m });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
      await page.evaluate(() => window.sueo.prepare());
      const pair = await page.evaluate(async () => {
        const stats = await window.sueo.connection.pc.getStats();
        const byId = new Map();
        stats.forEach((s) => byId.set(s.id, s));
        const transport = [...byId.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
        const selected = transport && byId.get(transport.selectedCandidatePairId);
        return selected && [byId.get(selected.localCandidateId).address, byId.get(selected.remoteCandidateId).address];
      });
      assert.ok(pair, 'a selected candidate pair');
      for (const address of pair) assert.match(address, /^(127\.|::1$)/, `pair ${pair}`);
      const run = await playClipSequence(page, y4mFrameCount(y4m) / 15);
      assert.ok(isClipWord(run.result, clip), `${clip.name}: ${describeResult(run.result)}`);
      assert.equal(run.receipt.frames.received, run.page.sent);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
