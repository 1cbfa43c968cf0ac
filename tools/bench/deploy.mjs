#!/usr/bin/env node
// What the deployment parts cost, one stream at a time, on 127.0.0.1: one `sueo serve` instance
// behind HAProxy (deploy/haproxy/haproxy.cfg) with coturn (deploy/coturn/turnserver-loopback.conf)
// handing out TURN REST credentials (tests/lib/cluster.mjs). The paths compared, in alternation (each
// round runs every path once, so machine load hits all alike):
//   dc          page → instance directly, frames over the DataChannel (the reference)
//   dc-lb       page → HAProxy (page, /ws); frames still straight to the instance over the DataChannel
//   dc-relay    page → instance, DataChannel relay-only through coturn over UDP (?ice=relay; the
//               instance hands out the UDP TURN URI only)
//   dc-relay-tls  the same through TURN over TLS (the 443-style path)
//   ws          page → instance, frames over /ws (the fallback, ?transport=websocket)
//   ws-lb       the fallback through HAProxy: frames pass the balancer
// Reports per path:
//   - ping: /ws ping → pong round trip from Node (no browser), direct vs through HAProxy;
//   - transport (no model): last chunk handed to the channel (page clock) → frame complete (server
//     clock, same machine clock) p50/p95 over every frame, and CPU % of a core of the instance,
//     HAProxy and coturn over the sequences;
//   - recognition (with the model; one clip pass per sequence): the wait after the last frame,
//     T_end − last frame sent, p50/p95, and words right.
// The last line is JSON.
//
//   node tools/bench/deploy.mjs [--rounds 6] [--seconds 5] [--pings 400] [--paths dc,dc-lb,...]
//                               [--clip c01] [--skip-recognition]
import path from 'node:path';
import { listClips, isClipWord, y4mFrameCount } from '../../tests/lib/clips.mjs';
import { clipY4m, launchChromium, processCpuSeconds, repoRoot } from '../../tests/browser/harness.mjs';
import { startCluster } from '../../tests/lib/cluster.mjs';
import { buildDir, startServer } from '../../tests/lib/sueo-server.mjs';
import { parseFlags, percentile, round } from './common.mjs';

const FPS = 15;
// A page waits idle while the other paths stream (a round of six takes ~40 s): not an idle client.
const IDLE = ['--idle-seconds', '3600'];
const PATHS = {
  dc: { target: 'instance', query: '?transport=datachannel' },
  'dc-lb': { target: 'balancer', query: '?transport=datachannel' },
  'dc-relay': { target: 'relay-udp', query: '?transport=datachannel&ice=relay', turn: 'udp' },
  'dc-relay-tls': { target: 'relay-tls', query: '?transport=datachannel&ice=relay', turn: 'tls' },
  ws: { target: 'instance', query: '?transport=websocket' },
  'ws-lb': { target: 'balancer', query: '?transport=websocket' },
};
const USAGE = 'usage: node tools/bench/deploy.mjs [--rounds N] [--seconds S] [--pings N] ' +
  `[--paths ${Object.keys(PATHS).join(',')}] [--clip c01] [--skip-recognition]`;

function parseArgs(argv) {
  const args = { rounds: 6, seconds: 5, pings: 400, paths: Object.keys(PATHS), clip: 'c01', recognition: true };
  const rest = [];
  for (const a of argv) {
    if (a === '--skip-recognition') args.recognition = false;
    else rest.push(a);
  }
  parseFlags(rest, {
    '--rounds': (v) => { args.rounds = Number(v); },
    '--seconds': (v) => { args.seconds = Number(v); },
    '--pings': (v) => { args.pings = Number(v); },
    '--paths': (v) => { args.paths = v.split(','); },
    '--clip': (v) => { args.clip = v; },
  }, USAGE);
  for (const p of args.paths) if (!PATHS[p]) throw new Error(`unknown path ${p}\n${USAGE}`);
  return args;
}

const stats = (values) => ({ p50: round(percentile(values, 50)), p95: round(percentile(values, 95)), n: values.length });

// /ws ping round trips, sequential, alternating blocks of 50 between the URLs. One ping per
// PING_GAP_MS: back to back they pass the server's --max-messages-per-second (50), which drops
// messages unanswered (rate_limited), and a ping without its pong would stall the bench.
const PING_GAP_MS = 25;
const PONG_TIMEOUT_MS = 5000;
async function pingRoundTrips(urls, count) {
  const sockets = {};
  for (const [name, url] of Object.entries(urls)) {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error(`cannot open ${url}`)); });
    sockets[name] = ws;
  }
  const samples = Object.fromEntries(Object.keys(urls).map((n) => [n, []]));
  const one = (ws, name) => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timer = setTimeout(() => reject(new Error(`${name}: no pong in ${PONG_TIMEOUT_MS} ms`)), PONG_TIMEOUT_MS);
    ws.onmessage = (event) => {
      const m = JSON.parse(event.data);
      if (m.type === 'pong') { clearTimeout(timer); resolve(performance.now() - t0); }
      if (m.type === 'error') { clearTimeout(timer); reject(new Error(`${name}: ${event.data}`)); }
    };
    ws.send(JSON.stringify({ type: 'ping', t0: Date.now() }));
  });
  const gap = () => new Promise((resolve) => setTimeout(resolve, PING_GAP_MS));
  for (let done = 0; done < count; done += 50) {
    for (const name of Object.keys(urls)) {
      for (let i = 0; i < 50; i++) {
        samples[name].push(await one(sockets[name], name));
        await gap();
      }
    }
  }
  for (const ws of Object.values(sockets)) ws.close();
  return Object.fromEntries(Object.entries(samples).map(([n, v]) => [n, stats(v)]));
}

