// TURN relay through Debian's coturn on 127.0.0.1 (deploy/coturn/turnserver-loopback.conf, TURN REST
// credentials): `sueo serve --turn-uris … --turn-secret …` hands each page its own time-limited
// credentials in welcome.ice_servers; coturn accepts exactly those (a wrong secret or an expired
// name gets 401); and a page forced to relay-only ICE (?ice=relay, no WebSocket fallback) streams a
// real clip through the relay — over UDP, TCP and TLS (the 443-style path for networks that block
// UDP) — and gets the clip's word. The production config (deploy/coturn/turnserver.conf, run here
// with its ports, secret and certificate overridden on the command line) relays nothing to the
// loopback instance: its denied peer ranges hold, and the page falls back to the WebSocket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { clipY4m, launchChromium, playClipSequence, repoRoot, startServer, tempDir } from '../browser/harness.mjs';
import { describeResult, isClipWord, listClips, y4mFrameCount } from '../lib/clips.mjs';
import { coturnMissing, startCoturn, turnRestCredential } from '../lib/coturn.mjs';

const skip = coturnMissing();
const MODEL = process.env.SUEO_TEST_MODEL || path.join(repoRoot, 'models/sueo-ksl.onnx');
const TTL_S = 600;
const clips = listClips();
let turn;
const cleanup = [];

before(async () => {
  if (!skip) turn = await startCoturn();
});
after(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
  await turn?.stop();
});

async function sueoWith(uris, how = 'flag', extra = []) {
  const args = ['--model', MODEL, '--turn-uris', uris.join(','), '--turn-ttl', String(TTL_S), ...extra];
  if (how === 'flag') args.push('--turn-secret', turn.secret);
  if (how === 'file') {
    const file = path.join(tempDir('sueo-turn-'), 'secret');
    writeFileSync(file, `${turn.secret}\n`, { mode: 0o600 });
    args.push('--turn-secret-file', file);
  }
  const server = await startServer(args);
  cleanup.push(() => server.stop());
  return server;
}

async function pageOf(server, { y4m, query = '' } = {}) {
  const browser = await launchChromium({ y4m });
  cleanup.push(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`${server.url}/${query}`);
  await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
  return page;
}

// ICE candidates a fresh relay-only peer connection gathers with these ICE servers (in the page).
function relayCandidates(page, iceServers) {
  return page.evaluate(async (iceServers) => {
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
    pc.createDataChannel('probe');
    const found = [];
    const errors = [];
    pc.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) found.push(e.candidate.candidate); };
    pc.onicecandidateerror = (e) => errors.push(e.errorCode);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 10000);
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); } };
    });
    pc.close();
    return { relay: found.filter((c) => / typ relay /.test(c)), errors };
  }, iceServers);
}

test('welcome.ice_servers carries this session\'s TURN REST credentials, and coturn takes only those', { skip }, async () => {
  const server = await sueoWith([turn.uris.udp], 'file');
  const page = await pageOf(server);
  const welcome = await page.evaluate(() => window.sueo.connection.welcome);
  const entry = welcome.ice_servers.find((s) => s.username);
  assert.ok(entry, JSON.stringify(welcome.ice_servers));
  assert.deepEqual(entry.urls, [turn.uris.udp]);
  const [expiry, label] = entry.username.split(':');
  assert.equal(label, welcome.session, 'the user name names the session');
  const now = Date.now() / 1000;
  assert.ok(Math.abs(Number(expiry) - (now + TTL_S)) < 10, `expiry ${expiry}, now ${now}`);
  assert.equal(entry.credential, turnRestCredential(turn.secret, welcome.session, Number(expiry)).credential,
    'HMAC-SHA1(secret, user name), base64');

  const good = await relayCandidates(page, [entry]);
  assert.ok(good.relay.length > 0, `a relay candidate with the welcome's credentials: ${JSON.stringify(good)}`);
  const wrong = await relayCandidates(page, [{ ...entry, ...turnRestCredential('not-the-secret', 'x', Number(expiry)) }]);
  assert.deepEqual(wrong.relay, [], 'a wrong secret gets no relay');
  assert.ok(wrong.errors.includes(401), JSON.stringify(wrong.errors));
  const expired = await relayCandidates(page, [{ urls: entry.urls, ...turnRestCredential(turn.secret, 'x', Math.floor(now) - 5) }]);
  assert.deepEqual(expired.relay, [], 'an expired user name gets no relay');
});

