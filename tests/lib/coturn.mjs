// Debian's coturn on 127.0.0.1 for tests and benches, with deploy/coturn/turnserver-loopback.conf
// (TURN REST credentials, loopback peers allowed): free ports for UDP/TCP and for TLS, a fresh
// random shared secret, the tests' certificate for TLS. Also the TURN REST credential computed
// independently of the server (Node's crypto), for tests that make their own.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, testCertificate } from './sueo-server.mjs';

export const TURNSERVER = process.env.SUEO_TURNSERVER ?? '/usr/bin/turnserver';

// Why coturn cannot run here, or false.
export function coturnMissing() {
  return existsSync(TURNSERVER) ? false : `coturn not installed (${TURNSERVER}): apt-get install coturn`;
}

// A port free for both TCP and UDP on 127.0.0.1 (TURN listens on both).
export async function freeTcpUdpPort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => resolve(p)); });
      s.on('error', reject);
    });
    const dgram = await import('node:dgram');
    const free = await new Promise((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

// base64(HMAC-SHA1(secret, "<expiry>:<label>")): coturn's use-auth-secret check.
export function turnRestCredential(secret, label, expiresUnixS) {
  const username = `${expiresUnixS}:${label}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

// `config` with some settings replaced: its lines for those keys are dropped and `settings` appended.
// (coturn lets a config file's values win over the same options on its command line.)
function derivedConfig(config, settings) {
  const keys = new Set(Object.keys(settings));
  const kept = readFileSync(config, 'utf8').split('\n').filter((line) => !keys.has(line.trim().split('=')[0]));
  const added = Object.entries(settings).map(([k, v]) => (v === true ? k : `${k}=${v}`));
  const file = join(mkdtempSync(join(tmpdir(), 'sueo-coturn-')), 'turnserver.conf');
  writeFileSync(file, [...kept, '# for this run:', ...added, ''].join('\n'), { mode: 0o600 });
  return file;
}

// Starts turnserver with `config` (default: the loopback one), its ports, secret, certificate and
// log replaced for this run and, whatever the file says, listening and relaying on 127.0.0.1 only.
// Resolves once it listens: {port (UDP+TCP), tlsPort, secret, uris, stop(), log()}.
export async function startCoturn({ config = join(repoRoot, 'deploy/coturn/turnserver-loopback.conf') } = {}) {
  const { cert, key } = testCertificate();
  const port = await freeTcpUdpPort();
  let tlsPort = await freeTcpUdpPort();
  while (tlsPort === port) tlsPort = await freeTcpUdpPort();
  const secret = randomBytes(24).toString('base64url');
  const file = derivedConfig(config, {
    'listening-ip': '127.0.0.1', 'relay-ip': '127.0.0.1', 'listening-port': port, 'tls-listening-port': tlsPort,
    'static-auth-secret': secret, cert, pkey: key, 'log-file': 'stdout', 'simple-log': true,
  });
  const child = spawn(TURNSERVER, ['-c', file, '--pidfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`turnserver did not start:\n${log}`)), 10000);
    const poll = setInterval(() => {
      if (/Total (General|UDP) servers/.test(log) || /turn server id=\d+ created/.test(log)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    child.on('exit', (code) => { clearInterval(poll); clearTimeout(timer); reject(new Error(`turnserver exited (${code}):\n${log}`)); });
  });
  return {
    pid: child.pid,
    port,
    tlsPort,
    secret,
    uris: {
      udp: `turn:127.0.0.1:${port}?transport=udp`,
      tcp: `turn:127.0.0.1:${port}?transport=tcp`,
      tls: `turns:localhost:${tlsPort}?transport=tcp`,
    },
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    },
  };
}
