// Soak: a real `sueo serve` (with the model) on 127.0.0.1 for a bounded time under a steady mix of
// load, churn and bad input, sampled every --interval seconds, judged at the end (issue 11 item 6):
//  - --streams pages streaming real KSL clips back to back (sueo-loadgen: browserless webrtcbin pages
//    speaking the page's protocol, checking every receipt and word);
//  - every --vanish-seconds a client opens a session, starts a sequence, sends part of it and vanishes
//    (a sueo-loadgen process killed with SIGKILL: no close frame, no SCTP shutdown);
//  - every few seconds bad input: garbage and oversized /ws messages, a flood, a bad Origin, a TCP
//    connection that never starts TLS, half-sent HTTP headers, a client that connects and stays silent.
// Samples: the server's RSS, open fds and threads (/proc) and its /metrics. Passes when RSS grew < 5 %
// from the end of the warm-up, fds and threads did not grow (at equal session counts, and back to the
// idle start once all closed), every stream got its words, and the
// server never crashed (it exits 0 on SIGTERM at the end).
//
//   tools/soak/run [--minutes 30] [--streams 3] [--interval 30] [--loadgen build/sueo-loadgen]
// Writes build/soak/series.jsonl (one sample per line) and prints the series; the last line is JSON.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, mkdirSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, testCertificate, repoRoot, buildDir } from '../../tests/lib/sueo-server.mjs';
import { RawWs } from '../../tests/server/raw-ws.mjs';

if (!process.env.NODE_EXTRA_CA_CERTS || typeof WebSocket === 'undefined') {
  const child = spawnSync(process.execPath, ['--experimental-websocket', ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: testCertificate().ca, NODE_NO_WARNINGS: '1' },
  });
  process.exit(child.status ?? 1);
}

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    streams: { type: 'string', default: '3' },
    interval: { type: 'string', default: '30' },
    'warmup-minutes': { type: 'string', default: '5' },
    'vanish-seconds': { type: 'string', default: '6' },
    loadgen: { type: 'string', default: join(buildDir, 'sueo-loadgen') },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
  process.exit(0);
}
if (!existsSync(opts.loadgen)) {
  console.error(`no load generator at ${opts.loadgen} (build the sueo-loadgen target, or pass --loadgen)`);
  process.exit(2);
}
const minutes = Number(opts.minutes);
const intervalMs = Number(opts.interval) * 1000;
const warmupMs = Math.min(Number(opts['warmup-minutes']) * 60000, minutes * 60000 / 3);
const outDir = join(buildDir, 'soak');
mkdirSync(outDir, { recursive: true });
const seriesFile = join(outDir, 'series.jsonl');
writeFileSync(seriesFile, '');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (text) => console.log(`${new Date().toISOString().slice(11, 19)} ${text}`);

const server = await startServer(['--max-sessions', '24', '--max-sessions-per-address', '0', '--workers', '2'], { shedding: true });
const pid = server.child.pid;
let serverExit = null;
server.child.on('exit', (code, signal) => { serverExit = code ?? signal; });
const port = Number(new URL(server.url).port);
const vocabulary = join(repoRoot, 'models', 'vocabulary.json');
const clips = join(repoRoot, 'tests', 'data', 'clips');
const loadgenArgs = ['--url', server.url, '--ca-cert', resolve(server.ca), '--clips', clips, '--vocabulary', vocabulary];
const started = Date.now();
const endAt = started + minutes * 60000;

