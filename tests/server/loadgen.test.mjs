// The load generator (tools/bench/loadgen, build/sueo-loadgen) against the real server with the real
// model: webrtcbin pages send real KSL clips as the page does; every receipt and result must check
// out. And it must fail when a check fails: a clip named for another word, a server without a model.
// The capacity bench's other server, the aiortc reference (tools/bench/reference), must pass the same
// transport checks, or the bench's ratios compare against a server that does not do the work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, buildDir, repoRoot, testCertificate } from '../lib/sueo-server.mjs';

const loadgen = join(buildDir, 'sueo-loadgen');
const clip = (name) => join(repoRoot, 'tests/data/clips', name);
let server;

function run(args, target = server) {
  return new Promise((resolve, reject) => {
    const child = spawn(loadgen, ['--url', target.url, '--ca-cert', target.ca, ...args],
      { env: { ...process.env, SUEO_HOME: repoRoot }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop();
      let summary = null;
      try { summary = JSON.parse(last); } catch { /* reported below */ }
      resolve({ code, summary, log: `${out}\n${err}` });
    });
  });
}

before(async () => { server = await startServer(['--max-sessions', '4']); });
after(async () => {
  if (process.env.SUEO_TEST_VERBOSE) console.log(server.stderr());
  assert.equal(await server.stop(), 0, 'server exits cleanly');
});

test('two streams of real clips: every frame arrives, every word is right', async () => {
  const { code, summary, log } = await run(['--streams', '2', '--sequences', '2', '--detail', '1',
    '--clips', `${clip('c01_hi_s11_f8e48f6c.mp4')},${clip('c10_see_s11_7bbe5bb8.mp4')}`]);
  assert.equal(code, 0, log);
  assert.equal(summary.ok, true);
  assert.equal(summary.streams, 2);
  assert.equal(summary.sequences, 4);
  assert.equal(summary.frames_received, summary.frames_sent);
  assert.ok(summary.frames_sent >= 4 * 20, `frames sent: ${summary.frames_sent}`);
  assert.equal(summary.frames_dropped, 0);
  assert.equal(summary.words_right, 4);
  assert.ok(summary.server_ms_p50 > 0, 'results carry the server latency');
  assert.ok(summary.frame_complete_ms_p50 >= 0, 'the receipts carried the per-frame detail');
  assert.ok(summary.offer_to_open_ms_max > 0);
});

test('a clip named for another word fails the run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sueo-loadgen-'));
  try {
    // The sign for "hi" under the name of "see": the server answers 안녕, the check expects 보다.
    const renamed = join(dir, 'c10_see_s11_00000000.mp4');
    symlinkSync(clip('c01_hi_s11_f8e48f6c.mp4'), renamed);
    const { code, summary, log } = await run(['--streams', '1', '--sequences', '1', '--clips', renamed]);
    assert.equal(code, 3, log);
    assert.equal(summary.ok, false);
    assert.equal(summary.words_right, 0);
    assert.equal(summary.frames_dropped, 0, 'the frames themselves arrived');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transport only: a server without a model gives receipts and no results', async () => {
  const bare = await startServer(['--model', '']);
  try {
    const { code, summary, log } = await run(['--streams', '1', '--sequences', '2', '--detail', '1',
      '--clips', clip('c07_me_s11_e109e858.mp4')], bare);
    assert.equal(code, 0, log);
    assert.equal(summary.model, false);
    assert.equal(summary.frames_received, summary.frames_sent);
    assert.equal(summary.words_checked, 0);
    assert.ok(summary.frame_complete_ms_p95 >= summary.frame_complete_ms_p50);
  } finally {
    assert.equal(await bare.stop(), 0);
  }
});

// The original plan's transport (FastAPI + aiortc, Debian packages) as tools/bench/capacity runs it.
function startReference() {
  const { cert, key } = testCertificate();
  const child = spawn('/usr/bin/python3', [join(repoRoot, 'tools/bench/reference/aiortc_server.py'),
    '--cert', cert, '--key', key], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`reference did not start:\n${err}`)); }, 30000);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`reference exited ${code}:\n${err}`)); });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (https:\/\/127\.0\.0\.1:\d+\/)/);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1], ca: testCertificate().ca, stderr: () => err,
        stop: () => new Promise((r) => {
          if (child.exitCode !== null || child.signalCode !== null) return r();
          child.removeAllListeners('exit');
          child.on('exit', () => r());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

test('the aiortc reference passes the same transport checks (receipts, frame detail, no model)', async () => {
  const reference = await startReference();
  try {
    const { code, summary, log } = await run(['--streams', '2', '--sequences', '1', '--detail', '1',
      '--clips', `${clip('c07_me_s11_e109e858.mp4')},${clip('c10_see_s11_7bbe5bb8.mp4')}`], reference);
    assert.equal(code, 0, `${log}\n${reference.stderr()}`);
    assert.equal(summary.ok, true);
    assert.equal(summary.model, false);
    assert.ok(summary.frames_sent >= 2 * 20, `frames sent: ${summary.frames_sent}`);
    assert.equal(summary.frames_received, summary.frames_sent);
    assert.equal(summary.frames_dropped, 0);
    assert.ok(summary.frame_complete_ms_p95 >= summary.frame_complete_ms_p50);
    assert.ok(summary.offer_to_open_ms_max > 0);
  } finally {
    await reference.stop();
  }
});
