// The page in Safari's engine family: Debian's WebKitGTK (MiniBrowser under Xvfb, driven by
// WebKitWebDriver over plain W3C WebDriver) loads the page from the real `sueo serve`. That WebKit
// is built without WebRTC, so the page must say so in Korean and English and keep Start off; its
// camera path (getUserMedia on WebKit's mock camera → unmirrored canvas → toBlob JPEG → protocol
// chunks) must still work, which is the part of the page Safari runs besides WebRTC itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { startServer } from './harness.mjs';

const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const DRIVER = '/usr/bin/WebKitWebDriver';
const XVFB = '/usr/bin/Xvfb';
const missing = [MINIBROWSER, DRIVER, XVFB].filter((f) => !existsSync(f));
const skip = missing.length
  ? `WebKitGTK not installed (${missing.join(', ')}): apt-get install libwebkit2gtk-4.1-0 webkit2gtk-driver xvfb`
  : false;

let server;
let xvfb;
let driver;
let base;
let session;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// Xvfb picks a free display and writes its number to the fd given by -displayfd.
function startXvfb() {
  const proc = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not start')), 10000);
    proc.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve({ proc, display: `:${out.trim()}` });
      }
    });
    proc.on('exit', (code) => reject(new Error(`Xvfb exited (${code})`)));
  });
}

async function webdriver(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

async function waitForDriver() {
  for (let i = 0; i < 100; i++) {
    try {
      const status = await webdriver('GET', '/status');
      if (status.ready !== false) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('WebKitWebDriver did not start');
}

// Runs an async function body in the page; its resolved value comes back as JSON.
function run(body) {
  const script = `const done = arguments[arguments.length - 1];
    (async () => { ${body} })().then(done, (e) => done({ error: String(e && e.stack || e) }));`;
  return webdriver('POST', `/session/${session}/execute/async`, { script, args: [] });
}

before(async () => {
  if (skip) return;
  server = await startServer();
  xvfb = await startXvfb();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  driver = spawn(DRIVER, [`--port=${port}`], { env: { ...process.env, DISPLAY: xvfb.display }, stdio: 'ignore' });
  await waitForDriver();
  const created = await webdriver('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        acceptInsecureCerts: true,
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', '--enable-mock-capture-devices=true'] },
      },
    },
  });
  session = created.sessionId;
});

after(async () => {
  if (session) await webdriver('DELETE', `/session/${session}`).catch(() => {});
  driver?.kill('SIGTERM');
  xvfb?.proc.kill('SIGTERM');
  await server?.stop();
});

test('WebKit without WebRTC: clear message, no Start; camera → unmirrored JPEG → chunks still work', { skip }, async () => {
  await webdriver('POST', `/session/${session}/url`, { url: `${server.url}/` });
  const page = await run(`
    for (let i = 0; i < 100 && !window.sueo; i++) await new Promise((r) => setTimeout(r, 50));
    return {
      hasHook: !!window.sueo, state: window.sueo && window.sueo.state,
      rtc: typeof window.RTCPeerConnection, secure: window.isSecureContext,
      error: document.getElementById('error').textContent,
      errorHidden: document.getElementById('error').hidden,
      startDisabled: document.getElementById('start').disabled,
    };`);
  assert.equal(page.hasHook, true, `app.js and its modules ran in WebKit: ${JSON.stringify(page)}`);
  assert.equal(page.rtc, 'undefined', 'this WebKit build has no WebRTC (if it gains it, test the DataChannel here)');
  assert.equal(page.secure, true);
  assert.equal(page.state, 'unsupported');
  assert.equal(page.errorHidden, false);
  assert.match(page.error, /WebRTC\(RTCPeerConnection\)를 지원하지 않습니다/);
  assert.match(page.error, /does not support WebRTC/);
  assert.equal(page.startDisabled, true);

  const camera = await run(`
    const { openCamera, FrameGrabber, closeCamera } = await import('/capture.js');
    const proto = await import('/protocol.js');
    const video = document.getElementById('preview');
    await openCamera(video, 640, 480);
    const grabber = new FrameGrabber(video, 640, 480, 0.7);
    const pending = grabber.grab();
    // The same camera image drawn plainly and mirrored, in the same task (so the same video frame):
    // the frame sent must match the plain one, not the mirrored one the user sees.
    const draw = (mirror) => {
      const c = document.createElement('canvas');
      c.width = 640; c.height = 480;
      const ctx = c.getContext('2d');
      if (mirror) { ctx.translate(640, 0); ctx.scale(-1, 1); }
      ctx.drawImage(video, 0, 0, 640, 480);
      return ctx.getImageData(0, 0, 640, 480).data;
    };
    const plain = draw(false);
    const mirrored = draw(true);
    const sent = grabber.ctx.getImageData(0, 0, 640, 480).data;
    const meanDiff = (a, b) => { let d = 0; for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]); return d / a.length; };
    const diffPlain = meanDiff(sent, plain);
    const diffMirrored = meanDiff(sent, mirrored);
    const frame = await pending;
    const chunks = proto.makeChunks(9, 0, frame.captureTime, frame.bytes, 16384);
    const whole = new Uint8Array(frame.bytes.length);
    for (const c of chunks) whole.set(new Uint8Array(c, proto.HEADER_BYTES), proto.parseHeader(c).chunkOffset);
    closeCamera(video);
    return {
      video: [video.videoWidth, video.videoHeight], canvas: [grabber.width, grabber.height],
      jpegBytes: frame.bytes.length, soi: [frame.bytes[0], frame.bytes[1]],
      chunks: chunks.length, same: whole.every((b, i) => b === frame.bytes[i]),
      previewTransform: getComputedStyle(video).transform, diffPlain, diffMirrored,
    };`);
  assert.ok(!camera.error, camera.error);
  assert.deepEqual(camera.canvas, [640, 480], `camera ${camera.video}`);
  assert.deepEqual(camera.soi, [0xff, 0xd8], 'a JPEG');
  assert.ok(camera.jpegBytes > 2000, `${camera.jpegBytes} bytes`);
  assert.equal(camera.chunks, Math.ceil(camera.jpegBytes / (16384 - 32)));
  assert.equal(camera.same, true);
  assert.match(camera.previewTransform, /^matrix\(-1, 0, 0, 1, /);
  assert.ok(camera.diffPlain * 5 < camera.diffMirrored,
    `the frame sent is the camera's own image, not the mirror: mean |Δ| ${camera.diffPlain} vs ${camera.diffMirrored}`);
});