// --- the streams
const streams = spawn(opts.loadgen, [...loadgenArgs, '--streams', opts.streams,
  '--seconds', String(Math.max(10, minutes * 60 - 45)), '--server-pid', String(pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
let streamsOut = '';
let streamsErr = '';
streams.stdout.on('data', (d) => { streamsOut += d; });
streams.stderr.on('data', (d) => { streamsErr = (streamsErr + d).slice(-20000); });
let streamsEnded = null;  // ms since start when the streams stopped
const streamsDone = new Promise((r) => streams.on('exit', (code) => { streamsEnded = Date.now() - started; r(code); }));

// --- clients that vanish mid-sequence
let vanished = 0;
async function vanishers() {
  while (Date.now() < endAt - 30000 && serverExit === null) {
    const child = spawn(opts.loadgen, [...loadgenArgs, '--streams', '1', '--seconds', '30', '--check-words', '0'],
      { stdio: 'ignore' });
    // Long enough to open the channel and be inside a sequence; then gone without a word.
    await sleep(2500 + Math.random() * 2500);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    vanished += 1;
    await sleep(Math.max(0, Number(opts['vanish-seconds']) * 1000 - 5000));
  }
}

// --- bad input
let badRounds = 0;
function rawTcp(ms) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    setTimeout(() => { socket.destroy(); resolve(); }, ms);
  });
}
function halfRequest(ms) {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost' });
    socket.on('error', () => {});
    socket.on('secureConnect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: local'));
    setTimeout(() => { socket.destroy(); resolve(); }, ms);
  });
}
async function badInput() {
  const garbage = ['{"type":', '[]', '{"type":"nope"}', '{"type":"offer"}', '{"type":"candidate","candidate":7}',
    '{"type":"ping","t0":"x"}', '\u0000\u0001', '{"type":"sequence-start","seq":-1}'];
  while (Date.now() < endAt - 15000 && serverExit === null) {
    try {
      const ws = await RawWs.connect(server.wsUrl);
      for (const text of garbage) ws.sendText(text);
      ws.socket.write(RawWs.frame(2, Buffer.from([1, 2, 3])));
      ws.sendText(JSON.stringify({ type: 'ping', t0: 1, pad: 'x'.repeat(100000) }));  // too large: 1009
      await Promise.race([ws.closed, sleep(3000)]);
      ws.destroy();
      const flood = await RawWs.connect(server.wsUrl);
      flood.socket.write(Buffer.concat(Array.from({ length: 2000 }, () => RawWs.frame(1, '{"type":"x"}'))));
      await Promise.race([flood.closed, sleep(12000)]);
      flood.destroy();
      (await RawWs.connect(server.wsUrl, { Origin: 'https://evil.example' })).destroy();
      const silent = await RawWs.connect(server.wsUrl);  // says nothing: closed by the idle timeout (30 s)
      setTimeout(() => silent.destroy(), 40000);
      await Promise.all([rawTcp(2000), halfRequest(2000)]);
      await fetch(server.url + 'no-such-file');
      await fetch(server.url + 'healthz', { method: 'POST', body: 'x' });
      badRounds += 1;
    } catch (error) {
      log(`bad input round: ${error.message}`);
    }
    await sleep(5000);
  }
}

// --- samples
const samples = [];
function proc() {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rss_mb: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024,
    threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}
