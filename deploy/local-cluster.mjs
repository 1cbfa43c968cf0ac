#!/usr/bin/env node
// The loopback setup with one command: N `sueo serve` instances behind HAProxy (and coturn with
// --turn) on this machine, as deploy/haproxy/haproxy.cfg and deploy/coturn/turnserver-loopback.conf
// describe a real one. Ctrl-C stops everything. Run it through deploy/local-cluster.sh.
//
//   deploy/local-cluster.sh [--instances 2] [--port 8443] [--address 127.0.0.1] [--max-sessions 8]
//                           [--turn] [-- more sueo serve flags]
// Certificates: certs/ (scripts/make-certs.sh, as `make run` makes them) for the balancer and the
// instances; HAProxy checks the instances against certs/rootCA.pem.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../tests/lib/sueo-server.mjs';
import { haproxyMissing, startCluster } from '../tests/lib/cluster.mjs';
import { coturnMissing } from '../tests/lib/coturn.mjs';

const USAGE = 'usage: deploy/local-cluster.sh [--instances N] [--port P] [--address A] [--max-sessions N] [--turn] [-- sueo serve flags]';

function parse(argv) {
  const o = { count: 2, port: 8443, address: '127.0.0.1', maxSessions: 8, turn: false, instanceArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { o.instanceArgs = argv.slice(i + 1); break; }
    if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0); }
    if (a === '--turn') { o.turn = true; continue; }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
    if (a === '--instances') o.count = Number(value);
    else if (a === '--port') o.port = Number(value);
    else if (a === '--address') o.address = value;
    else if (a === '--max-sessions') o.maxSessions = Number(value);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (!(Number.isInteger(o.count) && o.count >= 1)) throw new Error(`--instances: a whole number ≥ 1\n${USAGE}`);
  return o;
}

async function main() {
  const o = parse(process.argv.slice(2));
  const missing = haproxyMissing() || (o.turn && coturnMissing());
  if (missing) throw new Error(missing);
  if (!existsSync(join(repoRoot, 'build/sueo')) && !process.env.SUEO_BINARY) throw new Error('build/sueo is missing: run scripts/setup.sh first');
  if (!existsSync(join(repoRoot, 'certs/cert.pem'))) execFileSync(join(repoRoot, 'scripts/make-certs.sh'), { stdio: 'inherit' });
  const certs = { cert: join(repoRoot, 'certs/cert.pem'), key: join(repoRoot, 'certs/key.pem'), ca: join(repoRoot, 'certs/rootCA.pem') };
  const cluster = await startCluster({
    count: o.count, port: o.port, address: o.address, maxSessions: o.maxSessions, turn: o.turn, certs,
    instanceArgs: o.instanceArgs,
  });
  for (const i of cluster.instances) {
    i.child.stderr.on('data', (d) => process.stderr.write(String(d).replace(/^(?=.)/gm, `[${i.name}] `)));
  }
  console.log(`sueo: ${o.count} instance(s) behind HAProxy: open ${cluster.url}`);
  for (const i of cluster.instances) console.log(`      ${i.name}: ${i.url} (pid ${i.pid})`);
  console.log(`      HAProxy pid ${cluster.haproxy.pid}; runtime API: echo "show stat" | socat - ${cluster.haproxy.socket}`);
  if (cluster.turn) console.log(`      coturn: ${Object.values(cluster.turn.uris).join(', ')}`);
  console.log('      Ctrl-C stops everything.');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nsueo: stopping the cluster');
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // An instance or HAProxy that exits on its own ends the setup: say so rather than limp on.
  for (const p of [...cluster.instances.map((i) => [i.name, i.child]), ['haproxy', cluster.haproxy.child]]) {
    p[1].on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`sueo: ${p[0]} exited (${code ?? signal})`);
      stop();
    });
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
