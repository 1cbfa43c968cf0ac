// Recognition end to end: Chromium's fake camera plays a committed KSL clip (tests/data/clips, one
// y4m per clip made in the build directory) with 1.5 s of rest before and after it (the clip's first
// and last frames held: a person resting before and after the sign), the page streams one pass of it
// to the real `sueo serve` (MediaPipe landmarks, the sign spotter, the ONNX model) in window mode and
// must show the clip's word. Also: two pages
// at once each get their own word; a session that sends garbage mid-sequence gets an error while
// another session's word is unaffected; landmarks for the preview come only when asked for;
// continuous mode runs sequence after sequence until Stop.
//
// Each sequence starts at the y4m's first frame (the page reopens the fake camera, which then plays
// its file from the top) and lasts one pass: its frame count at 15 fps. The clips are signer 11's,
// whom the default model never saw.
//
// The model is $SUEO_TEST_MODEL, else the shipped models/sueo-ksl.onnx. Its labels are read from the
// file (tests/lib/model-labels.mjs): a clip whose word the model does not have cannot be recognised,
// so the accuracy test checks the clips whose words it has and skips, saying so, when it has none.
// The two-page and garbage tests need no particular model: each page must get the word its clip
// gets alone (and the clip's own word where the model has it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { clipY4m, launchChromium, playClipSequence, repoRoot, startServer } from './harness.mjs';
import { isClipWord, listClips, y4mFrameCount } from '../lib/clips.mjs';
import { modelLabels } from '../lib/model-labels.mjs';

const FPS = 15;
const REST = 1.5;  // seconds of rest before and after each clip
const MODEL = process.env.SUEO_TEST_MODEL || path.join(repoRoot, 'models/sueo-ksl.onnx');
const labels = modelLabels(MODEL);
const clips = listClips();
const byLabel = Object.fromEntries(clips.map((c) => [c.label, c]));
const known = clips.filter((c) => labels.some((l) => isClipWord(l, c)));
const solo = new Map();  // clip label → the result of its pass alone (test 2)
let server;
const browsers = new Map();  // clip label → launched Chromium playing that clip

before(async () => {
  server = await startServer(['--model', MODEL]);
});

after(async () => {
  for (const b of browsers.values()) await b.close().catch(() => {});
  await server?.stop();
});

async function browserFor(clip) {
  if (!browsers.has(clip.label)) browsers.set(clip.label, await launchChromium({ y4m: clipY4m(clip.file, { fps: FPS, rest: REST }) }));
  return browsers.get(clip.label);
}

function onePass(clip) {
  return y4mFrameCount(clipY4m(clip.file, { fps: FPS, rest: REST })) / FPS;
}

