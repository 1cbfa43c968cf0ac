#!/usr/bin/env node
// End-to-end recognition benchmark: N headless Chromium pages (one browser each, so each has its own
// fake camera) play real KSL clips (tests/data/clips, in turn) at 15 fps 640×480 to the real
// `sueo serve` on 127.0.0.1, all N at once, several sequences each; each sequence starts at the
// clip's first frame and lasts one pass of the clip (or --passes). Reports, per stream count:
//   - server processing latency T_inference − T_receive (server clock) p50/p95;
//   - overhead: total latency minus the capture, T_end − t_last_sent (page clock: when the word
//     arrived less when the last frame went out), p50/p95; and the total T_end − T_start p50;
//   - frames: sent by the pages, used by the classifier, dropped on the way (server), skipped on the
//     pages (encoder or send buffer busy);
//   - server CPU, % of one core (utime+stime of the server from /proc/<pid>/stat over the window),
//     and per frame sent (ms of CPU: what a frame costs whatever else the machine runs);
//   - medians of the per-stage timings the results carry (decode, landmarks, queue wait:
//     per-sequence medians; classifier, after the last frame);
//   - how many words were right (the clip's label), as a check that the pipeline did real work.
// The last line printed is JSON: one object for one stream count, an array of objects (one per
// count, in --streams order) for several. Each has streams, server_ms_p50, server_ms_p95,
// overhead_ms_p50, overhead_ms_p95, total_ms_p50, dropped_frames, page_skipped_frames,
// server_cpu_pct, server_cpu_ms_per_frame, stages_ms, correct, sequences.
// Run under `nice -n 10` on a shared machine, the server inherits the niceness: its latencies then
// include waiting for a core (compare server_cpu_ms_per_frame with the landmarks stage's wall time).
//
//   tools/bench/e2e [--streams 1,2,3,4] [--sequences 3] [--passes 1] [--clips c01,c07,...]
//                   [--model FILE] [--workers N] [--landmark-every N]
// The server is $SUEO_BINARY, else $SUEO_BUILD_DIR/sueo, else build/sueo (tests/lib/sueo-server.mjs).
import path from 'node:path';
import {
  clipY4m, launchChromium, playClipSequence, startServer,
} from '../../tests/browser/harness.mjs';
import { isClipWord, listClips, y4mFrameCount } from '../../tests/lib/clips.mjs';
import { cpuMeter, openPages, parseFlags, percentile, round } from './common.mjs';

const FPS = 15;
const USAGE = 'usage: tools/bench/e2e [--streams 1,2,3,4] [--sequences 3] [--passes 1] ' +
  '[--clips c01,c07,...] [--model FILE] [--workers N] [--landmark-every N]';

function parseArgs(argv) {
  const args = { streams: [1, 2, 3, 4], sequences: 3, passes: 1, clips: null, model: null, workers: null };
  parseFlags(argv, {
    '--streams': (v) => { args.streams = v.split(',').map(Number); },
    '--sequences': (v) => { args.sequences = Number(v); },
    '--passes': (v) => { args.passes = Number(v); },
    '--clips': (v) => { args.clips = v.split(','); },
    '--model': (v) => { args.model = v; },
    '--workers': (v) => { args.workers = v; },
    '--landmark-every': (v) => { args.landmarkEvery = v; },
  }, USAGE);
  if (!args.streams.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`bad --streams\n${USAGE}`);
  return args;
}

function chooseClips(prefixes) {
  const all = listClips();
  if (!prefixes) return all;
  return prefixes.map((p) => {
    const clip = all.find((c) => c.name.startsWith(p));
    if (!clip) throw new Error(`no clip starts with ${p}: ${all.map((c) => c.name).join(', ')}`);
    return clip;
  });
}

const median = (values) => percentile(values, 50);

// n streams at once, `sequences` sequences each, back to back on every page.
async function measure(streams, server, n, args) {
  const meter = cpuMeter(server.pid);
  const runs = (await Promise.all(streams.slice(0, n).map(async ({ page, clip, seconds }) => {
    const out = [];
    for (let i = 0; i < args.sequences; i++) out.push({ clip, ...(await playClipSequence(page, seconds)) });
    return out;
  }))).flat();
  const cpu = meter.stop();
  const results = runs.map((r) => r.result).filter(Boolean);
  const stage = (get) => round(median(results.map((r) => get(r.stages_ms || {}))));
  const sum = (get) => runs.reduce((a, r) => a + (get(r) || 0), 0);
  return {
    streams: n,
    sequences: runs.length,
    results: results.length,
    window_s: round(cpu.wallS, 1),
    server_ms_p50: round(percentile(results.map((r) => r.serverMs), 50)),
    server_ms_p95: round(percentile(results.map((r) => r.serverMs), 95)),
    overhead_ms_p50: round(percentile(runs.map(overheadMs), 50)),
    overhead_ms_p95: round(percentile(runs.map(overheadMs), 95)),
    total_ms_p50: round(percentile(results.map((r) => r.totalMs), 50)),
    transfer_ms_p50: round(percentile(results.map((r) => r.transferMs), 50)),
    capture_ms_p50: round(percentile(runs.map((r) => r.page.tLastSent - r.page.tStart), 50)),
    frames_sent: sum((r) => r.page.sent),
    frames_used: sum((r) => r.result?.frames?.used),
    dropped_frames: sum((r) => r.result?.frames?.dropped),
    page_skipped_frames: sum((r) => r.page.encodeSkipped + r.page.sendSkipped),
    server_cpu_pct: round(cpu.pct, 1),
    // Load-independent: what one frame costs the server (transport, decode, landmarks, classifier).
    server_cpu_ms_per_frame: round((cpu.cpuS * 1000) / Math.max(1, sum((r) => r.page.sent)), 1),
    stages_ms: {
      decode: stage((s) => s.decode?.median),
      landmarks: stage((s) => s.landmarks?.median),
      queue_wait: stage((s) => s.queue_wait?.median),
      classifier: stage((s) => s.classifier),
      after_last_frame: stage((s) => s.after_last_frame),
      last_frame_queue_wait: stage((s) => s.last_frame?.queue_wait),
      last_frame_landmarks: stage((s) => s.last_frame?.landmarks),
    },
    correct: runs.filter((r) => isClipWord(r.result, r.clip)).length,
    words: runs.map((r) => `${r.clip.label}→${r.result?.gloss ?? r.result?.reason ?? '?'}`),
  };
}

