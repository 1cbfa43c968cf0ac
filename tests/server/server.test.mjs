// The real `sueo serve` binary on 127.0.0.1: pages, /healthz, /ca, and every kind of bad input on /ws.
// Each bad input must get a JSON error with its code, a counter in /healthz, and leave the server up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, getJson, repoRoot } from '../lib/sueo-server.mjs';
import { WsClient } from './ws-client.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const offerSdp = readFileSync(join(here, 'fixtures', 'chromium-offer.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
let server;

before(async () => { server = await startServer(['--max-sessions', '3', '--ws-max-message', '4096']); });
after(async () => {
  if (process.env.SUEO_TEST_VERBOSE) console.log(server.stderr());
  const code = await server.stop();
  assert.equal(code, 0, `server should exit cleanly on SIGTERM; stderr:\n${server.stderr()}`);
});

async function health() { return (await getJson(server.url + 'healthz')).body; }

test('serves the page, the vendor script and 404s', async () => {
  const page = await fetch(server.url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  assert.equal(await page.text(), readFileSync(join(repoRoot, 'web', 'index.html'), 'utf8'));
  const adapter = await fetch(server.url + 'vendor/adapter.js');
  assert.equal(adapter.status, 200);
  assert.match(adapter.headers.get('content-type'), /javascript/);
  assert.equal((await fetch(server.url + 'no-such-file.js')).status, 404);
  assert.equal((await fetch(server.url + '%2e%2e/CMakeLists.txt')).status, 404);
  assert.equal((await fetch(server.url, { method: 'POST', body: 'x' })).status, 405);
});

test('/healthz reports sessions, frames and errors', async () => {
  const body = await health();
  assert.equal(body.status, 'ok');
  assert.equal(typeof body.sessions.active, 'number');
  assert.equal(body.sessions.max, 3);
  for (const reason of ['incomplete', 'duplicate', 'oversized', 'out_of_range', 'bad_jpeg', 'overloaded']) {
    assert.equal(typeof body.frames.dropped[reason], 'number', `frames.dropped.${reason}`);
  }
  assert.equal(typeof body.errors, 'object');
});

test('/ca serves the public root CA and a page, never a key', async () => {
  const page = await fetch(server.url + 'ca');
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Certificate Trust Settings/);
  const pem = await fetch(server.url + 'ca/rootCA.pem');
  assert.equal(pem.status, 200);
  const text = await pem.text();
  assert.equal(text, readFileSync(server.ca, 'utf8'));
  assert.doesNotMatch(text, /PRIVATE KEY/);
  const der = await fetch(server.url + 'ca/rootCA.cer');
  assert.equal(der.status, 200);
  assert.equal(new Uint8Array(await der.arrayBuffer())[0], 0x30, 'DER starts with a SEQUENCE');
  assert.equal((await fetch(server.url + 'ca/rootCA-key.pem')).status, 404);
});

test('welcome carries the page configuration', async () => {
  const ws = await WsClient.connect(server.wsUrl);
  const welcome = await ws.type('welcome');
  assert.match(welcome.session, /\S+/);
  assert.deepEqual(
    { fps: welcome.config.fps, width: welcome.config.width, height: welcome.config.height },
    { fps: 15, width: 640, height: 480 });
  assert.equal(welcome.config.jpeg_quality, 0.7);
  assert.equal(welcome.config.sequence_seconds, 10);
  assert.ok(Array.isArray(welcome.ice_servers));
  await ws.close();
});

