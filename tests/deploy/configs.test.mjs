// The deployment files stay usable: HAProxy accepts its config as rendered for a list of instances
// and for DNS discovery (Kubernetes); the HAProxy image's entrypoint, run here outside a container
// against two real instances, balances their /healthz and /ws; the runtime package list the image
// installs names what serving loads; every script parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDir, repoRoot, startServer, testCertificate } from '../lib/sueo-server.mjs';
import { freePort, HAPROXY, haproxyMissing } from '../lib/cluster.mjs';
import { WsClient } from '../server/ws-client.mjs';

const skip = haproxyMissing();
const deploy = path.join(repoRoot, 'deploy');

function checkHaproxy(config) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sueo-haproxy-check-'));
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const { cert, key, ca } = testCertificate();
  const pem = path.join(dir, 'lb.pem');
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return execFileSync(HAPROXY, ['-c', '-f', file], {
    encoding: 'utf8', stdio: 'pipe',
    env: { ...process.env, SUEO_LB_BIND: '127.0.0.1:18443', SUEO_LB_CERT: pem, SUEO_INSTANCE_CA: ca, SUEO_LB_RUNTIME: path.join(dir, 'sock') },
  });
}

test('HAProxy accepts the config rendered for a list of instances and for DNS discovery', { skip }, () => {
  const render = path.join(deploy, 'haproxy/render-config.sh');
  const listed = execFileSync(render, ['sueo1=127.0.0.1:8444', 'sueo2=127.0.0.1:8445'], { encoding: 'utf8' });
  assert.match(listed, /server sueo2 127\.0\.0\.1:8445 track sueo_ws\/sueo2/);
  assert.match(checkHaproxy(listed), /Configuration file is valid/);
  const dns = execFileSync(render, ['--dns', 'sueo', '16', '_https._tcp.sueo.sueo.svc.cluster.local'], { encoding: 'utf8' });
  assert.match(dns, /server-template sueo 1-16 _https\._tcp\.sueo\.sueo\.svc\.cluster\.local resolvers dns/);
  assert.match(checkHaproxy(dns), /Configuration file is valid/);
  assert.throws(() => execFileSync(render, ['not-a-spec'], { stdio: 'pipe' }), 'a bad server spec is refused');
});

test('the HAProxy image entrypoint balances two real instances (run outside a container)', { skip }, async () => {
  const certs = testCertificate();
  const instances = [await startServer(['--model', '']), await startServer(['--model', ''])];
  const port = await freePort();
  const run = mkdtempSync(path.join(tmpdir(), 'sueo-entrypoint-'));
  const child = spawn(path.join(deploy, 'docker/haproxy-entrypoint.sh'), [], {
    env: {
      ...process.env, TMPDIR: run, SUEO_LB_BIND: `127.0.0.1:${port}`, SUEO_CERT: certs.cert, SUEO_KEY: certs.key,
      SUEO_INSTANCE_CA: certs.ca,
      SUEO_INSTANCES: instances.map((s, i) => `sueo${i + 1}=127.0.0.1:${new URL(s.url).port}`).join(' '),
    },
    stdio: 'ignore',
  });
  try {
    const url = `https://127.0.0.1:${port}/`;
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await fetch(`${url}healthz`).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, '/healthz through the balancer');
    const ws = await WsClient.connect(`wss://127.0.0.1:${port}/ws`);
    assert.equal((await ws.type('welcome')).type, 'welcome');
    await ws.close();
  } finally {
    child.kill('SIGTERM');
    for (const s of instances) await s.stop();
  }
});

test('the image\'s runtime packages include what serving loads at run time', () => {
  const packages = execFileSync(path.join(deploy, 'docker/runtime-packages.sh'), [path.join(buildDir, 'sueo')], { encoding: 'utf8' })
    .trim().split('\n');
  for (const p of ['gstreamer1.0-plugins-bad', 'gstreamer1.0-nice', 'glib-networking', 'libsoup-3.0-0', 'libnice10', 'libturbojpeg0']) {
    assert.ok(packages.includes(p), `${p} in ${packages.join(' ')}`);
  }
  assert.ok(!packages.some((p) => /chromium|python3|webkit|-dev$/.test(p)), 'no browser, Python or -dev package');
});

test('every deployment script parses', () => {
  for (const f of ['docker/haproxy-entrypoint.sh', 'docker/coturn-entrypoint.sh']) execFileSync('sh', ['-n', path.join(deploy, f)]);
  for (const f of ['haproxy/render-config.sh', 'docker/runtime-packages.sh', 'local-cluster.sh']) execFileSync('bash', ['-n', path.join(deploy, f)]);
});
