// Session churn against a real `sueo serve` on 127.0.0.1, to see what opening and closing WebRTC
// sessions does to everyone else: N Chromium pages each connect (WebSocket, offer/answer, DataChannel
// open) and close again, over and over, while one more WebSocket client pings every 10 ms. Prints the
// ping round trips (p50 / p99 / max: the main loop's stalls show here, since every pong is sent from
// it) and the server's own figures from /metrics (longest main loop lag, peer teardown times).
//
//   node tools/bench/churn.mjs [--pages 3] [--seconds 30] [--binary build/sueo]
// The last line is JSON.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { startServer, testCertificate } from '../../tests/lib/sueo-server.mjs';
import { launchChromium } from '../../tests/lib/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    pages: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '30' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('node tools/bench/churn.mjs [--pages 3] [--seconds 30]   (SUEO_BINARY=... picks the server)');
  process.exit(0);
}
// Node reads NODE_EXTRA_CA_CERTS (the test CA) and the WebSocket flag only at start: run again with them.
if (!process.env.NODE_EXTRA_CA_CERTS || typeof WebSocket === 'undefined') {
  const child = spawnSync(process.execPath, ['--experimental-websocket', ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: testCertificate().ca, NODE_NO_WARNINGS: '1' },
  });
  process.exit(child.status ?? 1);
}

const percentile = (values, p) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function metric(server, name) {
  const text = await (await fetch(server.url + 'metrics')).text();
  const lines = text.split('\n').filter((l) => l.startsWith(name));
  return lines;
}

// The pinger sends 100 messages a second: above the default per-session rate limit.
const server = await startServer(['--max-sessions', '64', '--max-sessions-per-address', '0', '--model', '',
  '--max-messages-per-second', '1000'], { shedding: true });
const browser = await launchChromium();
const rawPeer = readFileSync(join(here, '../../tests/server/raw-peer.js'), 'utf8');
const seconds = Number(opts.seconds);
const deadline = Date.now() + seconds * 1000;
let churned = 0;
let failed = 0;
const within = (promise, ms) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);

// The pinger: a plain WebSocket, one ping every 10 ms, round trips in ms.
const rtts = [];
const pinger = new WebSocket(server.wsUrl);
await new Promise((r) => pinger.addEventListener('open', r, { once: true }));
pinger.addEventListener('message', (event) => {
  const m = JSON.parse(event.data);
  if (m.type === 'pong') rtts.push(performance.now() - m.t0);
});
const timer = setInterval(() => pinger.send(JSON.stringify({ type: 'ping', t0: performance.now() })), 10);

async function churn() {
  const page = await browser.newPage();
  await page.goto(server.url + 'healthz');
  await page.addScriptTag({ content: rawPeer });
  while (Date.now() < deadline) {
    try {
      await within(page.evaluate((wsUrl) => window.rawPeer.connect(wsUrl), server.wsUrl), 10000);
      await new Promise((r) => setTimeout(r, 200));
      churned += 1;
    } catch {
      failed += 1;  // the channel did not open in 10 s: counted, and the page starts over
    }
    await page.evaluate(() => window.rawPeer.close()).catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.close();
}
await Promise.all(Array.from({ length: Number(opts.pages) }, churn));
clearInterval(timer);
await new Promise((r) => setTimeout(r, 500));
const lagMax = (await metric(server, 'sueo_main_loop_lag_max_seconds')).map((l) => Number(l.split(' ')[1]))[0];
const teardown = await metric(server, 'sueo_peer_teardown_seconds');
const teardownSum = Number(teardown.find((l) => l.startsWith('sueo_peer_teardown_seconds_sum'))?.split(' ')[1] ?? NaN);
const teardownCount = Number(teardown.find((l) => l.startsWith('sueo_peer_teardown_seconds_count'))?.split(' ')[1] ?? NaN);
pinger.close();
await browser.close();
await server.stop();
if (process.env.CHURN_DUMP) console.error(server.stderr());
const logged = (server.stderr().match(/peer teardown took (\d+) ms/g) ?? []).map((s) => Number(/(\d+)/.exec(s)[1]));
const result = {
  pages: Number(opts.pages), seconds, sessions_churned: churned, sessions_failed: failed, pings: rtts.length,
  ping_rtt_ms_p50: +percentile(rtts, 50).toFixed(2), ping_rtt_ms_p99: +percentile(rtts, 99).toFixed(2),
  ping_rtt_ms_max: +Math.max(...rtts).toFixed(2), server_loop_lag_max_ms: +(lagMax * 1000).toFixed(1),
  peer_teardown_ms_mean: teardownCount > 0 ? +((teardownSum / teardownCount) * 1000).toFixed(1) : null,
  main_loop_teardowns_over_50ms: logged.length, loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
};
console.log(`churned ${churned} sessions in ${seconds} s with ${opts.pages} pages; ping RTT p50 ${result.ping_rtt_ms_p50} ms, ` +
  `p99 ${result.ping_rtt_ms_p99} ms, max ${result.ping_rtt_ms_max} ms; server main loop lag max ${result.server_loop_lag_max_ms} ms`);
console.log(JSON.stringify(result));
