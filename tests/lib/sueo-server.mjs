// Test helpers: a test certificate made with mkcert in a temporary CA, and the real `sueo serve`
// binary started on 127.0.0.1 with a free port. Used by tests/server and tests/browser.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const buildDir = process.env.SUEO_BUILD_DIR ?? join(repoRoot, 'build');
export const sueoBinary = process.env.SUEO_BINARY ?? join(buildDir, 'sueo');

// A certificate for localhost/127.0.0.1 signed by a CA that exists only for the tests.
export function testCertificate() {
  const dir = join(buildDir, 'test-certs');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  if (!existsSync(cert) || !existsSync(key)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('mkcert', ['-cert-file', cert, '-key-file', key, 'localhost', '127.0.0.1', '::1'], {
      env: { ...process.env, CAROOT: dir }, stdio: 'pipe',
    });
  }
  return { cert, key, ca: join(dir, 'rootCA.pem'), caKey: join(dir, 'rootCA-key.pem') };
}

const kStartMs = 60000;  // how long `sueo serve` may take to print its URL

// Starts `sueo serve` and resolves once it prints its URL. `extraArgs` are added to the command line
// (later flags win). The server offers loopback ICE candidates (--ice-loopback): tests talk to
// loopback only, and pass on a host whose only interface is `lo` (Chromium needs
// --allow-loopback-in-peer-connection, tests/lib/chromium.mjs).
// `certs` ({cert, key, ca}): the HTTPS certificate, default the tests' own.
// `shedding`: the server's overload shedding (--shed-after-ms) stays at its default only when asked.
// Tests turn it off: their Chromiums run on the server's own two cores, an overload no deployment has
// (the iPad is another machine), and under it the server rightly thins streams to every second frame,
// which changes words (CI saw 18 of 67 frames shed and 보다 become unknown_sign in deploy.drain).
// Shedding has its own tests (Shedding.*); benches that measure the product pass `shedding: true`.
export async function startServer(extraArgs = [], { env = {}, certs = null, shedding = false } = {}) {
  const { cert, key, ca } = certs ?? testCertificate();
  const args = ['serve', '--address', '127.0.0.1', '--port', '0', '--cert', cert, '--key', key,
    '--ca-cert', ca, '--qr', '0', '--ice-loopback', '1', ...(shedding ? [] : ['--shed-after-ms', '0']),
    ...extraArgs];
  const child = spawn(sueoBinary, args, {
    cwd: repoRoot, env: { ...process.env, ...env, SUEO_HOME: repoRoot }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolvePromise, reject) => {
    // A bound for a server that never starts, not a speed check: a sanitizer build (Debug + ASan) on a
    // busy machine takes well over 15 s to load and warm the models.
    const timer = setTimeout(() => reject(new Error(`sueo serve did not start in ${kStartMs} ms:\n${stderr}`)), kStartMs);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/listening on (https:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) { clearTimeout(timer); resolvePromise(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`sueo serve exited (${code}):\n${stderr}`)); });
  });
  return {
    url,
    wsUrl: url.replace('https://', 'wss://') + 'ws',
    child,
    stderr: () => stderr,
    ca,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
      child.kill('SIGTERM');
      return await new Promise((r) => child.on('exit', (code, signal) => r(code ?? signal)));
    },
  };
}

// Fetches JSON over HTTPS trusting the test CA (NODE_EXTRA_CA_CERTS is read at start-up, so tests
// run with it set; see tests/server/CMakeLists.txt).
export async function getJson(url) {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}