// The wait the user has after signing: the word's arrival less the last frame's send time.
function overheadMs(run) {
  const r = run.result;
  if (!r || !Number.isFinite(r.tEnd) || !Number.isFinite(run.page.tLastSent)) return null;
  return r.tEnd - run.page.tLastSent;
}

function printTable(rows) {
  const lines = [
    ['streams', (r) => r.streams],
    ['server ms p50 / p95 (T_inference − T_receive)', (r) => `${r.server_ms_p50} / ${r.server_ms_p95}`],
    ['overhead ms p50 / p95 (T_end − last frame sent)', (r) => `${r.overhead_ms_p50} / ${r.overhead_ms_p95}`],
    ['total ms p50 (T_end − T_start)', (r) => r.total_ms_p50],
    ['  capture ms p50 (last frame sent − T_start)', (r) => r.capture_ms_p50],
    ['  transfer ms p50 (T_receive − T_start)', (r) => r.transfer_ms_p50],
    ['frames sent / used / dropped / page-skipped', (r) => `${r.frames_sent} / ${r.frames_used} / ${r.dropped_frames} / ${r.page_skipped_frames}`],
    ['server CPU % of a core / CPU ms per frame', (r) => `${r.server_cpu_pct} / ${r.server_cpu_ms_per_frame}`],
    ['stage medians ms: decode / landmarks', (r) => `${r.stages_ms.decode} / ${r.stages_ms.landmarks}`],
    ['  queue wait / classifier / after last', (r) => `${r.stages_ms.queue_wait} / ${r.stages_ms.classifier} / ${r.stages_ms.after_last_frame}`],
    ['  last frame: queue wait / landmarks', (r) => `${r.stages_ms.last_frame_queue_wait} / ${r.stages_ms.last_frame_landmarks}`],
    ['words right', (r) => `${r.correct} / ${r.sequences}`],
  ];
  for (const [label, get] of lines) {
    console.log(label.padEnd(50) + rows.map((r) => String(get(r)).padStart(26)).join(''));
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const clips = chooseClips(args.clips);
  const maxStreams = Math.max(...args.streams);
  const serverArgs = [];
  if (args.model) serverArgs.push('--model', args.model);
  if (args.workers) serverArgs.push('--workers', args.workers);
  if (args.landmarkEvery) serverArgs.push('--landmark-every', args.landmarkEvery);
  const server = await startServer(serverArgs, { shedding: true });
  const browsers = [];
  try {
    const streams = [];
    for (let i = 0; i < maxStreams; i++) {
      const clip = clips[i % clips.length];
      const y4m = clipY4m(clip.file, { fps: FPS });
      browsers.push(await launchChromium({ y4m }));
      streams.push({ clip, seconds: (y4mFrameCount(y4m) * args.passes) / FPS });
    }
    const { pages } = await openPages(browsers.map((b) => b.context), server.url, maxStreams);
    pages.forEach((page, i) => { streams[i].page = page; });
    const model = await pages[0].evaluate(() => window.sueo.model);
    if (!model) throw new Error(`the server offers no recognition (welcome.model: ${JSON.stringify(model)})`);
    // Warm-up, not measured: every page once, one at a time (first-use costs on the server).
    for (const s of streams) await playClipSequence(s.page, s.seconds);
    const rows = [];
    for (const n of args.streams) rows.push(await measure(streams, server, n, args));
    console.log(`e2e bench: model ${model.name}, ${args.sequences} sequence(s) of ${args.passes} clip pass(es) per ` +
      `stream at ${FPS} fps 640x480; clips ${streams.map((s) => `${s.clip.label} (${s.seconds.toFixed(2)} s)`).join(', ')}; ` +
      `server ${server.url}`);
    printTable(rows);
    for (const r of rows) console.log(`words, ${r.streams} stream(s): ${r.words.join(' ')}`);
    const json = rows.map(({ words, ...r }) => ({ bench: 'e2e', model: model.name, ...r }));
    console.log(JSON.stringify(json.length === 1 ? json[0] : json));
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
