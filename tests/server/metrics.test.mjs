// /metrics on the real server: the Prometheus text format (checked by a strict parser here, and by
// `promtool check metrics` when Debian's prometheus package is installed), the names and labels the
// issue asks for, and the same numbers as /healthz (one store behind both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, getJson } from '../lib/sueo-server.mjs';
import { WsClient } from './ws-client.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { assert.equal(await server.stop(), 0, server.stderr()); });

async function scrape() {
  const response = await fetch(server.url + 'metrics');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return await response.text();
}

// Parses the text exposition format (0.0.4) strictly; throws on anything malformed. Returns
// {families: Map(name → {type, help}), samples: [{name, labels, value}]}.
function parseExposition(text) {
  const families = new Map();
  const samples = [];
  const seen = new Set();
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleLine = new RegExp(`^(${name})(\\{(.*)\\})? (\\S+)$`);
  const labelPair = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/;
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, metric, help] = /^# HELP (\S+) (.*)$/.exec(line) ?? assert.fail(`bad HELP: ${line}`);
      families.set(metric, { ...(families.get(metric) ?? {}), help });
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, metric, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? assert.fail(`bad TYPE: ${line}`);
      assert.ok(!families.get(metric)?.type, `TYPE of ${metric} given twice`);
      assert.ok(!samples.some((s) => s.family === metric), `TYPE of ${metric} after its samples`);
      families.set(metric, { ...(families.get(metric) ?? {}), type });
      continue;
    }
    assert.ok(!line.startsWith('#') && line.length > 0, `stray line: ${JSON.stringify(line)}`);
    const m = sampleLine.exec(line) ?? assert.fail(`bad sample: ${line}`);
    const labels = {};
    let rest = m[3] ?? '';
    while (rest.length > 0) {
      const pair = labelPair.exec(rest) ?? assert.fail(`bad labels in: ${line}`);
      labels[pair[1]] = pair[2];
      rest = rest.slice(pair[0].length);
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    assert.ok(!Number.isNaN(value) || m[4] === 'NaN', `bad value: ${line}`);
    const family = [...families.keys()].find((f) => m[1] === f || (families.get(f).type === 'histogram' && /^(_bucket|_sum|_count)$/.test(m[1].slice(f.length)) && m[1].startsWith(f)));
    assert.ok(family, `sample without a TYPE: ${line}`);
    const key = m[1] + JSON.stringify(Object.entries(labels).sort());
    assert.ok(!seen.has(key), `duplicate series: ${line}`);
    seen.add(key);
    samples.push({ name: m[1], family, labels, value });
  }
  for (const [metric, { type, help }] of families) {
    assert.ok(type && help, `${metric} has TYPE and HELP`);
    if (type === 'counter') assert.match(metric, /_total$/, `counter ${metric} ends in _total`);
    if (type === 'histogram') {
      const series = new Map();
      for (const s of samples.filter((x) => x.family === metric)) {
        const { le, ...others } = s.labels;
        const id = JSON.stringify(Object.entries(others).sort());
        series.set(id, [...(series.get(id) ?? []), { ...s, le }]);
      }
      for (const [id, list] of series) {
        const buckets = list.filter((s) => s.name.endsWith('_bucket'));
        assert.equal(buckets.at(-1).le, '+Inf', `${metric}${id} ends with le="+Inf"`);
        for (let i = 1; i < buckets.length; i++) {
          assert.ok(Number(buckets[i].le) > Number(buckets[i - 1].le) || buckets[i].le === '+Inf', `${metric} le ascending`);
          assert.ok(buckets[i].value >= buckets[i - 1].value, `${metric} buckets cumulative`);
        }
        assert.equal(list.find((s) => s.name.endsWith('_count')).value, buckets.at(-1).value, `${metric} _count = +Inf bucket`);
      }
    }
  }
  assert.ok(!text.includes('session="'), 'no per-session labels');
  return { families, samples };
}

const value = (parsed, name, labels = {}) => parsed.samples.find((s) => s.name === name &&
  Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

test('/metrics is valid Prometheus text with the issue\'s families, and agrees with /healthz', async () => {
  const ws = await WsClient.connect(server.wsUrl);
  await ws.type('welcome');
  ws.send('{"type":');
  await ws.error('bad_json');
  ws.send({ type: 'nope' });
  await ws.error('unknown_type');

  const text = await scrape();
  const parsed = parseExposition(text);
  const health = (await getJson(server.url + 'healthz')).body;
  assert.equal(value(parsed, 'sueo_sessions'), 1);
  assert.equal(value(parsed, 'sueo_sessions'), health.sessions.active);
  assert.equal(value(parsed, 'sueo_errors_total', { code: 'bad_json' }), health.errors.bad_json);
  assert.equal(value(parsed, 'sueo_errors_total', { code: 'unknown_type' }), health.errors.unknown_type);
  assert.equal(value(parsed, 'sueo_sessions_opened_total'), health.counters['sessions.total']);
  for (const reason of ['incomplete', 'duplicate', 'oversized', 'out_of_range', 'bad_jpeg', 'overloaded']) {
    assert.equal(value(parsed, 'sueo_frames_dropped_total', { reason }), health.frames.dropped[reason], reason);
  }
  for (const family of ['sueo_frames_received_total', 'sueo_frames_decoded_total', 'sueo_worker_queue_depth',
    'sueo_worker_threads', 'sueo_draining', 'sueo_main_loop_lag_seconds', 'process_resident_memory_bytes',
    'process_open_fds', 'process_cpu_seconds_total', 'sueo_process_threads']) {
    assert.ok(parsed.families.has(family), `${family} exported`);
  }
  assert.equal(parsed.families.get('sueo_frames_dropped_total').type, 'counter');
  assert.equal(parsed.families.get('sueo_main_loop_lag_seconds').type, 'histogram');
  if (health.model) {
    const info = parsed.samples.find((s) => s.name === 'sueo_model_info');
    assert.deepEqual(info?.labels, { name: health.model.name, labels: String(Array.isArray(health.model.labels) ? health.model.labels.length : health.model.labels) });
  }
  assert.ok(value(parsed, 'process_open_fds') > 5);
  await ws.close();
});

test('promtool check metrics accepts it (when Debian\'s prometheus package is installed)', async (t) => {
  const which = spawnSync('sh', ['-c', 'command -v promtool']);
  if (which.status !== 0) {
    t.skip('promtool not installed (apt-get install prometheus); the parser test above still checks the format');
    return;
  }
  const check = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(), encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
});