// One page per path, each in its own Chromium (a background tab of a shared one encodes a fraction
// of its frames, and its session was once lost mid-run), WebSocket up and (for DataChannel paths)
// the channel open. `browsers` collects the Chromiums for the caller to close.
async function openPaths(launch, browsers, cluster, names) {
  const pages = {};
  for (const name of names) {
    const p = PATHS[name];
    const base = p.turn ? cluster.relayInstances[p.turn].url : { balancer: cluster.url, instance: cluster.instances[0].url }[p.target];
    const browser = await launch();
    browsers.push(browser);
    const page = await browser.newPage();
    await page.goto(`${base}${p.query}`);
    await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 30000 });
    await page.evaluate(() => window.sueo.prepare());
    const info = await page.evaluate(async () => {
      const c = window.sueo.connection;
      if (!c.pc) return { transport: c.transport };
      const all = await c.pc.getStats();
      const byId = new Map();
      all.forEach((s) => byId.set(s.id, s));
      const t = [...byId.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const local = t && byId.get(byId.get(t.selectedCandidatePairId).localCandidateId);
      return { transport: c.transport, candidate: local && local.candidateType, relayProtocol: local && local.relayProtocol };
    });
    const want = p.query.includes('websocket') ? 'websocket' : 'datachannel';
    if (info.transport !== want) throw new Error(`${name}: frames go over ${info.transport}, not ${want}`);
    if (p.turn && (info.candidate !== 'relay' || info.relayProtocol !== p.turn)) {
      throw new Error(`${name}: not relayed over ${p.turn}: ${JSON.stringify(info)}`);
    }
    await page.evaluate(() => window.sueo.closeCamera());
    pages[name] = page;
  }
  return pages;
}

// CPU seconds of each process so far (null for one that is not there).
function cpuOf(pids) {
  return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? processCpuSeconds(pid) : null]));
}

async function transportRound(pages, clusterPids, seconds, acc) {
  for (const [name, page] of Object.entries(pages)) {
    // The instance this path's page streams to: a relay path's own one.
    const turn = PATHS[name].turn;
    const pids = { ...clusterPids, instance: turn ? clusterPids.relay[turn] : clusterPids.instance };
    delete pids.relay;
    const cpu0 = cpuOf(pids);
    const t0 = performance.now();
    const r = await page.evaluate(async (seconds) => {
      const out = await window.sueo.start({ seconds, detail: true });
      window.sueo.closeCamera();
      return { detail: out.receipt.detail, lastChunkSent: out.page.lastChunkSent, sent: out.page.sent, received: out.receipt.frames.received };
    }, seconds);
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = cpuOf(pids);
    const a = acc[name] ??= { latency: [], cpu: { instance: [], haproxy: [], coturn: [] }, frames: 0, received: 0 };
    r.detail.complete_ms.forEach((t, i) => {
      const sent = r.lastChunkSent[r.detail.frame_index[i]];
      if (sent !== undefined && sent !== null) a.latency.push(t - sent);
    });
    for (const k of Object.keys(pids)) if (cpu0[k] !== null) a.cpu[k].push(((cpu1[k] - cpu0[k]) / wall) * 100);
    a.frames += r.sent;
    a.received += r.received;
  }
}

async function recognitionRound(pages, clip, seconds, acc) {
  for (const [name, page] of Object.entries(pages)) {
    const r = await page.evaluate(async (seconds) => {
      const out = await window.sueo.start({ seconds });
      window.sueo.closeCamera();
      return { result: out.result, tLastSent: out.page.tLastSent };
    }, seconds);
    const a = acc[name] ??= { wait: [], server: [], right: 0, n: 0 };
    a.wait.push(r.result.tEnd - r.tLastSent);
    a.server.push(r.result.serverMs);
    a.right += isClipWord(r.result, clip) ? 1 : 0;
    a.n += 1;
  }
}

async function phase(cluster, launch, args, run) {
  const browsers = [];
  const acc = {};
  try {
    const pages = await openPaths(launch, browsers, cluster, args.paths);
    await run(pages, {});  // warm-up, not counted: cameras, encoders and first-use costs settle
    for (let i = 0; i < args.rounds; i++) await run(pages, acc);
  } finally {
    for (const browser of browsers) await browser.close().catch(() => {});
  }
  return acc;
}

