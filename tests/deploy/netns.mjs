// Runs a test file again inside a fresh network namespace whose only interface is `lo` (up): the
// host a container or a CI sandbox gives. Needs root or CAP_SYS_ADMIN for `unshare -n`; without it
// the caller skips, saying so.
import { spawn, spawnSync } from 'node:child_process';

export const INSIDE = process.env.SUEO_TEST_NETNS === '1';

// Why a namespace cannot be made here, or null when it can.
export function netnsUnavailable() {
  const probe = spawnSync('unshare', ['-n', 'true'], { encoding: 'utf8' });
  if (probe.error) return `no unshare (util-linux): ${probe.error.message}`;
  if (probe.status !== 0) return `cannot make a network namespace (needs root or CAP_SYS_ADMIN): ${probe.stderr.trim()}`;
  return null;
}

// Runs `node [nodeArgs] --test file` in a new network namespace with `lo` up; resolves with the exit
// code. Its output goes to ours.
export function runInLoopbackNamespace(file, nodeArgs = []) {
  const script = 'ip link set lo up && exec "$@"';
  // Without the runner's NODE_TEST_CONTEXT: the inner `node --test` must run and report on its own.
  const { NODE_TEST_CONTEXT, ...env } = process.env;
  const child = spawn('unshare', ['-n', '--', 'sh', '-c', script, 'sh', process.execPath, ...nodeArgs,
    '--test', '--test-reporter=spec', file], { env: { ...env, SUEO_TEST_NETNS: '1' }, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
}