// Relay-only, DataChannel only (no fallback): the frames go page → coturn → sueo.
// Clips the spotter and the unknown-sign threshold name reliably (not 나/얼굴/보다 of signer 11, which sit
// at the threshold in the browser path: docs/spotting.md); these tests are about the relay.
for (const [kind, clipLabel, how] of [['udp', 'hi', 'flag'], ['tcp', 'bi_bim_rice', 'flag'], ['tls', 'hi', 'env']]) {
  test(`a page forced to relay-only ICE through coturn (TURN over ${kind.toUpperCase()}) gets its word`, { skip }, async () => {
    const clip = clips.find((c) => c.label === clipLabel);
    const y4m = clipY4m(clip.file);
    let server;
    if (how === 'env') {
      // The secret from the environment (what a container or a Kubernetes Secret gives).
      const previous = process.env.SUEO_TURN_SECRET;
      process.env.SUEO_TURN_SECRET = turn.secret;
      try {
        server = await sueoWith([turn.uris[kind]], 'env');
      } finally {
        if (previous === undefined) delete process.env.SUEO_TURN_SECRET; else process.env.SUEO_TURN_SECRET = previous;
      }
    } else {
      server = await sueoWith([turn.uris[kind]], how);
    }
    const page = await pageOf(server, { y4m, query: '?ice=relay&transport=datachannel' });
    await page.evaluate(() => window.sueo.prepare());
    const pair = await page.evaluate(async () => {
      const stats = await window.sueo.connection.pc.getStats();
      const byId = new Map();
      stats.forEach((s) => byId.set(s.id, s));
      const transport = [...byId.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const selected = transport && byId.get(transport.selectedCandidatePairId);
      const local = selected && byId.get(selected.localCandidateId);
      return local && { type: local.candidateType, relayProtocol: local.relayProtocol, transport: window.sueo.connection.transport };
    });
    assert.deepEqual(pair, { type: 'relay', relayProtocol: kind, transport: 'datachannel' });
    const run = await playClipSequence(page, y4mFrameCount(y4m) / 15);
    assert.equal(run.receipt.frames.received, run.page.sent);
    assert.ok(isClipWord(run.result, clip), `${clip.name}: ${describeResult(run.result)}`);
  });
}

test('the production coturn config refuses to relay to a loopback (private) peer', { skip }, async () => {
  const production = await startCoturn({ config: path.join(repoRoot, 'deploy/coturn/turnserver.conf') });
  cleanup.push(() => production.stop());
  const args = ['--model', '', '--turn-uris', production.uris.udp, '--turn-secret', production.secret,
    '--datachannel-timeout-ms', '2000', '--ice-addresses', '127.0.0.1'];
  const server = await startServer(args);
  cleanup.push(() => server.stop());
  const page = await pageOf(server, { query: '?ice=relay' });
  const welcome = await page.evaluate(() => window.sueo.connection.welcome);
  const relay = await relayCandidates(page, welcome.ice_servers);
  assert.ok(relay.relay.length > 0, `the production config does allocate relays: ${JSON.stringify(relay)}`);
  await page.evaluate(() => window.sueo.prepare());
  const conn = await page.evaluate(() => ({ transport: window.sueo.connection.transport, why: window.sueo.connection.fallbackReason }));
  // The same page and server through the loopback config open a relayed channel (the tests above):
  // here the relay exists but may not reach 127.0.0.1, so the page falls back to /ws.
  assert.equal(conn.transport, 'websocket', 'no relayed DataChannel to 127.0.0.1');
  assert.match(conn.why, /did not open|peer connection failed/);
});
