#!/usr/bin/env node
// Capacity of one core: `sueo serve` pinned to one core (taskset, one worker), the load generator
// (build/sueo-loadgen: webrtcbin pages, no browser) pinned to the other. Streams of real KSL clips
// are added one at a time until the server's p95 latency (last frame complete → word ready,
// T_inference − T_receive) passes --max-p95 or any frame is dropped (on the server or skipped by a
// page for a full send buffer) or more than --max-shed of the frames received were shed (an
// overloaded server's thinning: received but not landmarked) or any check fails. Then, unless
// --reference 0, the transport alone (no model: reassembly, JPEG decode, receipt) of `sueo serve` and
// of the original plan's stack (tools/bench/reference/aiortc_server.py: FastAPI + aiortc) is driven
// the same way, one after the other on the same core, and the ratios are reported.
//
// Prints a table; the last line is JSON: streams_per_core, cpu_per_stream (fraction of a core, at
// that load), server_ms_p95 (at that load), rows (every step), reference {sueo, aiortc, cpu_ratio,
// cpu_per_frame_ratio (CPU time over the whole run per frame sent: what load cannot cap),
// p95_ratio, open_ratio}, loadavg before/after. Figures taken while other work runs on the machine
// are not the server's: run it on a quiet machine (1-minute load average well under 1).
//
//   tools/bench/capacity [--seconds 30] [--start 1] [--max-streams 12] [--max-p95 100] [--max-shed 0.01]
//                        [--landmark-every N] [--model FILE] [--reference 1] [--reference-streams 4]
//                        [--server-cpu 0] [--loadgen-cpu 1] [--clips a.mp4,b.mp4]
//                        [--server-args "--hand-recrop tracked --hand-model lite"]   (the ramp's server only)
import { existsSync, readFileSync } from 'node:fs';
import { parseFlags, round } from './common.mjs';
import { loadavg, loadgenBinary, runLoadgen, startReference, startSueo } from './pinned.mjs';
const USAGE = 'usage: tools/bench/capacity [--seconds 30] [--start 1] [--max-streams 12] [--max-p95 100] [--max-shed 0.01] ' +
  '[--landmark-every N] [--model FILE] [--reference 0|1] [--reference-streams 4] [--reference-seconds 20] ' +
  '[--server-cpu 0] [--loadgen-cpu 1] [--clips a.mp4,b.mp4] [--only-reference 1] [--server-args "--hand-model lite ..."]';

function parseArgs(argv) {
  const a = {
    seconds: 30, start: 1, maxStreams: 12, maxP95: 100, maxShed: 0.01, landmarkEvery: null, model: null, reference: true,
    referenceStreams: 4, referenceSeconds: 20, serverCpu: '0', loadgenCpu: '1', clips: null, onlyReference: false,
    serverArgs: [],
  };
  parseFlags(argv, {
    '--seconds': (v) => { a.seconds = Number(v); },
    '--start': (v) => { a.start = Number(v); },
    '--max-streams': (v) => { a.maxStreams = Number(v); },
    '--max-p95': (v) => { a.maxP95 = Number(v); },
    '--max-shed': (v) => { a.maxShed = Number(v); },
    '--landmark-every': (v) => { a.landmarkEvery = v; },
    '--model': (v) => { a.model = v; },
    '--reference': (v) => { a.reference = v !== '0'; },
    '--reference-streams': (v) => { a.referenceStreams = Number(v); },
    '--reference-seconds': (v) => { a.referenceSeconds = Number(v); },
    '--server-cpu': (v) => { a.serverCpu = v; },
    '--loadgen-cpu': (v) => { a.loadgenCpu = v; },
    '--clips': (v) => { a.clips = v; },
    '--only-reference': (v) => { a.onlyReference = v !== '0'; },
    '--server-args': (v) => { a.serverArgs = v.split(/\s+/).filter(Boolean); },
  }, USAGE);
  return a;
}

// utime + stime of a process in ms (/proc/PID/stat fields 14 and 15, after the parenthesised name).
function processCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;  // USER_HZ is 100 on Linux
}

