#!/usr/bin/env node
// Transport benchmark: N Chromium pages (default 1, then 4) stream a real KSL clip from the fake
// camera at the server's rate and size over WebRTC to the real `sueo serve` on 127.0.0.1, a few
// sequences each. Reports, per N:
//   - server CPU per stream: utime+stime of the server process over the streaming window
//     (/proc/<pid>/stat), split into JPEG decode (sum of the receipts' per-frame decode_ms) and the
//     rest (transport + assembly + bookkeeping);
//   - frame assembly latency p50/p95 (server: first chunk → complete, from the receipts' detail);
//   - last chunk handed to the DataChannel (page clock) → frame complete (server clock), per frame;
//     on loopback both clocks are the machine's clock;
//   - offer created → DataChannel open (page side), for every page after a warm-up session.
// The last line printed is one JSON object.
//
//   node tools/bench/transport.mjs [--pages 1,4] [--sequences 3] [--seconds 5]
//                                  [--max-chunk-bytes 16384] [--handshakes 7]
//                                  [--transport datachannel|websocket]
// --transport websocket sends the frames over /ws (the page's fallback, forced by ?transport=websocket):
// the same table then compares the fallback's CPU and latency with the DataChannel's.
// The server is $SUEO_BINARY, else $SUEO_BUILD_DIR/sueo, else build/sueo (tests/lib/sueo-server.mjs).
// A 640x480 JPEG at quality 0.7 is ~28 KB: one 64 KiB message. --max-chunk-bytes 16384 (passed to
// the server, which hands it to the page in `welcome`) makes every frame two or three chunks, which
// is what a browser without pc.sctp sends and what gives assembly some work.
import path from 'node:path';
import {
  DEFAULT_CLIP, buildDir, launchChromium, makeY4m, startServer,
} from '../../tests/browser/harness.mjs';
import { cpuMeter, openPages, parseFlags, percentile, round } from './common.mjs';

const TARGETS = { cpu_transport_pct_per_stream: 5, assembly_p95_ms: 20, offer_to_open_ms: 100 };

const USAGE = 'usage: node tools/bench/transport.mjs [--pages 1,4] [--sequences 3] [--seconds 5] ' +
  '[--max-chunk-bytes N] [--handshakes N] [--transport datachannel|websocket]';

function parseArgs(argv) {
  const args = {
    pages: [1, 4], sequences: 3, seconds: 5, fps: 15, maxChunkBytes: null, handshakes: 7, transport: 'datachannel',
  };
  parseFlags(argv, {
    '--pages': (v) => { args.pages = v.split(',').map(Number); },
    '--sequences': (v) => { args.sequences = Number(v); },
    '--seconds': (v) => { args.seconds = Number(v); },
    '--max-chunk-bytes': (v) => { args.maxChunkBytes = Number(v); },
    '--handshakes': (v) => { args.handshakes = Number(v); },
    '--transport': (v) => {
      if (v !== 'datachannel' && v !== 'websocket') throw new Error(`--transport: datachannel or websocket, not ${v}`);
      args.transport = v;
    },
  }, USAGE);
  return args;
}

// Sessions opened and closed one at a time on an otherwise idle server: offer → answer arrived →
// ICE connected → DataChannel open, page clock.
async function handshakeSamples(context, url, count, query) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const { pages, handshakes } = await openPages(context, url, 1, query);
    samples.push(handshakes[0]);
    await pages[0].close();
  }
  const stat = (key) => ({
    p50: round(percentile(samples.map((s) => s[key]), 50), 1),
    max: round(Math.max(...samples.map((s) => s[key])), 1),
  });
  return { n: count, offer_to_answer_ms: stat('answer'), offer_to_ice_ms: stat('ice'), offer_to_open_ms: stat('open') };
}

// Runs `sequences` sequences back to back on one page; returns what the bench needs of each.
function streamPage(page, sequences, seconds) {
  return page.evaluate(async ({ sequences, seconds }) => {
    const out = [];
    for (let i = 0; i < sequences; i++) {
      const r = await window.sueo.start({ seconds, detail: true });
      out.push({ receipt: r.receipt, page: r.page, offset: r.timings.offset });
    }
    return out;
  }, { sequences, seconds });
}

async function measure(context, server, n, args) {
  const { pages, openMs } = await openPages(context, server.url, n, args.query);
  // A short sequence outside the window: the camera and encoder settle.
  await Promise.all(pages.map((p) => p.evaluate(() => window.sueo.start({ seconds: 0.5 }))));
  const meter = cpuMeter(server.pid);
  const runs = (await Promise.all(pages.map((p) => streamPage(p, args.sequences, args.seconds)))).flat();
  const { wallS, pct: cpuPct } = meter.stop();
  for (const p of pages) await p.close();

  let decodeMs = 0;
  const assembly = [];
  const lastChunkToComplete = [];
  const totals = { planned: 0, sent: 0, expected: 0, received: 0, decoded: 0, page_skipped: 0, dropped: 0, bytes: 0 };
  for (const { receipt, page } of runs) {
    const d = receipt.detail || {};
    decodeMs += (d.decode_ms || []).reduce((a, b) => a + b, 0);
    assembly.push(...(d.assembly_ms || []));
    // detail.frame_index names the frame of each complete_ms element (docs/protocol.md §3).
    if (Array.isArray(d.complete_ms) && Array.isArray(d.frame_index)) {
      d.complete_ms.forEach((t, i) => {
        const sent = page.lastChunkSent[d.frame_index[i]];
        if (sent !== undefined) lastChunkToComplete.push(t - sent);
      });
    }
    totals.planned += page.planned;
    totals.sent += page.sent;
    totals.expected += receipt.frames.expected;
    totals.received += receipt.frames.received;
    totals.decoded += receipt.frames.decoded;
    totals.page_skipped += page.encodeSkipped + page.sendSkipped;
    totals.dropped += Object.values(receipt.frames.dropped).reduce((a, b) => a + b, 0);
    totals.bytes += receipt.bytes;
  }
  const decodePct = (decodeMs / 1000 / wallS) * 100;
  return {
    pages: n,
    window_s: round(wallS, 1),
    server_cpu_pct: round(cpuPct),
    cpu_pct_per_stream: round(cpuPct / n),
    cpu_decode_pct_per_stream: round(decodePct / n),
    cpu_transport_pct_per_stream: round((cpuPct - decodePct) / n),
    assembly_ms: { p50: round(percentile(assembly, 50), 3), p95: round(percentile(assembly, 95), 3), n: assembly.length },
    last_chunk_to_complete_ms: {
      p50: round(percentile(lastChunkToComplete, 50)), p95: round(percentile(lastChunkToComplete, 95)),
      n: lastChunkToComplete.length,
    },
    offer_to_open_ms: { p50: round(percentile(openMs, 50), 1), max: round(Math.max(...openMs), 1) },
    mb_per_s: round(totals.bytes / 1e6 / wallS),
    frames: totals,
  };
}

