// What a session costs in memory, and whether it comes back: a real `sueo serve` (with the model) on
// 127.0.0.1, its RSS from /proc after start, with N idle WebSocket sessions, with N sessions that also
// have a WebRTC peer (Chromium), after each of them streamed one short sequence of real frames, and
// after they all closed.
//
//   node tools/bench/session_memory.mjs [--sessions 7] [--frames 30]
// Prints a table (MB) and, last, one JSON line.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { startServer, testCertificate } from '../../tests/lib/sueo-server.mjs';
import { launchChromium } from '../../tests/lib/chromium.mjs';
import { clipFrames } from '../../tests/lib/clip-frames.mjs';

if (!process.env.NODE_EXTRA_CA_CERTS || typeof WebSocket === 'undefined') {
  const child = spawnSync(process.execPath, ['--experimental-websocket', ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: testCertificate().ca, NODE_NO_WARNINGS: '1' },
  });
  process.exit(child.status ?? 1);
}
const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({ options: { sessions: { type: 'string', default: '7' }, frames: { type: 'string', default: '30' } } });
const n = Number(opts.sessions);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = await startServer(['--max-sessions', String(n + 2), '--max-sessions-per-address', '0',
  '--max-messages-per-second', '1000', '--idle-seconds', '3600'].concat(process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : []), { shedding: true });
const rssMb = () => {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
};
const rows = [];
const note = async (label) => { await sleep(3500);  // past the trim 2 s after a close
  rows.push({ label, rss_mb: +rssMb().toFixed(1) }); };

await note('started');
const sockets = [];
for (let i = 0; i < n; i++) {
  const ws = new WebSocket(server.wsUrl);
  await new Promise((r) => ws.addEventListener('message', r, { once: true }));  // welcome
  sockets.push(ws);
}
await note(`${n} idle WebSocket sessions`);
for (const ws of sockets) ws.close();
await note('they closed');

const browser = await launchChromium();
const pages = [];
for (let i = 0; i < n; i++) {
  const page = await browser.newPage();
  await page.goto(server.url + 'healthz');
  await page.addScriptTag({ content: readFileSync(join(here, '../../tests/server/raw-peer.js'), 'utf8') });
  await page.evaluate((wsUrl) => window.rawPeer.connect(wsUrl), server.wsUrl);
  pages.push(page);
}
await note(`${n} sessions with a WebRTC peer, idle`);
const frames = clipFrames(Number(opts.frames));
for (const page of pages) {
  await page.evaluate(async (frames) => {
    const peer = window.rawPeer;
    peer.start(1, frames.length);
    frames.forEach((f, i) => peer.chunks(1, i, new Uint8Array(f)).forEach((m) => peer.send(m)));
    peer.sendJson({ type: 'sequence-end', seq: 1, frames: frames.length });
  }, frames);
}
for (const page of pages) {
  await page.waitForFunction(() => window.rawPeer.messages.some((m) => m.type === 'result' || (m.type === 'receipt' && m.seq === 1)), null, { timeout: 120000 });
}
await note(`the ${n} streamed one ${frames.length}-frame sequence each`);
for (const page of pages) await page.evaluate(() => window.rawPeer.close());
await note('they closed');
await browser.close();
await server.stop();
const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
for (const row of rows) console.log(`${row.label.padEnd(48)} ${row.rss_mb.toFixed(1).padStart(8)} MB`);
console.log(JSON.stringify({ sessions: n, rows, loadavg }));
