// How long from "save" to a taught word being usable, and what a taught word costs on disk.
//
//   NODE_EXTRA_CA_CERTS=build/test-certs/rootCA.pem node tools/bench/teach.mjs [--words 20] [--examples 3] [--frames 24]
//
// Starts the real `sueo serve` (127.0.0.1, a temporary store, the default model), teaches --words words
// of --examples examples each through POST /api/vocab (landmarks of the committed clip of signer 11,
// resampled to --frames frames: a take is the sign the spotter finds, at the server's default 15 landmark
// frames a second; `sueo vocab add` finds 24, 15 and 41 in browser.teach's three 안녕 teachers' clips),
// one after another, and prints per word: the server's saved_ms (the SQLite transaction, fsync included) and usable_ms
// (saved + the prototypes rebuilt with the current model and published to every session), the client's
// round trip, and the store's size on disk. The last line is JSON.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { startServer, buildDir, repoRoot } from '../../tests/lib/sueo-server.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const WORDS = arg('words', 20);
const EXAMPLES = arg('examples', 3);
const FRAMES = arg('frames', 24);
const TOKEN = 'bench-token';

// A real take's landmarks: `sueo extract` of the committed clip (15 fps), stretched to FRAMES frames.
function takeFrames() {
  const dir = mkdtempSync(path.join(tmpdir(), 'sueo-teach-bench-'));
  const npz = path.join(dir, 'take.npz');
  execFileSync(path.join(buildDir, 'sueo'), ['extract', '--every', '2', '--out', npz,
    path.join(repoRoot, 'tests/data/clips/c01_hi_s11_f8e48f6c.mp4')], { stdio: 'pipe' });
  const json = execFileSync('/usr/bin/python3', ['-c',
    `import json, numpy as np; d = np.load('${npz}'); x = d['X'][0, :d['lengths'][0]]; ` +
    `i = np.linspace(0, len(x) - 1, ${FRAMES}).round().astype(int); print(json.dumps(np.round(x[i], 5).tolist()))`],
  { encoding: 'utf8', maxBuffer: 64 << 20 });
  rmSync(dir, { recursive: true, force: true });
  return JSON.parse(json);
}

const pct = (values, p) => {
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const frames = takeFrames();
const dir = mkdtempSync(path.join(tmpdir(), 'sueo-teach-store-'));
const store = path.join(dir, 'vocabulary.db');
const server = await startServer(['--store', store, '--teach-token', TOKEN], { shedding: true });
const rows = [];
try {
  for (let w = 0; w < WORDS; w += 1) {
    const examples = Array.from({ length: EXAMPLES }, (_, e) => frames.map((f) => f.map((v) => v + 1e-4 * (w + e))));
    const t0 = performance.now();
    const r = await fetch(`${server.url}api/vocab`, {
      method: 'POST', headers: { 'X-Teach-Token': TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ word: `단어${w}`, examples, session: 'bench' }),
    });
    const body = await r.json();
    const roundTrip = performance.now() - t0;
    if (r.status !== 200) throw new Error(JSON.stringify(body));
    const bytes = ['', '-wal'].map((s) => (existsSync(store + s) ? statSync(store + s).size : 0)).reduce((a, b) => a + b, 0);
    rows.push({ word: w + 1, saved_ms: body.saved_ms, usable_ms: body.usable_ms, round_trip_ms: roundTrip, store_bytes: bytes });
    console.log(`word ${w + 1}: saved ${body.saved_ms.toFixed(1)} ms, usable ${body.usable_ms.toFixed(1)} ms, ` +
      `round trip ${roundTrip.toFixed(1)} ms, store ${bytes} bytes`);
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
const usable = rows.map((r) => r.usable_ms);
const trip = rows.map((r) => r.round_trip_ms);
const last = rows[rows.length - 1];
const summary = {
  words: WORDS, examples: EXAMPLES, frames: FRAMES,
  usable_ms_p50: pct(usable, 50), usable_ms_p95: pct(usable, 95), round_trip_ms_p50: pct(trip, 50),
  round_trip_ms_p95: pct(trip, 95), store_bytes: last.store_bytes,
  landmark_bytes_per_word: EXAMPLES * FRAMES * 258 * 4,
  store_bytes_per_word: Math.round((last.store_bytes - rows[0].store_bytes) / Math.max(1, WORDS - 1)),
  loadavg: loadavg().map((v) => Number(v.toFixed(2))),
};
console.log(`usable after save: p50 ${summary.usable_ms_p50.toFixed(1)} ms, p95 ${summary.usable_ms_p95.toFixed(1)} ms; ` +
  `store ${summary.store_bytes_per_word} bytes per word (${EXAMPLES} × ${FRAMES} frames); load ${summary.loadavg.join(' ')}`);
console.log(JSON.stringify(summary));
