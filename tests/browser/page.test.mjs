// The page's recognition display in Chromium, fed through the test hook (sueo.receive) with messages
// in the shapes of docs/protocol.md §4: the word big with its gloss and score, the top 3, a word-less
// result's reason in Korean and English, the history table and its latency chart, and landmarks drawn
// where the user sees them on the mirrored, letterboxed preview. The page comes from the real
// `sueo serve`; the camera is Chromium's fake one playing a real KSL clip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DEFAULT_CLIP, buildDir, launchChromium, makeY4m, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  const y4m = makeY4m(DEFAULT_CLIP, path.join(buildDir, 'c01_640x480_15.y4m'));
  server = await startServer();
  browser = await launchChromium({ y4m });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage() {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
  return { page, problems };
}

const result = (seq, extra = {}) => ({
  type: 'result', seq, word: '안녕', gloss: 'hi', score: 0.913,
  top: [{ word: '안녕', gloss: 'hi', score: 0.913 }, { word: '만나다', gloss: 'meet', score: 0.05 },
    { word: '나', gloss: 'me', score: 0.02 }],
  frames: { used: 44, dropped: 1, with_pose: 44, with_hands: 30 },
  t_receive: 1764136010124.1, t_inference: 1764136010161.9,
  stages_ms: { decode: { median: 1.1, p90: 1.9 }, landmarks: { median: 24, p90: 31.2 },
    queue_wait: { median: 0.3, p90: 4 }, classifier: 3.1, after_last_frame: 37.8 },
  model: 'sueo-ksl', ...extra,
});

test('a result shows the word, gloss, score, top 3, server latency and a history row', async () => {
  const { page, problems } = await openPage();
  try {
    await page.evaluate((msg) => window.sueo.receive(msg), result(11));
    assert.equal(await page.locator('#word').textContent(), '안녕');
    assert.equal(await page.locator('#gloss').textContent(), 'hi');
    assert.equal(await page.locator('#score').textContent(), '91.3 %');
    assert.equal(await page.locator('#reason').isHidden(), true);
    const top = await page.locator('#top li').allTextContents();
    assert.deepEqual(top, ['안녕hi91.3 %', '만나다meet5.0 %', '나me2.0 %']);
    // Server processing is T_inference − T_receive (both server clock); total and transfer need the
    // sequence's T_start, which a result for a sequence the page never sent does not have.
    assert.equal(await page.locator('td[data-key="result.server"]').textContent(), '37.8 ms');
    assert.equal(await page.locator('td[data-key="result.total"]').textContent(), '— ms');
    assert.equal(await page.locator('td[data-key="label.stage_landmarks"]').textContent(), '24.0 / 31.2');
    assert.equal(await page.locator('td[data-key="label.frames_used"]').textContent(), '44 / 1');
    const last = await page.evaluate(() => window.sueo.lastResult);
    assert.equal(last.seq, 11);
    assert.equal(last.word, '안녕');
    assert.ok(Math.abs(last.serverMs - 37.8) < 1e-3, `${last.serverMs}`);  // epoch ms: ULP ~2e-4
    const rows = await page.locator('#history tr').allTextContents();
    assert.equal(rows.length, 1);
    assert.match(rows[0], /^\d\d:\d\d:\d\d안녕 hi91\.3 %— \/ — \/ 3844 \/ 1$/);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('a word-less result shows its reason in Korean and English', async () => {
  const { page } = await openPage();
  try {
    await page.evaluate((msg) => window.sueo.receive(msg), result(12));
    await page.evaluate(() => window.sueo.receive({
      type: 'result', seq: 13, word: null, reason: 'no_model', frames: { used: 0, dropped: 0 },
      t_receive: 10, t_inference: 10.5,
    }));
    assert.equal(await page.locator('#word').textContent(), '—');
    assert.equal(await page.locator('#gloss').textContent(), '');
    assert.equal(await page.locator('#reason').isVisible(), true);
    assert.equal(await page.locator('#reason').textContent(), '서버에 수어 모델이 없어요 The server runs without a sign model');
    assert.equal(await page.locator('#top li').count(), 0, 'no stale top 3 from the result before');
    // Every reason code of docs/protocol.md §4 has its text; low_confidence shows the guess.
    const texts = {
      no_person: '사람이 보이지 않았어요 No one was in view',
      no_sign: '수어 동작이 없었어요 No sign was seen',
      unknown_sign: '모르는 수어예요 A sign this model does not know',
    };
    let seq = 20;
    for (const [reason, text] of Object.entries(texts)) {
      await page.evaluate((m) => window.sueo.receive(m), { type: 'result', seq: seq++, word: null, reason });
      assert.equal(await page.locator('#reason').textContent(), text);
    }
    await page.evaluate(() => window.sueo.receive({ type: 'result', seq: 30, word: null, reason: 'low_confidence',
      guess: { word: '보다', gloss: 'see', score: 0.31 } }));
    assert.equal(await page.locator('#reason').textContent(),
      '어떤 수어인지 확실하지 않아요 Not sure which sign this was — 혹시 Perhaps: 보다 see?');
    // A reason the page has no text for is still shown, as the server sent it.
    await page.evaluate(() => window.sueo.receive({ type: 'result', seq: 14, word: null, reason: 'too_short' }));
    assert.equal(await page.locator('#reason').textContent(), '인식하지 못했어요 Not recognised: too_short');
    assert.equal(await page.locator('#history tr').count(), 7);
    assert.match(await page.locator('#history tr').first().textContent(), /too_short/);
  } finally {
    await page.close();
  }
});

test('the history keeps the last 20 results and charts their latencies', async () => {
  const { page } = await openPage();
  try {
    await page.evaluate((base) => {
      for (let i = 0; i < 25; i++) {
        window.sueo.receive({ ...base, seq: 100 + i, t_inference: base.t_receive + 10 + i });
      }
    }, result(0));
    const results = await page.evaluate(() => window.sueo.results);
    assert.equal(results.length, 20);
    assert.equal(results[0].seq, 105);
    assert.equal(await page.locator('#history tr').count(), 20);
    assert.equal(await page.locator('#history tr').first().getAttribute('data-seq'), '124', 'newest first');
    // One server-latency line through 20 points; no total/transfer line without T_start.
    assert.equal(await page.locator('#chart polyline[data-series="serverMs"]').count(), 1);
    assert.equal(await page.locator('#chart circle[data-series="serverMs"]').count(), 20);
    assert.equal(await page.locator('#chart polyline[data-series="totalMs"]').count(), 0);
    // Log scale: the 10–34 ms values sit between the 10 ms and 100 ms grid lines, rising.
    const ys = await page.locator('#chart circle[data-series="serverMs"]').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('cy'))));
    for (let i = 1; i < ys.length; i++) assert.ok(ys[i] < ys[i - 1], 'larger latency is drawn higher');
    const labels = await page.locator('#chart text.axis').allTextContents();
    assert.deepEqual(labels, ['10 ms', '100 ms']);
  } finally {
    await page.close();
  }
});

