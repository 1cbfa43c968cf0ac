// Who may connect and how much a session may ask (issue 11 item 4), on the real server: every refusal
// has its error code, its WebSocket close code and its counter, and the server stays up for the others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, getJson } from '../lib/sueo-server.mjs';
import { WsClient } from './ws-client.mjs';
import { RawWs } from './raw-ws.mjs';

let server;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  server = await startServer(['--max-sessions', '4', '--max-sessions-per-address', '3', '--idle-seconds', '5',
    '--max-messages-per-second', '20', '--ws-max-message', '4096', '--trusted-proxies', '127.0.0.1']);
});
after(async () => { assert.equal(await server.stop(), 0, server.stderr()); });

const health = async () => (await getJson(server.url + 'healthz')).body;
const counter = async (name) => (await health()).counters[name] ?? 0;
const origin = () => server.url.replace(/\/$/, '');

async function waitForActive(n) {
  for (let i = 0; i < 100 && (await health()).sessions.active !== n; i++) await sleep(50);
  assert.equal((await health()).sessions.active, n);
}

test('Origin: the server\'s own pages and non-browser clients get in; other sites and "null" get 403', async () => {
  const before = await counter('errors.forbidden_origin');
  for (const [headers, status] of [[{ Origin: origin() }, 101], [{}, 101], [{ Origin: 'https://evil.example' }, 403],
    [{ Origin: 'null' }, 403], [{ Origin: origin().replace('127.0.0.1', '127.0.0.2') }, 403]]) {
    const ws = await RawWs.connect(server.wsUrl, headers);
    assert.equal(ws.status, status, JSON.stringify(headers));
    ws.destroy();
  }
  assert.equal(await counter('errors.forbidden_origin'), before + 3);
  await waitForActive(0);
});

test('too many sessions: server_busy, then close 1013 with a reason; per address: too_many_sessions', async () => {
  const open = [];
  for (let i = 0; i < 3; i++) {
    const ws = await WsClient.connect(server.wsUrl);
    await ws.type('welcome');
    open.push(ws);
  }
  const fourth = await WsClient.connect(server.wsUrl);  // same address (127.0.0.1): over the per-address limit
  assert.equal((await fourth.error('too_many_sessions')).fatal, true);
  assert.deepEqual(await fourth.closed, { code: 1013, reason: 'too_many_sessions' });
  // Through a trusted proxy (this server trusts 127.0.0.1) the forwarded address counts: a fourth
  // client gets in, and then the server is full.
  const proxied = await RawWs.connect(server.wsUrl, { 'X-Forwarded-For': '192.0.2.1, 10.0.0.9' });
  await waitForActive(4);
  const busy = await RawWs.connect(server.wsUrl, { 'X-Forwarded-For': '10.0.0.10' });
  await busy.closed;
  assert.equal(busy.closeCode, 1013);
  assert.equal(busy.messages.at(-1).text, 'server_busy', 'the close reason');
  assert.equal(busy.json()[0].code, 'server_busy');
  assert.equal(busy.json()[0].fatal, true);
  proxied.destroy();
  await waitForActive(3);
  open[0].send({ type: 'ping', t0: 3 });
  assert.equal((await open[0].type('pong')).t0, 3, 'the open sessions still work');
  await Promise.all(open.map((ws) => ws.close()));
  await waitForActive(0);
});

test('a /ws message above the limit is answered, then closed with 1009, not reset', async () => {
  for (const size of [5000, 16 << 20]) {
    const ws = await WsClient.connect(server.wsUrl);
    await ws.type('welcome');
    ws.send({ type: 'ping', t0: 1, pad: 'x'.repeat(size) });
    const error = await ws.error('message_too_large');
    assert.equal(error.fatal, true);
    const closed = await ws.closed;
    assert.equal(closed.code, 1009, `${size} bytes: close ${JSON.stringify(closed)}`);
  }
  await waitForActive(0);
});

test('a silent session is closed after --idle-seconds; a pinging one stays', async () => {
  const silent = await WsClient.connect(server.wsUrl);
  await silent.type('welcome');
  const pinging = await WsClient.connect(server.wsUrl);
  await pinging.type('welcome');
  const timer = setInterval(() => pinging.send({ type: 'ping', t0: 1 }), 1000);
  const t0 = Date.now();
  const error = await silent.error('idle_timeout', 9000);
  const ms = Date.now() - t0;
  assert.equal(error.fatal, true);
  assert.ok(ms > 4000 && ms < 7000, `closed after ${ms} ms`);
  await silent.closed;
  await sleep(1500);
  clearInterval(timer);
  assert.equal(pinging.ws.readyState, WebSocket.OPEN, 'the pinging session is still open');
  await pinging.close();
  await waitForActive(0);
});

test('a flood gets a few replies and rate_limited, then the session is closed (1008); others are fine', async () => {
  const before = await counter('messages.refused.rate_limited');
  const flood = await RawWs.connect(server.wsUrl);
  await new Promise((r) => setTimeout(r, 100));
  const garbage = Buffer.concat(Array.from({ length: 10000 }, () => RawWs.frame(1, '{"type": "nonsense"}')));
  flood.socket.write(garbage);
  await flood.closed;
  const replies = flood.json();
  assert.equal(flood.closeCode, 1008);
  assert.ok(replies.some((m) => m.code === 'rate_limited' && m.fatal), 'closed for flooding');
  const answered = replies.filter((m) => m.code === 'unknown_type').length;
  assert.ok(answered > 0 && answered <= 45, `${answered} of 10000 garbage messages answered`);
  assert.ok(await counter('messages.refused.rate_limited') > before + 150);
  const other = await WsClient.connect(server.wsUrl);
  await other.type('welcome');
  other.send({ type: 'ping', t0: 9 });
  assert.equal((await other.type('pong')).t0, 9);
  await other.close();
  await waitForActive(0);
});

test('a client that never reads is disconnected once its queue passes the bound', async () => {
  const quick = await startServer(['--max-messages-per-second', '100000', '--ws-max-queued-bytes', '65536']);
  const count = async () => (await getJson(quick.url + 'healthz')).body.counters['errors.slow_client'] ?? 0;
  const lazy = await RawWs.connect(quick.wsUrl);
  lazy.pause();  // reads nothing from now on: the kernel's buffers fill, then the server's queue
  // Pings, each answered with a pong (~70 bytes) the client never reads; loopback's kernel buffers
  // take several MB before the server's own queue grows, so keep sending (at most ~28 MB of pongs).
  const batch = Buffer.concat(Array.from({ length: 20000 }, () => RawWs.frame(1, '{"type":"ping","t0":1}')));
  let slow = 0;
  for (let i = 0; i < 20 && slow === 0; i++) {
    lazy.socket.write(batch);
    await sleep(250);
    slow = await count();
  }
  for (let i = 0; i < 40 && slow === 0; i++) { await sleep(100); slow = await count(); }
  assert.equal(slow, 1, 'counted as a slow client');
  let active = 1;
  for (let i = 0; i < 50 && active > 0; i++) { await sleep(50); active = (await getJson(quick.url + 'healthz')).body.sessions.active; }
  assert.equal(active, 0, 'its session is gone');
  lazy.destroy();
  assert.equal(await quick.stop(), 0);
});
