// Connections that end badly or never start must not stay open: the real `sueo serve` on 127.0.0.1,
// its open file descriptors read from /proc. Regression tests for issue 11's fd leak (idle keep-alive
// HTTPS connections the client closed stayed in CLOSE_WAIT forever) and missing HTTP timeouts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { startServer, getJson } from '../lib/sueo-server.mjs';
import { WsClient } from './ws-client.mjs';

const kTimeoutS = 1;
let server;

before(async () => { server = await startServer(['--http-timeout-seconds', String(kTimeoutS)]); });
after(async () => { assert.equal(await server.stop(), 0, server.stderr()); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const openFds = () => readdirSync(`/proc/${server.child.pid}/fd`).length;
const port = () => Number(new URL(server.url).port);

// Polls until `predicate()` holds or `ms` pass; returns the last value of `read()`.
async function settle(read, predicate, ms) {
  const end = Date.now() + ms;
  let value = read();
  while (!predicate(value) && Date.now() < end) { await sleep(50); value = read(); }
  return value;
}

// Resolves with the milliseconds until the server closes `socket`.
function closedAfter(socket) {
  const start = Date.now();
  return new Promise((resolve) => socket.once('close', () => resolve(Date.now() - start)));
}

function get(path, agent) {
  return new Promise((resolve, reject) => {
    https.get(server.url + path.replace(/^\//, ''), { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    }).on('error', reject);
  });
}

test('keep-alive HTTPS clients that go away leave no socket behind', async () => {
  await getJson(server.url + 'healthz');
  await sleep(300);
  const baseline = openFds();
  const agent = new https.Agent({ keepAlive: true, maxSockets: 3 });
  const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => get(i % 2 ? '/healthz' : '/', agent)));
  for (const res of responses) assert.equal(res.statusCode, 200);
  assert.equal(responses[0].headers.connection, 'close', 'the server closes after each response');
  agent.destroy();  // what an exiting browser does to its idle connections
  const after = await settle(openFds, (n) => n <= baseline, 6000);
  assert.ok(after <= baseline, `open fds ${after} after the clients left, ${baseline} before`);
});

test('a TCP connection that never starts TLS is closed after the timeout', async () => {
  const socket = net.connect(port(), '127.0.0.1');
  socket.on('error', () => {});
  const ms = await closedAfter(socket);
  // GLib's whole-second timers are coalesced onto a shared second boundary and may fire up to a
  // quarter of a second early (seen: 843 ms for 1 s), never much later.
  assert.ok(ms >= kTimeoutS * 1000 - 300 && ms < kTimeoutS * 1000 + 3000, `closed after ${ms} ms`);
});

test('a request whose headers trickle in is cut off at the deadline', async () => {
  const before = (await getJson(server.url + 'healthz')).body.counters['errors.http_timeout'] ?? 0;
  const socket = tls.connect({ port: port(), host: '127.0.0.1', servername: 'localhost' });
  socket.on('error', () => {});
  await new Promise((r) => socket.once('secureConnect', r));
  const closed = closedAfter(socket);
  socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
  // One header byte every 300 ms: never idle long enough for a plain idle timeout.
  const trickle = setInterval(() => { if (!socket.destroyed) socket.write('X'); }, 300);
  const ms = await closed;
  clearInterval(trickle);
  assert.ok(ms < kTimeoutS * 1000 + 3000, `closed after ${ms} ms`);
  const counted = (await getJson(server.url + 'healthz')).body.counters['errors.http_timeout'];
  assert.ok(counted > before, 'errors.http_timeout counted');
});

test('a /ws session outlives the HTTP timeout', async () => {
  const ws = await WsClient.connect(server.wsUrl);
  await ws.type('welcome');
  await sleep(kTimeoutS * 1000 + 1200);
  ws.send({ type: 'ping', t0: 5 });
  assert.equal((await ws.type('pong')).t0, 5);
  await ws.close();
});