// Shed frames count against a step beyond --max-shed of those received: a stream thinned by more is not
// carried, however short its latency.
function passes(row, args) {
  const shedFraction = row.frames_received > 0 ? (row.server_shed_frames ?? 0) / row.frames_received : 0;
  return row.ok && row.frames_dropped === 0 && row.page_skipped_frames === 0 && row.server_ms_p95 !== null &&
    row.server_ms_p95 <= args.maxP95 && shedFraction <= args.maxShed;
}

// The ramp: one more stream per step until a step fails.
async function ramp(args) {
  const extra = [];
  if (args.model) extra.push('--model', args.model);
  if (args.landmarkEvery) extra.push('--landmark-every', args.landmarkEvery);
  extra.push(...args.serverArgs);
  const server = await startSueo(args, extra);
  const rows = [];
  try {
    await runLoadgen(args, server, ['--streams', '1', '--sequences', '1']);  // warm-up: first-use costs
    for (let n = args.start; n <= args.maxStreams; n++) {
      const row = await runLoadgen(args, server, ['--streams', String(n), '--seconds', String(args.seconds)]);
      row.pass = passes(row, args);
      rows.push(row);
      console.error(`capacity: ${n} stream(s): p95 ${row.server_ms_p95} ms, server ${row.server_cpu_per_stream} core/stream, ` +
        `dropped ${row.frames_dropped}, skipped ${row.page_skipped_frames}, shed ${row.server_shed_frames}, ok ${row.ok} → ${row.pass ? 'pass' : 'stop'}` +
        `${row.ok ? '' : ` (${(row.problems ?? []).concat(row.failures ?? []).join('; ')})`}`);
      if (!row.pass) break;
    }
  } finally {
    await server.stop();
  }
  return rows;
}

// Transport only: the same streams against `sueo serve --model ""` and the aiortc reference.
async function reference(args) {
  const extra = ['--streams', String(args.referenceStreams), '--seconds', String(args.referenceSeconds), '--detail', '1'];
  const one = async (start) => {
    const server = await start();
    try {
      await runLoadgen(args, server, ['--streams', '1', '--sequences', '1']);
      // CPU per frame over the whole run (the loadgen returns once every receipt is in): the work done,
      // however long a busy machine made it wait; the window figure is capped by the core's share.
      const cpuBefore = processCpuMs(server.pid);
      const r = await runLoadgen(args, server, extra);
      r.cpu_ms_per_frame = r.frames_sent ? round((processCpuMs(server.pid) - cpuBefore) / r.frames_sent, 3) : null;
      return r;
    } finally {
      await server.stop();
    }
  };
  const sueo = await one(() => startSueo(args, ['--model', '']));
  const aiortc = await one(() => startReference(args));
  const pick = (r) => ({
    ok: r.ok, streams: r.streams, cpu_per_stream: r.server_cpu_per_stream,
    frame_complete_ms_p50: r.frame_complete_ms_p50, frame_complete_ms_p95: r.frame_complete_ms_p95,
    offer_to_open_ms_p50: r.offer_to_open_ms_p50, offer_to_open_ms_max: r.offer_to_open_ms_max,
    rss_mb: r.server_rss_mb, frames_dropped: r.frames_dropped, cpu_ms_per_frame: r.cpu_ms_per_frame, loadavg: r.loadavg,
  });
  const ratio = (a, b) => (a !== null && b ? round(a / b, 2) : null);
  return {
    streams: args.referenceStreams, seconds: args.referenceSeconds, sueo: pick(sueo), aiortc: pick(aiortc),
    cpu_ratio: ratio(sueo.server_cpu_per_stream, aiortc.server_cpu_per_stream),
    cpu_per_frame_ratio: ratio(sueo.cpu_ms_per_frame, aiortc.cpu_ms_per_frame),
    p95_ratio: ratio(sueo.frame_complete_ms_p95, aiortc.frame_complete_ms_p95),
    open_ratio: ratio(sueo.offer_to_open_ms_p50, aiortc.offer_to_open_ms_p50),
  };
}

