#!/usr/bin/env node
// Server CPU of the WebSocket fallback against the DataChannel, counted in instructions (valgrind
// --tool=callgrind), which a busy machine does not disturb the way it disturbs CPU seconds. One
// `sueo serve` (no model: the transport, assembly and JPEG decode) runs under callgrind; one
// Chromium page streams the same clip at 15 fps, 640×480, alternately over the DataChannel and over
// /ws (?transport=…); the counters are zeroed before each sequence and dumped after its receipt
// (callgrind_control), so each figure is the server's instructions for one sequence, all threads.
// Prints instructions per frame for each path (median over the rounds) and the ratio; last line JSON.
//
//   node tools/bench/fallback_callgrind.mjs [--rounds 3] [--seconds 3]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_CLIP, buildDir, launchChromium, makeY4m, repoRoot } from '../../tests/browser/harness.mjs';
import { sueoBinary, testCertificate } from '../../tests/lib/sueo-server.mjs';
import { parseFlags, percentile, round } from './common.mjs';

const USAGE = 'usage: node tools/bench/fallback_callgrind.mjs [--rounds 3] [--seconds 3]';

async function startUnderCallgrind(outDir) {
  const { cert, key, ca } = testCertificate();
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${outDir}/cg.%p`, '--dump-instr=no',
    sueoBinary, 'serve', '--address', '127.0.0.1', '--port', '0', '--cert', cert, '--key', key, '--ca-cert', ca,
    '--qr', '0', '--ice-loopback', '1', '--model', '', '--workers', '1', '--idle-seconds', '600'],
  { cwd: repoRoot, env: { ...process.env, SUEO_HOME: repoRoot }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start under valgrind:\n${err}`)), 180000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (https:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`valgrind exited ${code}:\n${err}`)); });
  });
  return { child, url, stderr: () => err };
}

// Instructions (Ir) of the dumps in `dir` not in `seen`: {total, decode} where decode is the
// inclusive cost of libjpeg-turbo's tjDecompress2 (callgrind_annotate), the same on both paths.
function newestDumpIr(dir, seen) {
  const files = readdirSync(dir).filter((f) => /^cg\.\d+\.\d+$/.test(f) && !seen.has(f));
  let total = 0;
  let decode = 0;
  for (const f of files) {
    seen.add(f);
    const text = readFileSync(path.join(dir, f), 'utf8');
    const m = text.match(/^summary:\s+(\d+)/m) || text.match(/^totals:\s+(\d+)/m);
    if (m) total += Number(m[1]);
    const annotated = execFileSync('callgrind_annotate', ['--inclusive=yes', path.join(dir, f)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const d = annotated.match(/^\s*([\d,]+) .*tjDecompress2 \[/m);
    if (d) decode += Number(d[1].replace(/,/g, ''));
  }
  return { total, decode };
}

async function main() {
  const args = { rounds: 3, seconds: 3 };
  parseFlags(process.argv.slice(2), {
    '--rounds': (v) => { args.rounds = Number(v); },
    '--seconds': (v) => { args.seconds = Number(v); },
  }, USAGE);
  const outDir = mkdtempSync(path.join(tmpdir(), 'sueo-callgrind-'));
  const y4m = makeY4m(DEFAULT_CLIP, path.join(buildDir, 'c01_640x480_15.y4m'), { fps: 15 });
  const server = await startUnderCallgrind(outDir);
  const browser = await launchChromium({ y4m });
  const seen = new Set();
  const results = { datachannel: [], websocket: [] };
  try {
    const pages = {};
    for (const transport of Object.keys(results)) {
      const page = await browser.newPage();
      await page.goto(`${server.url}?transport=${transport}`);
      await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 120000 });
      await page.evaluate(() => window.sueo.prepare());
      await page.evaluate(() => window.sueo.start({ seconds: 1 }));  // warm-up
      pages[transport] = page;
    }
    for (let r = 0; r < args.rounds; r++) {
      for (const [transport, page] of Object.entries(pages)) {
        execFileSync('callgrind_control', ['-z', String(server.child.pid)], { stdio: 'ignore' });
        const out = await page.evaluate(async (seconds) => {
          const x = await window.sueo.start({ seconds });
          return { sent: x.page.sent, decoded: x.receipt.frames.decoded, bytes: x.page.bytesSent };
        }, args.seconds);
        execFileSync('callgrind_control', ['-d', String(server.child.pid)], { stdio: 'ignore' });
        await new Promise((res) => setTimeout(res, 500));
        const { total: ir, decode } = newestDumpIr(outDir, seen);
        const frames = Math.max(1, out.sent);
        results[transport].push({ ir, ...out, irPerFrame: ir / frames, restPerFrame: (ir - decode) / frames });
        console.log(`# round ${r + 1} ${transport}: ${out.sent} frames, ${(ir / 1e6).toFixed(1)} M instructions, ` +
          `${(ir / frames / 1e6).toFixed(2)} M per frame, of which JPEG decode ${(decode / frames / 1e6).toFixed(2)} M`);
      }
    }
  } finally {
    await browser.close();
    server.child.kill('SIGINT');
    await new Promise((r) => server.child.on('exit', r));
  }
  const summary = Object.fromEntries(Object.entries(results).map(([t, rs]) => [t, {
    m_instructions_per_frame: round(percentile(rs.map((x) => x.irPerFrame), 50) / 1e6, 3),
    m_instructions_per_frame_without_decode: round(percentile(rs.map((x) => x.restPerFrame), 50) / 1e6, 3),
    frames: rs.map((x) => x.sent), rounds: rs.length,
  }]));
  const ratio = summary.websocket.m_instructions_per_frame / summary.datachannel.m_instructions_per_frame;
  const transportRatio = summary.websocket.m_instructions_per_frame_without_decode /
    summary.datachannel.m_instructions_per_frame_without_decode;
  console.log(`server instructions per frame (median, all threads): DataChannel ${summary.datachannel.m_instructions_per_frame} M ` +
    `(${summary.datachannel.m_instructions_per_frame_without_decode} M without JPEG decode), WebSocket ` +
    `${summary.websocket.m_instructions_per_frame} M (${summary.websocket.m_instructions_per_frame_without_decode} M); ` +
    `WebSocket/DataChannel ${ratio.toFixed(2)} in all, ${transportRatio.toFixed(2)} for the transport alone`);
  console.log(JSON.stringify({ bench: 'fallback_callgrind', seconds: args.seconds, ...summary, ratio: round(ratio, 3),
    transport_ratio: round(transportRatio, 3) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
