#!/usr/bin/env node
// What a large POST /api/recognize costs everyone else: a /ws client pings the server every 25 ms
// while another process uploads a --mb MB form (bytes that are not a video: the answer is bad_video,
// which is beside the point) to a real `sueo serve`. Prints the ping round trips during the upload
// (the main loop's stall: /ws, signaling and DataChannel callbacks all wait on it), the server's own
// longest main-loop lag (/healthz), and the server's resident memory: before, peak while the upload
// is received and written, and its high-water mark.
//
//   node tools/bench/upload-stall.mjs [--mb 150] [--runs 1] [--server-args="--upload-max-mb 400"]
//
// Give the load average beside the figures (cat /proc/loadavg). Needs build/sueo and models/.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDir, getJson, startServer, testCertificate } from '../../tests/lib/sueo-server.mjs';
import { WsClient } from '../../tests/server/ws-client.mjs';
import { percentile, round } from './common.mjs';

const { values: opts } = parseArgs({
  options: {
    mb: { type: 'string', default: '150' },
    runs: { type: 'string', default: '1' },
    'server-args': { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('node tools/bench/upload-stall.mjs [--mb 150] [--runs 1] [--server-args="..."]');
  process.exit(0);
}
// Node reads NODE_EXTRA_CA_CERTS (the test CA) and the WebSocket flag only at start: run again with them.
if (!process.env.NODE_EXTRA_CA_CERTS || typeof WebSocket === 'undefined') {
  const child = spawnSync(process.execPath, ['--experimental-websocket', ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: testCertificate().ca, NODE_NO_WARNINGS: '1' },
  });
  process.exit(child.status ?? 1);
}

const mb = Number(opts.mb);
const kib = (pid, field) => {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : NaN;
};

// A separate process sends the upload, so that its TLS work does not delay this process's pings.
function uploadInChild(url, file) {
  const script = `
    const { openAsBlob } = require('node:fs');
    (async () => {
      const form = new FormData();
      form.append('video', await openAsBlob(process.argv[2], { type: 'video/mp4' }), 'big.mp4');
      const r = await fetch(process.argv[1] + 'api/recognize', { method: 'POST', body: form });
      console.log(JSON.stringify({ status: r.status, body: await r.json() }));
    })().catch((e) => { console.log(JSON.stringify({ error: String(e) })); });`;
  const child = spawn(process.execPath, ['-e', script, url, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  return new Promise((resolve) => child.on('exit', () => resolve(JSON.parse(out || '{}'))));
}

const file = path.join(buildDir, `upload_stall_${mb}mb.bin`);
const block = Buffer.alloc(1 << 20);
for (let i = 0; i < block.length; i++) block[i] = (i * 7919) & 0xff;
writeFileSync(file, Buffer.concat(Array.from({ length: mb }, () => block)));

const extra = opts['server-args'].split(' ').filter(Boolean);
const server = await startServer(['--upload-max-mb', String(Math.max(200, mb + 1)), ...extra], { shedding: true });
const pid = server.child.pid;
const rows = [];
try {
  const ws = await WsClient.connect(server.wsUrl);
  await ws.type('welcome');
  for (let run = 0; run < Number(opts.runs); run++) {
    const rssBefore = kib(pid, 'VmRSS');
    const rtts = [];
    let peakRss = rssBefore;
    const pinger = setInterval(() => {
      const t0 = performance.now();
      ws.send({ type: 'ping', t0 });
      ws.next((m) => m.type === 'pong' && m.t0 === t0, 60000).then(() => rtts.push(performance.now() - t0), () => {});
      peakRss = Math.max(peakRss, kib(pid, 'VmRSS'));
    }, 25);
    const started = performance.now();
    const answer = await uploadInChild(server.url, file);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(pinger);
    await new Promise((r) => setTimeout(r, 200));
    const health = (await getJson(server.url + 'healthz')).body;
    rows.push({
      run, mb, status: answer.status ?? answer.error, code: answer.body?.error?.code, seconds: round(seconds),
      pings: rtts.length, ping_p50_ms: round(percentile(rtts, 50), 1), ping_p99_ms: round(percentile(rtts, 99), 1),
      ping_max_ms: round(Math.max(...rtts), 1), loop_max_lag_ms: round(health.main_loop?.max_lag_ms, 1),
      rss_before_mb: round(rssBefore / 1024, 1), rss_peak_mb: round(peakRss / 1024, 1), hwm_mb: round(kib(pid, 'VmHWM') / 1024, 1),
    });
  }
  await ws.close();
} finally {
  await server.stop();
  rmSync(file, { force: true });
}
console.table(rows);
console.log(`loadavg ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
console.log(JSON.stringify(rows));
