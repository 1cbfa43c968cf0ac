// What tools/bench/capacity.mjs and tools/bench/memory.mjs share: a server (`sueo serve` or the aiortc
// reference) pinned to a CPU, and build/sueo-loadgen pinned to another, its JSON summary returned.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildDir, repoRoot, sueoBinary, testCertificate } from '../../tests/lib/sueo-server.mjs';

export const loadgenBinary = process.env.SUEO_LOADGEN ?? path.join(buildDir, 'sueo-loadgen');
const referenceServer = path.join(repoRoot, 'tools/bench/reference/aiortc_server.py');

export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

// Starts a server process pinned to `cpu` and resolves with {url, pid, stop()} once it prints its URL.
function startPinned(cpu, command, args, name) {
  const child = spawn('taskset', ['-c', cpu, command, ...args], {
    cwd: repoRoot, env: { ...process.env, SUEO_HOME: repoRoot }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${err}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (https:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1], pid: child.pid, stderr: () => err,
          stop: () => new Promise((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            child.on('exit', () => r());
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}):\n${err}`)); });
  });
}

// Settings a bench from one address needs, where this server has them: loopback ICE candidates (the
// load generator offers 127.0.0.1 too), no per-address session cap, no idle timeout between steps.
function benchSettings() {
  const help = execFileSync(sueoBinary, ['serve', '--help'], { encoding: 'utf8' });
  const wanted = [['--ice-loopback', '1'], ['--max-sessions-per-address', '1000'], ['--idle-seconds', '3600']];
  return wanted.filter(([flag]) => help.includes(flag)).flat();
}

export function startSueo(args, extra) {
  const { cert, key, ca } = testCertificate();
  return startPinned(args.serverCpu, sueoBinary, ['serve', '--address', '127.0.0.1', '--port', '0', '--cert', cert,
    '--key', key, '--ca-cert', ca, '--qr', '0', '--workers', '1', '--max-sessions', '256', ...benchSettings(),
    ...extra], 'sueo serve');
}

export function startReference(args) {
  const { cert, key } = testCertificate();
  return startPinned(args.serverCpu, '/usr/bin/python3', [referenceServer, '--cert', cert, '--key', key], 'aiortc reference');
}

// Runs the load generator pinned to its core; resolves with its JSON summary.
export function runLoadgen(args, server, extra) {
  const { ca } = testCertificate();
  const argv = ['-c', args.loadgenCpu, loadgenBinary, '--url', server.url, '--ca-cert', ca, '--server-pid',
    String(server.pid), ...(args.clips ? ['--clips', args.clips] : []), ...extra];
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', argv, { env: { ...process.env, SUEO_HOME: repoRoot }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      try {
        resolve({ code, ...JSON.parse(out.trim().split('\n').pop()) });
      } catch {
        reject(new Error(`sueo-loadgen exited ${code} without a summary:\n${out}\n${err}`));
      }
    });
  });
}

