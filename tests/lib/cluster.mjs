// N `sueo serve` instances behind Debian's HAProxy on 127.0.0.1, with deploy/haproxy/haproxy.cfg
// (its server lines written for the instances by deploy/haproxy/render-config.sh), and optionally coturn (tests/lib/coturn.mjs) whose
// TURN REST credentials the instances hand out. Used by the deploy tests, the benches and the
// one-command local setup (deploy/local-cluster.sh).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, startServer, testCertificate } from './sueo-server.mjs';
import { startCoturn } from './coturn.mjs';

export const HAPROXY = process.env.SUEO_HAPROXY ?? '/usr/sbin/haproxy';

// Why HAProxy cannot run here, or false.
export function haproxyMissing() {
  return existsSync(HAPROXY) ? false : `HAProxy not installed (${HAPROXY}): apt-get install haproxy`;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

// deploy/haproxy/haproxy.cfg with one server line per instance (deploy/haproxy/render-config.sh).
export function haproxyConfig(instances) {
  return execFileSync(join(repoRoot, 'deploy/haproxy/render-config.sh'),
    instances.map((i) => `${i.name}=127.0.0.1:${i.port}`), { encoding: 'utf8' });
}

// One command on HAProxy's runtime API (a Unix socket); resolves with its answer.
export function runtime(socket, command) {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socket);
    let out = '';
    conn.on('connect', () => conn.write(`${command}\n`));
    conn.on('data', (d) => { out += d; });
    conn.on('end', () => resolve(out));
    conn.on('error', reject);
  });
}

// `show stat` as objects: {pxname, svname, status, scur (current sessions), stot, qcur, ...}.
export async function haproxyStat(socket) {
  const [header, ...rows] = (await runtime(socket, 'show stat')).trim().split('\n');
  const keys = header.replace(/^# /, '').split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [keys[i], v])));
}

// Starts HAProxy for `instances` and resolves once every instance is UP in sueo_ws.
async function startHaproxy(instances, { certs, runDir, bind, maxconn }) {
  const pem = join(runDir, 'balancer.pem');
  writeFileSync(pem, readFileSync(certs.cert, 'utf8') + readFileSync(certs.key, 'utf8'), { mode: 0o600 });
  const config = join(runDir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(instances));
  const socket = join(runDir, 'haproxy.sock');
  const env = {
    ...process.env, SUEO_LB_BIND: bind, SUEO_LB_CERT: pem, SUEO_INSTANCE_CA: certs.ca, SUEO_LB_RUNTIME: socket,
    SUEO_LB_MAXCONN_PER_INSTANCE: String(maxconn),
  };
  const child = spawn(HAPROXY, ['-db', '-f', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}):\n${log}`);
    try {
      const stat = await haproxyStat(socket);
      const up = stat.filter((s) => s.pxname === 'sueo_ws' && s.svname.startsWith('sueo') && s.status === 'UP');
      if (up.length === instances.length) break;
    } catch { /* not listening yet */ }
    if (i > 200) throw new Error(`haproxy did not see every instance UP:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid, child, config, socket, log: () => log,
    stat: () => haproxyStat(socket),
    command: (text) => runtime(socket, text),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

// Starts `count` instances and HAProxy in front of them (and coturn when `turn`). Options:
//   instanceArgs: more `sueo serve` flags for every instance (e.g. ['--model', file]);
//   certs: {cert, key, ca} for the instances and the balancer (default: the tests' certificate);
//   port: the balancer's port on `address` (default a free one); maxSessions: each instance's
//   --max-sessions, also HAProxy's maxconn per instance; turn: start coturn and hand out its
//   credentials (UDP, TCP and TLS URIs); shedding: keep the instances' overload shedding on (off in
//   tests, tests/lib/sueo-server.mjs says why).
// Resolves with {url, wsUrl, instances[{name, url, port, pid, child, stderr(), stop()}], haproxy,
// turn, runDir, stop()}.
export async function startCluster({
  count = 2, instanceArgs = [], certs = null, address = '127.0.0.1', port = 0, maxSessions = 8, turn = false,
  shedding = false,
} = {}) {
  certs = certs ?? testCertificate();
  const runDir = mkdtempSync(join(tmpdir(), 'sueo-cluster-'));
  const started = [];
  let turnServer = null;
  let haproxy = null;
  const lbPort = port || await freePort();
  const stop = async () => {
    await haproxy?.stop();
    await Promise.all(started.map((i) => i.stop()));
    await turnServer?.stop();
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const env = {};
    // HAProxy connects from 127.0.0.1 and names the client in X-Forwarded-For: trust it for the
    // per-address session limit.
    const args = ['--max-sessions', String(maxSessions), '--trusted-proxies', '127.0.0.1', ...instanceArgs];
    if (turn) {
      turnServer = await startCoturn();
      env.SUEO_TURN_SECRET = turnServer.secret;  // from the environment: not in `ps`
      args.push('--turn-uris', [turnServer.uris.udp, turnServer.uris.tcp, turnServer.uris.tls].join(','));
    }
    for (let i = 1; i <= count; i++) {
      const server = await startServer(args, { env, certs, shedding });
      const instancePort = Number(new URL(server.url).port);
      started.push({ ...server, name: `sueo${i}`, port: instancePort, pid: server.child.pid });
    }
    haproxy = await startHaproxy(started, { certs, runDir, bind: `${address}:${lbPort}`, maxconn: maxSessions });
  } catch (error) {
    await stop();
    throw error;
  }
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `https://${host}:${lbPort}/`;
  return { url, wsUrl: `${url.replace('https://', 'wss://')}ws`, instances: started, haproxy, turn: turnServer, runDir, stop };
}
