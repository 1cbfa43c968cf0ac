// The real parts the browser tests and the transport bench run against: a y4m of a real KSL clip
// for Chromium's fake camera, a test certificate from mkcert, the real `sueo serve` binary on
// 127.0.0.1:0, and Debian's Chromium driven by playwright-core. Loopback only.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(repoRoot, 'package.json'));

export const DEFAULT_CLIP = path.join(repoRoot, 'tests/data/clips/c01_hi_s11_f8e48f6c.mp4');

export function chromiumPath() {
  return process.env.SUEO_CHROMIUM || '/usr/bin/chromium';
}

// Converts a clip to a 4:2:0 y4m (the only layout Chromium's file camera takes) at width × height
// and fps. The 16:9 clips are padded, not stretched, to 4:3 so hand shapes stay true. Chromium loops
// the file. Made once per build directory; re-made when the clip is newer.
export function makeY4m(clip, out, { width = 640, height = 480, fps = 15 } = {}) {
  if (existsSync(out) && statSync(out).mtimeMs > statSync(clip).mtimeMs) return out;
  const filter = `scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,fps=${fps}`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-vf', filter, '-pix_fmt', 'yuv420p',
    '-f', 'yuv4mpegpipe', out], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

// A certificate for localhost and 127.0.0.1 from a throwaway mkcert CA in `dir`.
export function makeCert(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('mkcert', ['-cert-file', cert, '-key-file', key, 'localhost', '127.0.0.1'], {
    env: { ...process.env, CAROOT: dir }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { cert, key };
}

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

// Starts `sueo serve` on 127.0.0.1 with a free port and resolves once it prints its address.
export function startServer(binary, { cert, key, args = [], env = {}, timeoutMs = 20000 } = {}) {
  const proc = spawn(binary, ['serve', '--address', '127.0.0.1', '--port', '0', '--cert', cert,
    '--key', key, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGTERM');
      reject(new Error(`sueo serve did not start in ${timeoutMs} ms:\n${log}`));
    }, timeoutMs);
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const match = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1], proc, pid: proc.pid, log: () => log,
          stop: () => stopProcess(proc),
        });
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`sueo serve exited (${code ?? signal}) before listening:\n${log}`));
    });
  });
}

function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => { clearTimeout(killer); resolve(); });
    proc.kill('SIGTERM');
  });
}

// Chromium with a fake camera playing `y4m`, accepting the test certificate, allowed to use loopback
// ICE candidates, with no background timer throttling (several streaming pages run at once in the
// bench). A fresh profile each time; `close()` removes it.
export async function launchChromium({ y4m, args = [] } = {}) {
  const { chromium } = require('playwright-core');
  const userDataDir = tempDir('sueo-chromium-');
  const flags = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--allow-loopback-in-peer-connection', '--ignore-certificate-errors',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    ...(y4m ? [`--use-file-for-fake-video-capture=${y4m}`] : []),
    ...args,
  ];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(), headless: true, args: flags, ignoreHTTPSErrors: true,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// The build directory holding `sueo`: $SUEO_BUILD_DIR (CTest sets it), else <repo>/build.
export function buildDir() {
  return process.env.SUEO_BUILD_DIR || path.join(repoRoot, 'build');
}

export function sueoBinary() {
  return process.env.SUEO_BINARY || path.join(buildDir(), 'sueo');
}

// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat.
export function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) may hold spaces: split after its closing parenthesis. utime, stime are fields 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / clockTicksPerSecond();
}

let ticksPerSecond = null;
function clockTicksPerSecond() {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}
