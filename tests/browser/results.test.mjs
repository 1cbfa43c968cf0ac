// The page's result arithmetic (web/results.js) and overlay geometry (web/overlay.js) in Node: the
// three latencies of docs/protocol.md §4 and where a landmark of the unmirrored frame is drawn on a
// mirrored, letterboxed preview. The modules have no DOM at import time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latencies, makeEntry, ResultHistory, HISTORY_LENGTH } from '../../web/results.js';
import { containRect, toDisplay } from '../../web/overlay.js';

test('latencies: total on the page clock, transfer with the offset, server on the server clock', () => {
  // Server clock 250 ms ahead of the page. Page sent the first frame at 1000, the server had the
  // last frame at (page) 4100 = (server) 4350, the word at (server) 4390, the page got it at 4120.
  const result = { t_receive: 4350, t_inference: 4390 };
  const l = latencies(result, { tStart: 1000, tEnd: 4120, offset: 250 });
  assert.deepEqual(l, { totalMs: 3120, transferMs: 3100, serverMs: 40 });
  // No offset yet: the transfer cannot be told; the other two can.
  assert.deepEqual(latencies(result, { tStart: 1000, tEnd: 4120, offset: null }),
    { totalMs: 3120, transferMs: null, serverMs: 40 });
  // A result for a sequence the page did not start (no T_start): only the server part.
  assert.deepEqual(latencies({ t_receive: 10, t_inference: 12.5 }, { tStart: null, tEnd: 99, offset: 0 }),
    { totalMs: null, transferMs: null, serverMs: 2.5 });
  // A word-less result without server times.
  assert.deepEqual(latencies({ word: null, reason: 'no_model' }, { tStart: 1, tEnd: 5, offset: 0 }),
    { totalMs: 4, transferMs: null, serverMs: null });
});

test('history entries keep the message and add the page side; the history keeps the last 20', () => {
  const h = new ResultHistory();
  for (let i = 0; i < HISTORY_LENGTH + 5; i++) {
    h.add(makeEntry({ seq: i, word: '나', t_receive: 100 + i, t_inference: 130 + 2 * i }, { tStart: 0, tEnd: 200, offset: 1 }));
  }
  assert.equal(h.entries.length, HISTORY_LENGTH);
  assert.equal(h.entries[0].seq, 5, 'the oldest were dropped');
  assert.equal(h.last.seq, HISTORY_LENGTH + 4);
  assert.equal(h.last.word, '나');
  assert.equal(h.last.serverMs, 30 + HISTORY_LENGTH + 4);
  assert.equal(h.last.transferMs, 100 + HISTORY_LENGTH + 4 - 1);
  assert.equal(h.last.tEnd, 200);
});

test('overlay geometry: object-fit contain letterboxing and the CSS mirror', () => {
  // 640×480 in a 400×400 box: 400×300 with 50 px bars above and below.
  assert.deepEqual(containRect(400, 400, 640, 480), { left: 0, top: 50, width: 400, height: 300 });
  // A portrait camera (360×480) in a 4:3 box: pillarboxed.
  assert.deepEqual(containRect(640, 480, 360, 480), { left: 140, top: 0, width: 360, height: 480 });
  const rect = containRect(400, 400, 640, 480);
  // The frame's left edge (x = 0) shows at the box's right edge when mirrored.
  assert.deepEqual(toDisplay(0, 0, rect, 400), { x: 400, y: 50 });
  assert.deepEqual(toDisplay(0.25, 0.5, rect, 400), { x: 300, y: 200 });
  assert.deepEqual(toDisplay(0.25, 0.5, rect, 400, false), { x: 100, y: 200 });
  const pillar = containRect(640, 480, 360, 480);
  assert.deepEqual(toDisplay(1, 1, pillar, 640), { x: 140, y: 480 });
  // No video size yet: the whole box.
  assert.deepEqual(containRect(300, 200, 0, 0), { left: 0, top: 0, width: 300, height: 200 });
});
