// End to end over the real transport: Debian's Chromium with a fake camera playing a real KSL clip
// opens the page from the real `sueo serve` on 127.0.0.1, streams a short sequence over the WebRTC
// DataChannel and must get back a receipt for (nearly) every frame; a simple-peer client does the
// same with real JPEGs through simple-peer's own signal objects; busy server and missing WebRTC are
// shown to the user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_CLIP, buildDir, launchChromium, makeY4m, startServer, tempDir,
} from './harness.mjs';

const SECONDS = 3;
const FPS = 15;
let work;
let server;
let browser;

before(async () => {
  work = tempDir('sueo-browser-test-');
  const y4m = makeY4m(DEFAULT_CLIP, path.join(buildDir, 'c01_640x480_15.y4m'), { fps: FPS });
  server = await startServer();
  browser = await launchChromium({ y4m });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function openPage(url) {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  // Every resource the page asks for must exist (the browser's own favicon probe aside).
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(url);
  return { page, problems };
}

test('the page streams a 3 s sequence and shows the receipt and the latency', async () => {
  const { page, problems } = await openPage(`${server.url}/`);
  try {
    // On load: the WebSocket only; the camera and then the peer connection come with Start.
    await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
    assert.equal(await page.evaluate(() => window.sueo.connection.pc), null);
    const result = await page.evaluate(async (seconds) => {
      const r = await window.sueo.start({ seconds });
      return { receipt: r.receipt, timings: r.timings, page: { ...r.page, lastChunkSent: null, captureTimes: null } };
    }, SECONDS);
    const { receipt, timings, page: sent } = result;
    const planned = SECONDS * FPS;
    assert.equal(sent.planned, planned);
    assert.ok(sent.sent >= 0.8 * planned, `the page sent ${sent.sent} of ${planned} planned frames`);
    assert.equal(receipt.frames.expected, sent.sent, 'the server expects what the page says it sent');
    assert.ok(receipt.frames.received >= 0.95 * sent.sent, `received ${receipt.frames.received}/${sent.sent}`);
    assert.ok(receipt.frames.decoded >= 0.95 * sent.sent, `decoded ${receipt.frames.decoded}/${sent.sent}`);
    // Drops that only a protocol mistake on the page can cause: none at all.
    const { out_of_range: outOfRange, duplicate, oversized, bad_jpeg: badJpeg } = receipt.frames.dropped;
    assert.deepEqual({ outOfRange, duplicate, oversized, badJpeg }, { outOfRange: 0, duplicate: 0, oversized: 0, badJpeg: 0 });
    if (receipt.frames.received === sent.sent) assert.equal(receipt.bytes, sent.jpegBytes, 'every JPEG byte arrived');
    assert.equal(receipt.width, sent.width);
    assert.equal(receipt.height, sent.height);
    assert.deepEqual([sent.width, sent.height], [640, 480]);

    // T_receive from the server, the offset from the pings, and the latency both computed and shown.
    assert.equal(typeof receipt.t_receive, 'number');
    assert.ok(Math.abs(timings.offset) < 20, `one machine, one clock: offset ${timings.offset} ms`);
    const frameSpan = ((sent.sent - 1) / FPS) * 1000;
    assert.ok(timings.transferMs > frameSpan * 0.9 && timings.transferMs < frameSpan + 3000,
      `transfer latency ${timings.transferMs} ms for ${sent.sent} frames at ${FPS} fps`);
    assert.ok(timings.lastFrameMs >= -20 && timings.lastFrameMs < 1000, `last frame ${timings.lastFrameMs} ms`);
    const shown = await page.locator('td[data-key="label.transfer"]').textContent();
    assert.equal(shown, `${timings.transferMs.toFixed(1)} ms`);
    assert.match(await page.locator('td[data-key="label.received"]').textContent(), new RegExp(`^${receipt.frames.received}$`));
    assert.match(await page.locator('#offset').textContent(), /^-?\d+\.\d\d ms$/);
    assert.match(await page.locator('#open-ms').textContent(), /^\d+\.\d ms$/);
    // The preview is mirrored for the user by CSS; nothing else is.
    const transform = await page.locator('#preview').evaluate((v) => getComputedStyle(v).transform);
    assert.match(transform, /^matrix\(-1, 0, 0, 1, /);
    assert.deepEqual(await page.evaluate(() => window.sueo.errors), [], 'no error reached the page');
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

// Real JPEGs from the clip, made by ffmpeg (not by the browser), 640x480 like the page's.
function clipJpegs(count) {
  const dir = path.join(work, 'jpeg');
  mkdirSync(dir, { recursive: true });
  execFileSync('ffmpeg', ['-v', 'error', '-i', DEFAULT_CLIP, '-vf',
    'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2',
    '-frames:v', String(count), '-q:v', '4', path.join(dir, 'f%03d.jpg')]);
  return readdirSync(dir).sort().map((f) => readFileSync(path.join(dir, f)).toString('base64'));
}

// A second client: simple-peer (initiator, trickle) on a page of the server's origin. Its signal
// objects go to /ws as they are; the server's answer and candidates go back to peer.signal().
async function simplePeerRun(page, frames, fps) {
  return page.evaluate(async ({ frames, fps }) => {
    const proto = await import('/protocol.js');
    const bytes = frames.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const ws = new WebSocket(`wss://${location.host}/ws`);
    const errors = [];
    const signalTypes = [];
    let peer;
    let onReceipt;
    const receiptArrived = new Promise((resolve) => { onReceipt = resolve; });
    const welcome = await new Promise((resolve, reject) => {
      ws.onerror = () => reject(new Error('WebSocket failed'));
      ws.onmessage = (event) => {
        const msg = JSON.parse(event.data);
        if (msg.type === 'welcome') resolve(msg);
        else if (msg.type === 'answer' || msg.type === 'candidate') peer.signal(msg);
        else if (msg.type === 'receipt') onReceipt(msg);
        else if (msg.type === 'error') errors.push(msg);
      };
    });
    peer = new window.SimplePeer({
      initiator: true, trickle: true, channelName: 'frames',
      config: { iceServers: welcome.ice_servers }, channelConfig: { ordered: true },
    });
    peer.on('signal', (data) => { signalTypes.push(data.type); ws.send(JSON.stringify(data)); });
    peer.on('error', (e) => errors.push({ code: e.code, message: e.message }));
    await new Promise((resolve, reject) => {
      peer.once('connect', resolve);
      setTimeout(() => reject(new Error(`simple-peer did not connect: ${JSON.stringify(errors)}`)), 15000);
    });
    const limit = proto.chunkLimit(peer._pc.sctp?.maxMessageSize, welcome.config.max_chunk_bytes);
    const seq = proto.newSequenceId();
    const now = () => performance.timeOrigin + performance.now();
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    peer.send(proto.sequenceStart({ seq, frames: bytes.length, fps, width: 640, height: 480, tStart: now() }));
    let jpegBytes = 0;
    for (let i = 0; i < bytes.length; i++) {
      while (peer.bufferSize > 1 << 20) await sleep(5);
      for (const chunk of proto.makeChunks(seq, i, now(), bytes[i], limit)) peer.send(new Uint8Array(chunk));
      jpegBytes += bytes[i].length;
      await sleep(1000 / fps);
    }
    peer.send(proto.sequenceEnd({ seq, frames: bytes.length, tLastSent: now() }));
    const receipt = await Promise.race([receiptArrived, sleep(15000).then(() => null)]);
    peer.destroy();
    ws.close();
    return { receipt, seq, jpegBytes, errors, signalTypes, limit };
  }, { frames, fps });
}

test('a simple-peer client signals through /ws and its frames arrive whole', async () => {
  const frames = clipJpegs(30);
  assert.equal(frames.length, 30);
  // /healthz gives the page the server's origin without starting the camera page's own session.
  const { page, problems } = await openPage(`${server.url}/healthz`);
  try {
    await page.setContent('<!doctype html><meta charset="utf-8"><title>simple-peer client</title>');
    await page.addScriptTag({ url: '/vendor/simplepeer.min.js' });
    const run = await simplePeerRun(page, frames, FPS);
    assert.ok(run.receipt, `a receipt arrived (errors: ${JSON.stringify(run.errors)})`);
    assert.deepEqual(run.errors, []);
    assert.ok(run.signalTypes.includes('offer') && run.signalTypes.includes('candidate'));
    assert.equal(run.receipt.seq, run.seq);
    assert.equal(run.receipt.frames.expected, 30);
    assert.equal(run.receipt.frames.received, 30);
    assert.equal(run.receipt.frames.decoded, 30);
    assert.equal(run.receipt.bytes, run.jpegBytes);
    assert.deepEqual([run.receipt.width, run.receipt.height], [640, 480]);
    assert.equal(typeof run.receipt.t_receive, 'number');
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('a full server says so in Korean and English', async () => {
  const busy = await startServer(['--max-sessions', '1']);
  const first = await openPage(`${busy.url}/`);
  try {
    await first.page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
    const second = await openPage(`${busy.url}/`);
    await second.page.waitForFunction(() => !document.getElementById('error').hidden, null, { timeout: 10000 });
    const text = await second.page.locator('#error').textContent();
    assert.match(text, /서버가 바쁩니다/);
    assert.match(text, /server is busy/);
    assert.equal(await second.page.evaluate(() => window.sueo.state), 'failed');
    await second.page.close();
  } finally {
    await first.page.close();
    await busy.stop();
  }
});

// Without RTCPeerConnection the page sends its frames over the WebSocket (tests/deploy/ws-fallback);
// without WebSocket as well it can do nothing, and says so.
test('a browser without RTCPeerConnection and WebSocket gets a clear message and no Start', async () => {
  const page = await browser.context.newPage();
  try {
    await page.addInitScript(() => {
      delete window.RTCPeerConnection;
      delete window.webkitRTCPeerConnection;
      delete window.WebSocket;
    });
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.sueo !== undefined);
    const text = await page.locator('#error').textContent();
    assert.match(text, /WebSocket을 지원하지 않습니다/);
    assert.match(text, /does not support WebSocket/);
    assert.equal(await page.locator('#start').isDisabled(), true);
    assert.equal(await page.evaluate(() => window.sueo.state), 'unsupported');
  } finally {
    await page.close();
  }
});

test('server candidates that overtake the answer are held until the answer is set', async () => {
  const page = await browser.context.newPage();
  try {
    // Deliver the server's answer 300 ms late, so its candidates reach the page first.
    await page.addInitScript(() => {
      const Native = window.WebSocket;
      window.candidatesBeforeAnswer = 0;
      window.WebSocket = class extends Native {
        set onmessage(handler) {
          let answered = false;
          super.onmessage = (event) => {
            const type = JSON.parse(event.data).type;
            if (type === 'answer') {
              setTimeout(() => { answered = true; handler(event); }, 300);
              return;
            }
            if (type === 'candidate' && !answered) window.candidatesBeforeAnswer += 1;
            handler(event);
          };
        }
      };
    });
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
    await page.evaluate(() => window.sueo.prepare());
    assert.equal(await page.evaluate(() => window.sueo.state), 'open');
    assert.ok(await page.evaluate(() => window.candidatesBeforeAnswer) > 0, 'the reordering happened');
    assert.deepEqual(await page.evaluate(() => window.sueo.errors), []);
  } finally {
    await page.close();
  }
});

test('a server that dies mid-sequence is reported at once, not at the receipt timeout', async () => {
  const doomed = await startServer();
  const { page } = await openPage(`${doomed.url}/`);
  try {
    await page.waitForFunction(() => window.sueo?.state === 'ready', null, { timeout: 15000 });
    const outcome = page.evaluate(async () => {
      const t0 = performance.now();
      try {
        await window.sueo.start({ seconds: 10 });
        return { resolved: true };
      } catch (e) {
        return { message: e.message, afterMs: performance.now() - t0, state: window.sueo.state };
      }
    });
    await page.waitForFunction(() => document.getElementById('seq-state').textContent !== '');
    await new Promise((r) => setTimeout(r, 500));
    doomed.proc.kill('SIGKILL');
    const result = await outcome;
    assert.equal(result.resolved, undefined);
    assert.ok(result.afterMs < 5000, `reported after ${result.afterMs} ms of a 10 s sequence`);
    assert.equal(result.state, 'failed');
    const shown = await page.locator('#error').textContent();
    assert.match(shown, /서버와의 연결이 끊겼습니다/);
    assert.match(shown, /connection to the server was lost/);
    assert.equal(await page.locator('#start').isDisabled(), false, 'Start is offered again');
  } finally {
    await page.close();
    await doomed.stop();
  }
});
