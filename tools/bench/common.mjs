// What the benchmarks share (tools/bench/transport.mjs, tools/bench/e2e.mjs): percentiles, rounding,
// flag parsing, opening connected pages, and the server's CPU use over a window.
import { processCpuSeconds } from '../../tests/browser/harness.mjs';

// Linear interpolation between closest ranks (as the server's receipt does). null for no values.
export function percentile(values, p) {
  const finite = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return null;
  const sorted = finite.slice().sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export const round = (v, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(d)));

// Reads `--flag value` / `--flag=value` pairs: spec maps each flag to (value, args) => void.
// `--help` prints `usage` and exits.
export function parseFlags(argv, spec, usage) {
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i].indexOf('=');
    const flag = eq < 0 ? argv[i] : argv[i].slice(0, eq);
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (!spec[flag]) throw new Error(`unknown option ${flag}\n${usage}`);
    const value = eq < 0 ? argv[++i] : argv[i].slice(eq + 1);
    if (value === undefined) throw new Error(`${flag} needs a value`);
    spec[flag](value);
  }
}

// Opens one page of the server after another, each with its camera on and its DataChannel open
// before the next starts: offer → open is then the handshake of one new session on a server
// already holding the others (idle), not a contest of simultaneous handshakes for 2 cores.
// `contexts`: one browser context for all pages, or one per page. `query` is added to the page URL
// (e.g. '?transport=websocket': frames over /ws, the fallback; handshake times are then null).
export async function openPages(contexts, url, count, query = '') {
  const list = Array.isArray(contexts) ? contexts : Array.from({ length: count }, () => contexts);
  const pages = [];
  const handshakes = [];
  for (let i = 0; i < count; i++) {
    const page = await list[i].newPage();
    await page.goto(`${url}/${query}`);
    await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 30000 });
    await page.evaluate(() => window.sueo.prepare());  // camera, then offer → DataChannel open
    handshakes.push(await page.evaluate(() => {
      const t = window.sueo.connection.timings;
      return { open: t.offerToOpenMs, answer: t.answerArrived - t.offerCreated, ice: t.iceConnected - t.offerCreated };
    }));
    pages.push(page);
  }
  return { pages, handshakes, openMs: handshakes.map((h) => h.open) };
}

// The server process's CPU use from now until stop(): {cpuS, wallS, pct} (% of one core).
export function cpuMeter(pid) {
  const cpu0 = processCpuSeconds(pid);
  const wall0 = performance.now();
  return {
    stop() {
      const wallS = (performance.now() - wall0) / 1000;
      const cpuS = processCpuSeconds(pid) - cpu0;
      return { cpuS, wallS, pct: (cpuS / wallS) * 100 };
    },
  };
}