test('bad input on /ws gets an error with a code, and is counted', async () => {
  const before = (await health()).errors;
  const ws = await WsClient.connect(server.wsUrl);
  await ws.type('welcome');
  const cases = [
    ['{"type":', 'bad_json'],
    ['[1,2,3]', 'bad_message'],
    [{ type: 42 }, 'bad_message'],
    [{ type: 'hello' }, 'unknown_type'],
    [{ type: 'renegotiate', renegotiate: true }, 'unknown_type'],
    [{ type: 'offer' }, 'bad_message'],
    [{ type: 'ping' }, 'bad_message'],
    [{ type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } }, 'no_offer'],
    [{ type: 'offer', sdp: 'hello' }, 'bad_sdp'],
    [{ type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n' }, 'bad_sdp'],
  ];
  for (const [message, code] of cases) {
    ws.send(message);
    const error = await ws.error(code);
    assert.equal(typeof error.message, 'string', `${code} has a message`);
    assert.ok(error.message.length > 5);
  }
  ws.ws.send(new Uint8Array([1, 2, 3]));  // a binary /ws message is a frame chunk (the fallback): too short
  await ws.error('bad_chunk');

  const pong = await (ws.send({ type: 'ping', t0: 1234.5 }), ws.type('pong'));
  assert.equal(pong.t0, 1234.5);
  assert.ok(pong.t1 > 1.6e12 && pong.t2 >= pong.t1);

  ws.send({ type: 'offer', sdp: offerSdp });
  const answer = await ws.type('answer', 10000);
  assert.match(answer.sdp, /^v=0/);
  assert.match(answer.sdp, /webrtc-datachannel/);
  assert.match(answer.sdp, /a=setup:active/);
  ws.send({ type: 'offer', sdp: offerSdp });
  await ws.error('second_offer');
  for (const candidate of [{ candidate: 'garbage', sdpMid: '0', sdpMLineIndex: 0 },
    { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: 'nope', sdpMLineIndex: 7 },
    { candidate: 5 }]) {
    ws.send({ type: 'candidate', candidate });
    await ws.error('bad_candidate');
  }
  ws.send({ type: 'candidate', candidate: 'not an object' });
  await ws.error('bad_candidate');
  ws.send({ type: 'candidate', candidate: { candidate: 'candidate:842163049 1 udp 1677729535 127.0.0.1 50000 typ srflx raddr 0.0.0.0 rport 0 generation 0', sdpMid: '0', sdpMLineIndex: 0 } });
  ws.send({ type: 'candidate', candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: 0 } });
  ws.send({ type: 'ping', t0: 1 });
  await ws.type('pong');  // the good candidates above were accepted without an error
  assert.equal(ws.messages.filter((m) => m.type === 'error').length, 0, JSON.stringify(ws.messages));

  ws.send({ type: 'ping', t0: 1, pad: 'x'.repeat(5000) });
  const tooLarge = await ws.error('message_too_large');
  assert.equal(tooLarge.fatal, true);
  const closed = await ws.closed;
  assert.equal(closed.code, 1009);

  const after = (await health()).errors;
  for (const code of ['bad_json', 'bad_message', 'bad_chunk', 'unknown_type', 'no_offer', 'bad_sdp', 'second_offer', 'bad_candidate', 'message_too_large']) {
    assert.ok((after[code] ?? 0) > (before[code] ?? 0), `errors.${code} counted`);
  }
});

test('too many sessions: the next one gets server_busy, the others keep working', async () => {
  const open = [];
  for (let i = 0; i < 3; i++) {
    const ws = await WsClient.connect(server.wsUrl);
    await ws.type('welcome');
    open.push(ws);
  }
  const extra = await WsClient.connect(server.wsUrl);
  const busy = await extra.error('server_busy');
  assert.equal(busy.fatal, true);
  assert.deepEqual(await extra.closed, { code: 1013, reason: 'server_busy' }, '1013: try again later');
  assert.equal((await health()).sessions.active, 3);
  open[0].send({ type: 'ping', t0: 7 });
  assert.equal((await open[0].type('pong')).t0, 7);
  await Promise.all(open.map((ws) => ws.close()));
  for (let i = 0; i < 50 && (await health()).sessions.active > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await health()).sessions.active, 0, 'closed sessions are torn down');
  const again = await WsClient.connect(server.wsUrl);
  await again.type('welcome');
  await again.close();
});

test('a session torn down mid-negotiation does not disturb the server', async () => {
  for (let i = 0; i < 5; i++) {
    const ws = await WsClient.connect(server.wsUrl);
    await ws.type('welcome');
    ws.send({ type: 'offer', sdp: offerSdp });
    if (i % 2) await ws.type('answer', 10000);
    await ws.close();
  }
  const body = await health();
  assert.equal(body.status, 'ok');
});