// A page of the server in the clip's browser, connected, camera on, DataChannel open.
async function openPage(clip, query = '') {
  const page = await (await browserFor(clip)).context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${server.url}/${query || '?mode=window'}`);
  await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
  await page.evaluate(() => window.sueo.prepare());
  return { page, problems };
}

const summary = (r) => r ? `${r.word ?? 'null'} (${r.gloss ?? r.reason}) ${r.score?.toFixed(3)}, top: ` +
  `${(r.top || []).map((t) => `${t.gloss} ${t.score.toFixed(3)}`).join(', ')}; frames ${JSON.stringify(r.frames)}` : 'no result';

// The word a page must get for `clip`: the clip's own where the model has it, else what the clip
// got alone (the same frames give the same landmarks; only a clear winner is a fair expectation).
function expectWord(clip, result) {
  const alone = solo.get(clip.label);
  if (known.includes(clip)) assert.ok(isClipWord(result, clip), `${clip.name}: ${summary(result)}`);
  assert.ok(alone, `${clip.name} ran alone first`);
  assert.equal(result?.word, alone.word, `${clip.name} as alone (${summary(alone)}), got ${summary(result)}`);
}

// Two clips whose words the model has, else two whose words alone were clear winners and differ.
function pickPair(exclude = []) {
  const margin = (r) => (r.top?.length > 1 ? r.top[0].score - r.top[1].score : 0);
  const usable = clips.filter((c) => !exclude.includes(c.label) && solo.has(c.label))
    .map((c) => ({ c, r: solo.get(c.label), k: known.includes(c) }))
    .filter(({ r }) => typeof r.word === 'string')
    .sort((x, y) => (y.k - x.k) || (margin(y.r) - margin(x.r)));
  const first = usable[0];
  const second = usable.find((u) => u !== first && u.r.word !== first.r.word);
  assert.ok(first && second && margin(first.r) >= 0.2 && margin(second.r) >= 0.2,
    `two clips with different, clear words: ${usable.map(({ c, r }) => `${c.label}→${summary(r)}`).join('; ')}`);
  return [first.c, second.c];
}

test('the server offers recognition: welcome and /healthz name the model', async () => {
  const { page } = await openPage(clips[0]);
  try {
    const model = await page.evaluate(() => window.sueo.model);
    assert.ok(model && typeof model === 'object', `welcome.model: ${JSON.stringify(model)}`);
    assert.equal(model.ready, true);
    assert.equal(model.name, path.basename(MODEL, '.onnx'));
    assert.deepEqual(model.labels.map((l) => l.word), labels.map((l) => l.word), `the labels read from ${MODEL}`);
    const health = await page.evaluate(async () => (await fetch('/healthz')).json());
    assert.deepEqual(health.model, model);
    assert.match(await page.locator('#model').textContent(), new RegExp(`^${model.name} \\(${model.labels.length} `));
  } finally {
    await page.close();
  }
});

test('every clip gets a result, shown big with its gloss, score and consistent latencies', async () => {
  for (const clip of clips) {
    const { page, problems } = await openPage(clip);
    try {
      const run = await playClipSequence(page, onePass(clip));
      const r = run.result;
      assert.ok(r, `${clip.name}: a result`);
      assert.equal(r.seq, run.receipt.seq, 'the result of this sequence');
      solo.set(clip.label, r);
      console.log(`# ${clip.name} (${run.page.sent} frames): ${summary(r)}; server ${r.serverMs.toFixed(1)} ms, ` +
        `total ${r.totalMs.toFixed(0)} ms`);
      if (typeof r.word === 'string') {
        // The page: the word and gloss as sent, the top 3, and the sign's place in the window.
        assert.equal(await page.locator('#word').textContent(), r.word);
        assert.equal(await page.locator('#gloss').textContent(), r.gloss);
        assert.equal(await page.locator('#top li').count(), Math.min(3, labels.length));
        assert.deepEqual(r.words.map((w) => w.word), [r.word], `${clip.name}: one sign in the window`);
        const started = r.start_ms - run.page.tStart;
        assert.ok(started > REST * 1000 - 800 && started < REST * 1000 + 1500, `the sign starts ${started} ms into the window`);
      } else {
        // No word: a reason code from the protocol, shown in words.
        assert.ok(['no_sign', 'unknown_sign', 'low_confidence'].includes(r.reason), `${clip.name}: ${summary(r)}`);
        assert.equal(await page.locator('#reason').isVisible(), true);
      }
      assert.equal(await page.locator('td[data-key="result.total"]').textContent(), `${r.totalMs.toFixed(1)} ms`);
      assert.equal(await page.locator('td[data-key="result.server"]').textContent(), `${r.serverMs.toFixed(1)} ms`);
      const capture = run.page.tLastSent - run.page.tStart;
      // Loose upper bounds: on the shared 2-core machine the landmark queue can lag seconds behind.
      assert.ok(r.totalMs > capture && r.totalMs < capture + 15000, `total ${r.totalMs} ms, capture ${capture} ms`);
      assert.ok(r.transferMs >= capture - 50 && r.transferMs <= r.totalMs + 50, `transfer ${r.transferMs} ms`);
      assert.ok(r.serverMs >= 0 && r.serverMs < 15000, `server ${r.serverMs} ms`);
      assert.ok(r.totalMs >= r.serverMs, 'the server part is inside the total');
      assert.ok(Math.abs(r.serverMs - r.stages_ms.after_last_frame) < 1, 'after_last_frame is t_inference − t_receive');
      // The server landmarks every --landmark-every-th frame (default 1): the rest count as skipped.
      assert.ok(r.frames.used + r.frames.skipped >= 0.8 * run.page.sent,
        `frames used ${r.frames.used} + skipped ${r.frames.skipped} of ${run.page.sent} sent`);
      assert.equal(r.frames.dropped, 0);
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  }
});

test('each clip is recognised as its word (the clips whose words the model has)', (t) => {
  if (known.length === 0) {
    t.skip(`${path.basename(MODEL)} has none of the clips' words (its labels: ` +
      `${labels.map((l) => l.gloss || l.word).join(', ')})`);
    return;
  }
  // Never a wrong word; at most one clip without its word (the project's target for held-out
  // signers is 17 of 18: tools/eval/streams score test).
  const wrong = known.filter((c) => typeof solo.get(c.label)?.word === 'string' && !isClipWord(solo.get(c.label), c))
    .map((c) => `${c.name}: ${summary(solo.get(c.label))}`);
  assert.deepEqual(wrong, [], 'no clip gets another word');
  const right = known.filter((c) => isClipWord(solo.get(c.label), c));
  assert.ok(right.length >= known.length - 1, `${right.length} of ${known.length} clips get their word: ` +
    known.map((c) => `${c.label}→${summary(solo.get(c.label))}`).join('; '));
});

test('two pages at once each get the word of their own camera', async () => {
  // Not 나 (me): a short sign the spotter can miss when a loaded machine makes the pages capture
  // fewer frames (docs/spotting.md, known shortfalls); this test is about two sessions at once.
  const [a, b] = pickPair(['me']);
  const pa = await openPage(a);
  const pb = await openPage(b);
  try {
    const [ra, rb] = await Promise.all([playClipSequence(pa.page, onePass(a)), playClipSequence(pb.page, onePass(b))]);
    assert.notEqual(ra.receipt.seq, rb.receipt.seq);
    assert.equal(ra.result?.seq, ra.receipt.seq);
    assert.equal(rb.result?.seq, rb.receipt.seq);
    expectWord(a, ra.result);
    expectWord(b, rb.result);
  } finally {
    await pa.page.close();
    await pb.page.close();
  }
});