function printRows(rows) {
  const lines = [
    ['streams', (r) => r.streams],
    ['server ms p50 / p95 (last frame → word)', (r) => `${r.server_ms_p50} / ${r.server_ms_p95}`],
    ['server CPU, fraction of a core per stream', (r) => r.server_cpu_per_stream],
    ['server CPU % of its core', (r) => r.server_cpu_pct],
    ['frames sent / dropped / page-skipped / shed', (r) => `${r.frames_sent} / ${r.frames_dropped} / ${r.page_skipped_frames} / ${r.server_shed_frames ?? 0}`],
    ['words right', (r) => `${r.words_right} / ${r.words_checked}`],
    ['stage ms: decode / landmarks / queue wait', (r) => `${r.stages_ms.decode} / ${r.stages_ms.landmarks} / ${r.stages_ms.queue_wait}`],
    ['  classifier / after last frame', (r) => `${r.stages_ms.classifier} / ${r.stages_ms.after_last_frame}`],
    ['load generator, fraction of a core per stream', (r) => r.loadgen_cpu_per_stream],
    ['server RSS MB streaming', (r) => r.server_rss_mb?.streaming],
    ['pass (p95, drops, shed, checks)', (r) => (r.pass ? 'yes' : 'NO')],
  ];
  for (const [label, get] of lines) console.log(label.padEnd(48) + rows.map((r) => ` ${String(get(r)).padStart(18)}`).join(''));
}

function printReference(ref) {
  const row = (label, get) => console.log(label.padEnd(48) + String(get(ref.sueo)).padStart(18) + String(get(ref.aiortc)).padStart(18));
  console.log(`transport only, ${ref.streams} streams × ${ref.seconds} s, server pinned to one core:`);
  console.log(''.padEnd(48) + 'sueo serve'.padStart(18) + 'aiortc (plan)'.padStart(18));
  row('CPU, fraction of a core per stream', (r) => r.cpu_per_stream);
  row('CPU ms per frame, whole run', (r) => r.cpu_ms_per_frame);
  row('frame complete ms p50 (last chunk → complete)', (r) => r.frame_complete_ms_p50);
  row('frame complete ms p95', (r) => r.frame_complete_ms_p95);
  row('offer → open ms p50 / max', (r) => `${r.offer_to_open_ms_p50} / ${r.offer_to_open_ms_max}`);
  row('RSS MB idle / streaming', (r) => `${r.rss_mb?.idle} / ${r.rss_mb?.streaming}`);
  row('frames dropped, checks ok', (r) => `${r.frames_dropped}, ${r.ok}`);
  console.log(`ratios sueo / aiortc: CPU ${ref.cpu_ratio} (per frame, whole run: ${ref.cpu_per_frame_ratio}), ` +
    `p95 ${ref.p95_ratio}, offer → open ${ref.open_ratio} (targets ≤ 0.6)`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(loadgenBinary)) throw new Error(`no ${loadgenBinary}: build it (cmake --build build)`);
  const before = loadavg();
  const rows = args.onlyReference ? [] : await ramp(args);
  const ref = args.reference ? await reference(args) : null;
  const after = loadavg();
  if (rows.length) {
    console.log(`capacity: sueo serve on CPU ${args.serverCpu} (1 worker), sueo-loadgen on CPU ${args.loadgenCpu}, ` +
      `${args.seconds} s per step, p95 limit ${args.maxP95} ms, shed limit ${args.maxShed * 100} %${args.landmarkEvery ? `, --landmark-every ${args.landmarkEvery}` : ''}` +
      `${args.serverArgs.length ? `, server ${args.serverArgs.join(' ')}` : ''}`);
    printRows(rows);
  }
  if (ref) printReference(ref);
  console.log(`load average before: ${before}; after: ${after}`);
  const passing = rows.filter((r) => r.pass);
  const best = passing.length ? passing[passing.length - 1] : null;
  console.log(JSON.stringify({
    bench: 'capacity',
    streams_per_core: best ? best.streams : 0,
    cpu_per_stream: best ? best.server_cpu_per_stream : rows[0]?.server_cpu_per_stream ?? null,
    server_ms_p95: best ? best.server_ms_p95 : null,
    server_ms_p50: best ? best.server_ms_p50 : null,
    landmark_every: args.landmarkEvery ? Number(args.landmarkEvery) : 'server default',
    server_args: args.serverArgs.join(' '),
    max_p95_ms: args.maxP95,
    max_shed_fraction: args.maxShed,
    seconds: args.seconds,
    rows: rows.map(({ problems, failures, ...r }) => (r.ok ? r : { ...r, problems, failures })),  // why a step failed
    reference: ref,
    loadavg_before: before,
    loadavg_after: after,
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