// The cluster, plus for each relay path an instance whose pages get only that transport's TURN URI,
// so relay-only ICE must use it (given every URI, Chromium may pair over TCP instead of UDP).
async function startBenchCluster(instanceArgs, args) {
  const c = await startCluster({ count: 1, turn: true, instanceArgs, shedding: true });
  c.relayInstances = {};
  const stop = c.stop;
  c.stop = async () => {
    for (const i of Object.values(c.relayInstances)) await i.stop();
    await stop();
  };
  try {
    for (const name of args.paths) {
      const turn = PATHS[name].turn;
      if (!turn) continue;
      c.relayInstances[turn] = await startServer([...instanceArgs, '--turn-uris', c.turn.uris[turn]], { env: { SUEO_TURN_SECRET: c.turn.secret }, shedding: true });
    }
  } catch (error) {
    await c.stop();
    throw error;
  }
  return c;
}

async function main() {
  if (typeof WebSocket === 'undefined') {
    // Node 20: WebSocket needs a flag; the test CA must be trusted from the start.
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--experimental-websocket', ...process.argv.slice(1)], {
      stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(buildDir, 'test-certs/rootCA.pem'), NODE_NO_WARNINGS: '1' },
    });
    process.exit(r.status ?? 1);
  }
  const args = parseArgs(process.argv.slice(2));
  const clip = listClips().find((c) => c.name.startsWith(args.clip));
  if (!clip) throw new Error(`no clip ${args.clip}`);
  const y4m = clipY4m(clip.file, { fps: FPS });
  const onePass = y4mFrameCount(y4m) / FPS;
  const launch = () => launchChromium({ y4m });
  const out = { bench: 'deploy', clip: clip.name, rounds: args.rounds, seconds: args.seconds };
  {
    // Transport, no model: the instance's CPU is the transport, assembly and JPEG decode.
    let c = await startBenchCluster(['--model', '', ...IDLE], args);
    try {
      out.ping_ms = await pingRoundTrips({ direct: c.instances[0].wsUrl, balancer: c.wsUrl }, args.pings);
      const relay = Object.fromEntries(Object.entries(c.relayInstances).map(([k, i]) => [k, i.child.pid]));
      const pids = { instance: c.instances[0].pid, haproxy: c.haproxy.pid, coturn: c.turn.pid, relay };
      const acc = await phase(c, launch, args, (pages, a) => transportRound(pages, pids, args.seconds, a));
      out.transport = Object.fromEntries(Object.entries(acc).map(([name, a]) => [name, {
        last_chunk_to_complete_ms: stats(a.latency),
        cpu_pct: Object.fromEntries(Object.entries(a.cpu).filter(([, v]) => v.length).map(([k, v]) => [k, round(percentile(v, 50))])),
        frames_sent: a.frames, frames_received: a.received,
      }]));
    } finally {
      await c.stop();
    }
    if (args.recognition) {
      c = await startBenchCluster(['--model', path.join(repoRoot, 'models/sueo-ksl.onnx'), ...IDLE], args);
      try {
        const acc = await phase(c, launch, args, (pages, a) => recognitionRound(pages, clip, onePass, a));
        out.recognition = Object.fromEntries(Object.entries(acc).map(([name, a]) => [name, {
          wait_after_last_frame_ms: stats(a.wait), server_ms: stats(a.server), words_right: `${a.right}/${a.n}`,
        }]));
      } finally {
        await c.stop();
      }
    }
  }
  print(out);
  console.log(JSON.stringify(out));
}

function print(out) {
  console.log(`deploy bench: ${out.clip}, ${out.rounds} round(s), one stream at a time, 127.0.0.1`);
  const p = out.ping_ms;
  console.log(`/ws ping round trip ms p50 / p95: direct ${p.direct.p50} / ${p.direct.p95}, through HAProxy ` +
    `${p.balancer.p50} / ${p.balancer.p95} (n ${p.direct.n} each)`);
  console.log('path'.padEnd(14) + 'last chunk → complete ms p50 / p95'.padStart(36) + 'CPU % instance / haproxy / coturn'.padStart(36) +
    (out.recognition ? 'wait after last frame ms p50 / p95'.padStart(38) + 'words'.padStart(8) : ''));
  for (const [name, t] of Object.entries(out.transport)) {
    const c = t.cpu_pct;
    const r = out.recognition?.[name];
    console.log(name.padEnd(14) + `${t.last_chunk_to_complete_ms.p50} / ${t.last_chunk_to_complete_ms.p95}`.padStart(36) +
      `${c.instance ?? '—'} / ${c.haproxy ?? '—'} / ${c.coturn ?? '—'}`.padStart(36) +
      (r ? `${r.wait_after_last_frame_ms.p50} / ${r.wait_after_last_frame_ms.p95}`.padStart(38) + r.words_right.padStart(8) : ''));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