test('garbage mid-sequence gets that session an error; another session\'s word is unaffected', async () => {
  const [good, bad] = pickPair();
  const pg = await openPage(good);
  const pb = await openPage(bad);
  try {
    // The bad page streams 3 s and, 0.6 s in, sends a chunk with a wrong version byte and a text
    // message that is not JSON on its DataChannel; the good page plays one pass meanwhile.
    const badRun = pb.page.evaluate(async () => {
      window.sueo.closeCamera();
      const run = window.sueo.start({ seconds: 3 });
      await new Promise((r) => setTimeout(r, 600));
      const dc = window.sueo.connection.dc;
      const junk = new Uint8Array(64).fill(0xab);
      dc.send(junk);
      dc.send('{"type": "sequence-start", nonsense');
      const r = await run;
      return { seq: r.receipt.seq, errors: window.sueo.errors };
    });
    await new Promise((r) => setTimeout(r, 300));
    const goodRun = await playClipSequence(pg.page, onePass(good));
    const badResult = await badRun;
    const codes = badResult.errors.map((e) => e.code);
    assert.ok(codes.includes('bad_chunk'), `the bad page was told: ${JSON.stringify(badResult.errors)}`);
    assert.deepEqual(await pg.page.evaluate(() => window.sueo.errors), [], 'the good page saw no error');
    expectWord(good, goodRun.result);
    assert.equal(await pb.page.evaluate(() => window.sueo.state), 'open', 'the bad session stays up');
  } finally {
    await pg.page.close();
    await pb.page.close();
  }
});

// The alpha of the overlay canvas at CSS point (x, y) of the preview box.
const alphaAt = (page, p) => page.evaluate(({ x, y }) => {
  const c = document.getElementById('overlay');
  const dpr = c.width / c.clientWidth;
  return c.getContext('2d').getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data[3];
}, p);

test('landmarks come while asked for, are drawn over the signer, and stop when switched off', async () => {
  const clip = byLabel.hi;
  const { page } = await openPage(clip);
  try {
    await page.evaluate(() => window.sueo.setLandmarks(true));
    const run = playClipSequence(page, onePass(clip));
    await page.waitForFunction(() => window.sueo.landmarks.drawn >= 5, null, { timeout: 10000 });
    const seen = await page.evaluate(() => {
      const m = window.sueo.landmarks.last;
      return { pose: m.pose, left: m.left.length, right: m.right.length, seq: m.seq, nose: window.sueo.overlayPoint(m.pose[0], m.pose[1]) };
    });
    assert.equal(seen.pose.length, 66, '33 pose points, x and y');
    assert.ok([0, 42].includes(seen.left) && [0, 42].includes(seen.right));
    // The signer sits in the middle of the (unmirrored) frame, head in the upper half.
    const [nx, ny] = seen.pose;
    assert.ok(nx > 0.3 && nx < 0.7 && ny > 0.05 && ny < 0.5, `nose at ${nx}, ${ny}`);
    assert.ok(await alphaAt(page, seen.nose) > 0, 'the nose is drawn (mirroring itself: page.test.mjs)');
    const done = await run;
    assert.equal(seen.seq, done.receipt.seq);
    const received = await page.evaluate(() => window.sueo.landmarks.received);
    // One message per landmarked frame: every frame but those the server skips (--landmark-every).
    const landmarked = done.page.sent - done.result.frames.skipped;
    assert.ok(done.result.frames.skipped < done.page.sent, 'some frames are landmarked');
    assert.ok(received >= 0.8 * landmarked && received <= landmarked,
              `${received} landmark messages for ${landmarked} landmarked frames (${done.page.sent} sent)`);
    await page.evaluate(() => window.sueo.setLandmarks(false));
    await playClipSequence(page, onePass(clip));
    assert.equal(await page.evaluate(() => window.sueo.landmarks.received), received, 'none after switching off');
  } finally {
    await page.close();
  }
});

test('continuous mode starts the next sequence when a word arrives, until Stop', async () => {
  const clip = byLabel.bi_bim_rice;
  const { page } = await openPage(clip, `?mode=window&seconds=${onePass(clip).toFixed(3)}`);
  try {
    await page.locator('#continuous').check();
    await page.locator('#start').click();
    await page.waitForFunction(() => window.sueo.results.length >= 2, null, { timeout: 30000 });
    await page.locator('#stop').click();
    await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 15000 });
    const results = await page.evaluate(() => window.sueo.results);
    assert.ok(results.length >= 2);
    assert.equal(new Set(results.map((r) => r.seq)).size, results.length, 'one result per sequence');
    assert.equal(await page.locator('#history tr').count(), results.length);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await page.evaluate(() => window.sueo.results.length), results.length, 'nothing after Stop');
  } finally {
    await page.close();
  }
});
