// Swapping the model file while the server runs (issue 9 item 7): the page streams a sequence, the
// model is replaced in the middle of it through the token-protected endpoint, and the sequence still
// finishes on the model it started with while the next one uses the new model; the session is never
// dropped. A file that does not meet the contract is refused and the running model stays; SIGHUP
// reloads the --model file. The "new" model is the default one under another file name, so each
// result's `model` field says which one classified it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clipY4m, launchChromium, repoRoot, startServer } from './harness.mjs';

const TOKEN = 'swap-token-1c9e';
const dir = mkdtempSync(path.join(tmpdir(), 'sueo-swap-'));
const second = path.join(dir, 'second-model.onnx');
const broken = path.join(dir, 'broken.onnx');
let server;
let browser;

before(async () => {
  copyFileSync(path.join(repoRoot, 'models/sueo-ksl.onnx'), second);
  writeFileSync(broken, 'not an onnx file');
  server = await startServer(['--store', path.join(dir, 'v.db'), '--teach-token', TOKEN]);
  browser = await launchChromium({ y4m: clipY4m(path.join(repoRoot, 'tests/data/clips/c01_hi_s11_f8e48f6c.mp4')) });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function reload(body, token = TOKEN) {
  const r = await fetch(`${server.url}/api/model/reload`, {
    method: 'POST', headers: { 'X-Teach-Token': token }, body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

const modelName = async () => (await (await fetch(`${server.url}/healthz`)).json()).model.name;

test('a sequence in flight finishes on its model, the next uses the new one, the session stays', { timeout: 240000 }, async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
  await page.evaluate(() => window.sueo.prepare());
  const first = page.evaluate(() => window.sueo.start({ seconds: 5 }));
  await page.waitForTimeout(1500);  // the sequence is streaming now
  const swapped = await reload({ path: second });
  assert.equal(swapped.status, 200, JSON.stringify(swapped.body));
  assert.equal(swapped.body.model.name, 'second-model');
  const during = await first;
  assert.equal(during.result.model, 'sueo-ksl', 'the sequence in flight kept the model it started with');
  assert.equal(during.result.word, '안녕');
  const next = await page.evaluate(() => window.sueo.start({ seconds: 3 }));
  assert.equal(next.result.model, 'second-model');
  assert.equal(await page.evaluate(() => window.sueo.state), 'open', 'the session was not dropped');
  assert.equal(await modelName(), 'second-model');
  await page.close();
});

test('a bad model file is refused and the running model stays', async () => {
  let r = await reload({ path: broken });
  assert.equal(r.status, 422);
  assert.equal(r.body.error, 'model_invalid');
  assert.match(r.body.message, /not an ONNX model/);
  r = await reload({ path: path.join(dir, 'absent.onnx') });
  assert.equal(r.status, 422);
  r = await reload({ path: second }, 'wrong-token');
  assert.equal(r.status, 403);
  assert.equal(await modelName(), 'second-model');
  const health = await (await fetch(`${server.url}/healthz`)).json();
  assert.equal(health.counters['model.swaps_refused'], 2);
});

test('SIGHUP reloads the --model file', async () => {
  server.proc.kill('SIGHUP');
  const deadline = Date.now() + 20000;
  while (await modelName() !== 'sueo-ksl' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await modelName(), 'sueo-ksl');
});
