#!/usr/bin/env node
// Server memory (issue 10 item 5), measured on the real `sueo serve` driven by build/sueo-loadgen
// (webrtcbin pages streaming real clips), resident set size from /proc/<pid>/status:
//   - recognition server: RSS per idle session (sessions open, DataChannel up, nothing sent) and per
//     streaming session, over the RSS before they opened, for each count in --sessions (1, 4 and 16 by
//     default: the landmark runtimes belong to the --workers threads, not to the sessions, so the cost
//     per session falls as sessions are added);
//   - transport only (no model): the same with --transport-sessions sessions (16 by default);
//   - growth: --rounds rounds of --round-streams sessions opened, streamed, closed; RSS after each round
//     once the server has given closed sessions' memory back (a leak shows as a steady climb, not the
//     first rounds' allocator warm-up).
// Prints a table; the last line is JSON.
//
//   tools/bench/memory [--sessions 1,4,16] [--transport-sessions 16] [--rounds 10] [--round-streams 4]
//                      [--server-args "..."]   (--transport-sessions 0 / --rounds 0: skip that part)
import { readFileSync } from 'node:fs';
import { parseFlags, round } from './common.mjs';
import { loadavg, runLoadgen, startSueo } from './pinned.mjs';

const USAGE = 'usage: tools/bench/memory [--sessions 1,4,16] [--transport-sessions 16] [--rounds 10] [--round-streams 4] ' +
  '[--server-args "..."] [--server-cpu 0] [--loadgen-cpu 1]';

function parseArgs(argv) {
  const a = { sessions: [1, 4, 16], transportSessions: 16, rounds: 10, roundStreams: 4, serverArgs: [], serverCpu: '0', loadgenCpu: '1', clips: null };
  parseFlags(argv, {
    '--sessions': (v) => { a.sessions = v.split(',').map(Number); },
    '--transport-sessions': (v) => { a.transportSessions = Number(v); },
    '--rounds': (v) => { a.rounds = Number(v); },
    '--round-streams': (v) => { a.roundStreams = Number(v); },
    '--server-args': (v) => { a.serverArgs = v.split(/\s+/).filter(Boolean); },
    '--server-cpu': (v) => { a.serverCpu = v; },
    '--loadgen-cpu': (v) => { a.loadgenCpu = v; },
  }, USAGE);
  return a;
}

// The server's RSS once the memory of closed sessions is back with the system: the server trims 2 s
// after sessions close (a GLib seconds timer: up to 3 s), so read it 4 s after the last close.
async function settledRssMb(pid) {
  await new Promise((r) => setTimeout(r, 4000));
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return round(Number(m[1]) / 1024, 1);
}

// Sessions held idle, then streaming 2 sequences each: RSS per session over the settled RSS before
// (the load generator's own "before" can still hold the last run's sessions, not yet trimmed).
async function perSession(args, server, n) {
  const before = await settledRssMb(server.pid);
  const r = await runLoadgen(args, server, ['--streams', String(n), '--sequences', '2', '--hold-idle', '3']);
  const m = { ...r.server_rss_mb, before, after_settled: await settledRssMb(server.pid) };
  return {
    sessions: n, ok: r.ok, rss_mb: m,
    idle_mb_per_session: round((m.idle - before) / n, 2),
    streaming_mb_per_session: round((m.streaming - before) / n, 2),
    after_close_mb: round(m.after_settled - before, 2),
    // Time per landmarked frame on the worker (median) and server CPU: shared per-worker runtimes must
    // not cost speed.
    landmarks_ms_p50: r.stages_ms?.landmarks ?? null,
    server_cpu_per_stream: r.server_cpu_per_stream ?? null,
    // Why a run is not ok (a wrong word, a drop, a server error), as the load generator saw it.
    ...(r.ok ? {} : {
      not_ok: { words: `${r.words_right}/${r.words_checked}`, frames_dropped: r.frames_dropped, errors: r.errors,
        problems: r.problems, failures: r.failures },
    }),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const before = loadavg();
  const out = { bench: 'memory', loadavg_before: before, recognition: [] };

  let server = await startSueo(args, args.serverArgs);
  try {
    await runLoadgen(args, server, ['--streams', '1', '--sequences', '1']);  // first-use allocations
    for (const n of args.sessions) {
      const r = await perSession(args, server, n);
      r.loadavg = loadavg();
      out.recognition.push(r);
      console.error(`memory: ${n} sessions: ${r.streaming_mb_per_session} MB per streaming session (load ${r.loadavg})`);
    }
    const rounds = [];
    for (let i = 0; i < args.rounds; i++) {
      const r = await runLoadgen(args, server, ['--streams', String(args.roundStreams), '--sequences', '2']);
      rounds.push(await settledRssMb(server.pid));
      console.error(`memory: round ${i + 1}: RSS after ${rounds[i]} MB, settled (ok ${r.ok}` +
        `${r.ok ? '' : `: words ${r.words_right}/${r.words_checked}, errors ${JSON.stringify(r.errors)}, ` +
          `${(r.problems ?? []).concat(r.failures ?? []).join('; ')}`})`);
    }
    const half = Math.floor(rounds.length / 2);
    out.growth = {
      rounds: rounds.length, streams_per_round: args.roundStreams, rss_after_mb: rounds,
      // Second half only: the first rounds include the allocator's and GStreamer's warm-up.
      mb_per_round_second_half: rounds.length > 3 ? round((rounds[rounds.length - 1] - rounds[half]) / (rounds.length - 1 - half), 3) : null,
    };
  } finally {
    await server.stop();
  }

  if (args.transportSessions > 0) {
    server = await startSueo(args, ['--model', '']);
    try {
      await runLoadgen(args, server, ['--streams', '1', '--sequences', '1']);
      out.transport = await perSession(args, server, args.transportSessions);
      out.transport.loadavg = loadavg();
    } finally {
      await server.stop();
    }
  }
  out.loadavg_after = loadavg();

  const columns = out.recognition.map((r) => `recognition (${r.sessions})`);
  if (out.transport) columns.push(`transport only (${out.transport.sessions})`);
  const all = out.transport ? [...out.recognition, out.transport] : out.recognition;
  const line = (label, get) => console.log(label.padEnd(36) + all.map((r, i) => String(get(r)).padStart(columns[i].length + 3)).join(''));
  console.log('server RSS (MB)'.padEnd(36) + columns.map((c) => c.padStart(c.length + 3)).join(''));
  line('before the sessions', (r) => r.rss_mb.before);
  line('all open, idle', (r) => r.rss_mb.idle);
  line('all streaming', (r) => r.rss_mb.streaming);
  line('after they closed (settled, 4 s)', (r) => r.rss_mb.after_settled);
  line('per idle session', (r) => r.idle_mb_per_session);
  line('per streaming session', (r) => r.streaming_mb_per_session);
  line('every answer right', (r) => r.ok);
  line('landmarks ms per frame (median)', (r) => r.landmarks_ms_p50);
  line('server CPU per stream (of a core)', (r) => r.server_cpu_per_stream);
  line('load average after (1 min)', (r) => r.loadavg.split(' ')[0]);
  if (out.growth.rounds > 0) {
    console.log(`growth: RSS after each of ${out.growth.rounds} rounds of ${out.growth.streams_per_round} sessions: ${out.growth.rss_after_mb.join(' ')}`);
    console.log(`        MB per round over the second half: ${out.growth.mb_per_round_second_half}`);
  }
  console.log(`load average before: ${out.loadavg_before}; after: ${out.loadavg_after}`);
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