// Reads the overlay canvas's alpha at CSS point (x, y) of the preview box.
function alphaAt(page, x, y) {
  return page.evaluate(([x, y]) => {
    const c = document.getElementById('overlay');
    const dpr = c.width / c.clientWidth;
    return c.getContext('2d').getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data[3];
  }, [x, y]);
}

test('landmarks are drawn where the user sees them: mirrored, inside the letterboxed image', async () => {
  const { page } = await openPage();
  try {
    await page.evaluate(() => window.sueo.prepare());  // camera on: the preview has its image size
    // A square box around a 4:3 camera image: bars above and below (object-fit: contain).
    await page.addStyleTag({ content: '#preview { aspect-ratio: 1 / 1 !important; }' });
    await page.evaluate(() => window.sueo.setLandmarks(true));
    const box = await page.evaluate(() => {
      const v = document.getElementById('preview');
      const o = document.getElementById('overlay').getBoundingClientRect();
      const r = v.getBoundingClientRect();
      return { w: r.width, h: r.height, vw: v.videoWidth, vh: v.videoHeight, ox: o.x - r.x, oy: o.y - r.y, ow: o.width, oh: o.height };
    });
    assert.deepEqual([box.vw, box.vh], [640, 480]);
    assert.deepEqual([box.ox, box.oy, box.ow, box.oh], [0, 0, box.w, box.h], 'the overlay covers the preview');
    // Expected, worked out here: image scaled to the box width, centred vertically, mirrored.
    const scale = Math.min(box.w / box.vw, box.h / box.vh);
    const top = (box.h - box.vh * scale) / 2;
    assert.ok(top > 20, 'letterboxed');
    const [lx, ly] = [0.2, 0.3];
    const seen = { x: box.w - lx * box.vw * scale, y: top + ly * box.vh * scale };
    const point = await page.evaluate(([x, y]) => window.sueo.overlayPoint(x, y), [lx, ly]);
    assert.ok(Math.abs(point.x - seen.x) < 0.01 && Math.abs(point.y - seen.y) < 0.01, JSON.stringify({ point, seen }));
    // One landmark message: every pose point at (0.2, 0.3), a right hand at (0.7, 0.6), no left hand.
    const pose = Array.from({ length: 33 }, () => [lx, ly]).flat();
    const right = Array.from({ length: 21 }, () => [0.7, 0.6]).flat();
    await page.evaluate(([pose, right]) => window.sueo.receive({ type: 'landmarks', seq: 1, frame: 0, pose, left: [], right }), [pose, right]);
    assert.ok(await alphaAt(page, seen.x, seen.y) > 0, 'pose drawn at the mirrored point');
    assert.equal(await alphaAt(page, lx * box.vw * scale, seen.y), 0, 'nothing at the unmirrored point');
    assert.equal(await alphaAt(page, seen.x, ly * box.h), 0, 'nothing where a stretched (not letterboxed) image would put it');
    assert.ok(await alphaAt(page, box.w - 0.7 * box.vw * scale, top + 0.6 * box.vh * scale) > 0, 'right hand drawn');
    const lm = await page.evaluate(() => window.sueo.landmarks);
    assert.equal(lm.drawn, 1);
    // Switched off: cleared, and later messages are not drawn.
    await page.evaluate(() => window.sueo.setLandmarks(false));
    assert.equal(await alphaAt(page, seen.x, seen.y), 0);
    await page.evaluate(([pose]) => window.sueo.receive({ type: 'landmarks', seq: 1, frame: 1, pose, left: [], right: [] }), [pose]);
    assert.equal(await alphaAt(page, seen.x, seen.y), 0);
    assert.equal(await page.locator('#show-landmarks').isChecked(), false);
  } finally {
    await page.close();
  }
});