function printTable(results) {
  const rows = [
    ['pages', (r) => r.pages],
    ['server CPU % of a core (all streams)', (r) => r.server_cpu_pct],
    ['  per stream', (r) => r.cpu_pct_per_stream],
    ['  per stream: JPEG decode', (r) => r.cpu_decode_pct_per_stream],
    ['  per stream: transport + assembly', (r) => r.cpu_transport_pct_per_stream],
    ['assembly ms p50 / p95', (r) => `${r.assembly_ms.p50} / ${r.assembly_ms.p95}`],
    ['last chunk sent → complete ms p50 / p95', (r) => `${r.last_chunk_to_complete_ms.p50} / ${r.last_chunk_to_complete_ms.p95}`],
    ['offer → open ms p50 / max', (r) => `${r.offer_to_open_ms.p50} / ${r.offer_to_open_ms.max}`],
    ['frames sent / received / decoded', (r) => `${r.frames.sent} / ${r.frames.received} / ${r.frames.decoded}`],
    ['frames skipped on page / dropped on server', (r) => `${r.frames.page_skipped} / ${r.frames.dropped}`],
    ['JPEG MB/s received', (r) => r.mb_per_s],
  ];
  for (const [label, get] of rows) {
    console.log(label.padEnd(44) + results.map((r) => String(get(r)).padStart(18)).join(''));
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  args.query = args.transport === 'websocket' ? '?transport=websocket' : '?transport=datachannel';
  const y4m = makeY4m(DEFAULT_CLIP, path.join(buildDir, 'c01_640x480_15.y4m'), { fps: args.fps });
  // Transport only: no model, so the server's CPU is chunks, assembly and JPEG decode (tools/bench/e2e
  // measures recognition).
  const serverArgs = ['--model', ''];
  if (args.maxChunkBytes) serverArgs.push('--max-chunk-bytes', String(args.maxChunkBytes));
  const server = await startServer(serverArgs, { shedding: true });
  let browser = null;
  try {
    browser = await launchChromium({ y4m });
    // Warm-up session: the server's first peer may pay one-time costs (DTLS certificate).
    const warm = await openPages(browser.context, server.url, 1, args.query);
    const firstOpenMs = warm.openMs[0];
    const first = warm.handshakes[0];
    await warm.pages[0].close();
    const handshake = await handshakeSamples(browser.context, server.url, args.handshakes, args.query);
    const results = [];
    for (const n of args.pages) results.push(await measure(browser.context, server, n, args));
    const chunk = results.length ? `, chunks ≤ ${args.maxChunkBytes || 'min(sctp, 65536)'} B` : '';
    console.log(`transport bench (frames over ${args.transport}): ${path.basename(DEFAULT_CLIP)} at ${args.fps} fps 640x480, ` +
      `${args.sequences} × ${args.seconds} s sequences per page${chunk}, server ${server.url}`);
    printTable(results);
    console.log(`first session (warm-up, not in the table), offer → answer / ICE connected / channel open: ` +
      `${round(first.answer, 1)} / ${round(first.ice, 1)} / ${round(first.open, 1)} ms`);
    const h = handshake;
    console.log(`${h.n} sessions one at a time, offer → answer / ICE connected / channel open, p50 (max) ms: ` +
      `${h.offer_to_answer_ms.p50} (${h.offer_to_answer_ms.max}) / ${h.offer_to_ice_ms.p50} (${h.offer_to_ice_ms.max}) / ` +
      `${h.offer_to_open_ms.p50} (${h.offer_to_open_ms.max})`);
    const worst = (get) => Math.max(...results.map(get));
    const pass = {
      cpu_transport_pct_per_stream: worst((r) => r.cpu_transport_pct_per_stream) <= TARGETS.cpu_transport_pct_per_stream,
      assembly_p95_ms: worst((r) => r.assembly_ms.p95) <= TARGETS.assembly_p95_ms,
      offer_to_open_ms: handshake.offer_to_open_ms.p50 <= TARGETS.offer_to_open_ms,
    };
    console.log(JSON.stringify({
      bench: 'transport', transport: args.transport, clip: path.basename(DEFAULT_CLIP), fps: args.fps, width: 640, height: 480,
      sequences: args.sequences, seconds: args.seconds, max_chunk_bytes: args.maxChunkBytes,
      first_offer_to_open_ms: round(firstOpenMs, 1),
      first_handshake_ms: { answer: round(first.answer, 1), ice: round(first.ice, 1), open: round(first.open, 1) },
      handshake,
      results, targets: TARGETS, pass,
    }));
  } finally {
    await browser?.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