function metricValue(text, name, labels = '') {
  const line = text.split('\n').find((l) => l.startsWith(name + labels + ' ') || (labels === '' && l.startsWith(name + ' ')));
  return line ? Number(line.split(' ').pop()) : null;
}
function metricSum(text, name) {
  return text.split('\n').filter((l) => l.startsWith(name + '{') || l.startsWith(name + ' '))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
async function sample() {
  const text = await (await fetch(server.url + 'metrics')).text();
  const s = {
    t_s: Math.round((Date.now() - started) / 1000), streaming: streamsEnded === null, ...proc(),
    sessions: metricValue(text, 'sueo_sessions'),
    sessions_opened: metricValue(text, 'sueo_sessions_opened_total'),
    sequences_completed: metricValue(text, 'sueo_sequences_completed_total'),
    frames_decoded: metricValue(text, 'sueo_frames_decoded_total'),
    frames_dropped: metricSum(text, 'sueo_frames_dropped_total'),
    errors: metricSum(text, 'sueo_errors_total'),
    worker_queue: metricValue(text, 'sueo_worker_queue_depth'),
    loop_lag_max_ms: +(1000 * metricValue(text, 'sueo_main_loop_lag_max_seconds')).toFixed(1),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
  s.rss_mb = +s.rss_mb.toFixed(1);
  samples.push(s);
  appendFileSync(seriesFile, JSON.stringify(s) + '\n');
  log(`t=${s.t_s}s rss ${s.rss_mb} MB fds ${s.fds} threads ${s.threads} sessions ${s.sessions} ` +
    `seq ${s.sequences_completed} decoded ${s.frames_decoded} dropped ${s.frames_dropped} errors ${s.errors} ` +
    `queue ${s.worker_queue} lag_max ${s.loop_lag_max_ms} ms load ${s.loadavg}`);
}

log(`soak: ${minutes} min, ${opts.streams} streams, a vanishing client every ${opts['vanish-seconds']} s, bad input, ` +
  `samples every ${opts.interval} s; server pid ${pid}`);
const side = [vanishers(), badInput()];
await sample();
while (Date.now() < endAt && serverExit === null) {
  await sleep(Math.min(intervalMs, endAt - Date.now()));
  if (serverExit !== null) break;
  await sample();
}
const streamsCode = await Promise.race([streamsDone, sleep(120000).then(() => 'timeout')]);
if (streamsCode === 'timeout') streams.kill('SIGKILL');  // bounded: nothing outlives the soak
await Promise.all(side);
await sleep(3000);  // the vanished and bad clients' sessions time out and close
if (serverExit === null) await sample();
const crashed = serverExit !== null;
const stopCode = crashed ? serverExit : await server.stop();

// --- verdict
const summaryLine = streamsOut.trim().split('\n').pop() ?? '';
let loadgen = {};
try { loadgen = JSON.parse(summaryLine); } catch { loadgen = { unparsed: summaryLine }; }
// Judged on the steady part: after the warm-up, while the streams stream. Vanishing and bad clients
// come and go at any moment and each holds fds and perhaps a pool thread, so fds and threads are
// compared only between samples with the same number of sessions: for every session count seen in
// both halves of the steady part, the fewest fds (threads) in the second half may exceed the fewest in
// the first by at most 2 (the fewest: a bad client's connection that happens to be open is not a
// leak). After everything closed they must be back where the idle server started.
const steady = samples.filter((s) => s.t_s * 1000 >= warmupMs && s.streaming);
const first = samples[0];
const last = samples.at(-1);
const rssGrowth = (steady.at(-1)?.rss_mb - steady[0]?.rss_mb) / steady[0]?.rss_mb;
function growthAtEqualSessions(key) {
  const half = Math.floor(steady.length / 2);
  const fewest = (part) => part.reduce((m, s) => m.set(s.sessions, Math.min(m.get(s.sessions) ?? Infinity, s[key])), new Map());
  const early = fewest(steady.slice(0, half));
  const late = fewest(steady.slice(half));
  const rows = [...late].filter(([n]) => early.has(n)).map(([n, v]) => ({ sessions: n, early: early.get(n), late: v }));
  return { rows, growth: rows.length ? Math.max(...rows.map((r) => r.late - r.early)) : null };
}
const fdGrowth = growthAtEqualSessions('fds');
const threadGrowth = growthAtEqualSessions('threads');
const checks = {
  rss_growth_under_5pct: steady.length >= 2 && rssGrowth < 0.05,
  // No session count in both halves (a very short soak): only the all-closed comparison can judge.
  no_fd_growth: (fdGrowth.growth === null || fdGrowth.growth <= 2) && last.fds <= first.fds + 2,
  no_thread_growth: (threadGrowth.growth === null || threadGrowth.growth <= 2) && last.threads <= first.threads,
  every_stream_got_its_words: streamsCode === 0 && loadgen.words_right !== undefined && loadgen.words_checked > 0 && loadgen.words_right === loadgen.words_checked,
  no_crash: !crashed && stopCode === 0,
};
const result = {
  ok: Object.values(checks).every(Boolean), checks, minutes, streams: Number(opts.streams), vanished, bad_input_rounds: badRounds,
  steady_samples: steady.length, rss_mb_after_warmup: steady[0]?.rss_mb, rss_mb_steady_end: steady.at(-1)?.rss_mb,
  rss_growth_pct: +(100 * rssGrowth).toFixed(2),
  fds_at_equal_sessions: fdGrowth.rows, threads_at_equal_sessions: threadGrowth.rows,
  idle_start: { rss_mb: first.rss_mb, fds: first.fds, threads: first.threads },
  all_closed_end: { rss_mb: last.rss_mb, fds: last.fds, threads: last.threads }, loadgen_exit: streamsCode,
  words: `${loadgen.words_right ?? "?"}/${loadgen.words_checked ?? "?"}`, sequences: last.sequences_completed,
  samples: samples.length, series: seriesFile,
};
if (!checks.every_stream_got_its_words) console.log(`load generator: exit ${streamsCode}\n${streamsErr.slice(-3000)}`);
if (crashed) console.log(`server exited during the soak (${serverExit}):\n${server.stderr().slice(-5000)}`);
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
