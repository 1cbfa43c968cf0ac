// Debian's WebKitGTK (Safari's engine family) for tests: MiniBrowser under its own Xvfb, driven by
// WebKitWebDriver over plain W3C WebDriver (Node's fetch), with WebKit's mock camera and the test
// certificate accepted. Used by tests/browser/webkit.test.mjs and the deploy tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const DRIVER = '/usr/bin/WebKitWebDriver';
const XVFB = '/usr/bin/Xvfb';

// Why WebKit cannot run here, or false when it can (the `skip` value of a node:test test).
export function webkitMissing() {
  const missing = [MINIBROWSER, DRIVER, XVFB].filter((f) => !existsSync(f));
  return missing.length
    ? `WebKitGTK not installed (${missing.join(', ')}): apt-get install libwebkit2gtk-4.1-0 webkit2gtk-driver xvfb`
    : false;
}

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

// Starts Xvfb, WebKitWebDriver and one MiniBrowser session. Returns {goto(url), run(body), close()};
// run() executes an async function body in the page and resolves with its value (JSON), or with
// {error} when it threw.
export async function startWebKit() {
  const xvfb = await startXvfb();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const driver = spawn(DRIVER, [`--port=${port}`], { env: { ...process.env, DISPLAY: xvfb.display }, stdio: 'ignore' });
  async function webdriver(method, path, body) {
    const response = await fetch(`${base}${path}`, {
      method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  }
  let session = null;
  const close = async () => {
    if (session) await webdriver('DELETE', `/session/${session}`).catch(() => {});
    driver.kill('SIGTERM');
    xvfb.proc.kill('SIGTERM');
  };
  try {
    for (let i = 0; ; i++) {
      try {
        const status = await webdriver('GET', '/status');
        if (status.ready !== false) break;
      } catch { /* not listening yet */ }
      if (i >= 100) throw new Error('WebKitWebDriver did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await webdriver('POST', '/session', {
      capabilities: {
        alwaysMatch: {
          acceptInsecureCerts: true,
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', '--enable-mock-capture-devices=true'] },
        },
      },
    });
    session = created.sessionId;
    await webdriver('POST', `/session/${session}/timeouts`, { script: 120000 });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    goto: (url) => webdriver('POST', `/session/${session}/url`, { url }),
    run(body, args = []) {
      const script = `const done = arguments[arguments.length - 1];
        (async (...args) => { ${body} })(...Array.prototype.slice.call(arguments, 0, -1))
          .then(done, (e) => done({ error: String(e) + (e && e.stack ? '\\n' + e.stack : '') }));`;
      return webdriver('POST', `/session/${session}/execute/async`, { script, args });
    },
    close,
  };
}

// A function body for run(): makes getUserMedia give a camera that plays a real clip (args[0]: the
// video file, base64) from its first frame on every call, letterboxed into 640×480 like the
// Chromium fake camera's y4m (tests/browser/harness.mjs). WebKit's own mock camera shows a
// synthetic picture; this feeds the page's real capture path (video → canvas → JPEG) real signing.
export const CLIP_CAMERA = `
  const bytes = Uint8Array.from(atob(args[0]), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: 'video/mp4' }));
  window.__clipCamera = { opened: 0, drawn: 0 };
  // An own property on the instance does not take in WebKit: replace the prototype's method.
  Object.defineProperty(MediaDevices.prototype, 'getUserMedia', { configurable: true, writable: true, value: async () => {
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.loop = true;
    video.src = url;
    await new Promise((resolve, reject) => {
      video.onloadeddata = resolve;
      video.onerror = () => reject(new Error('the clip does not play: ' + (video.error && video.error.code)));
    });
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const ctx = canvas.getContext('2d');
    const draw = () => {
      const h = Math.round(640 * video.videoHeight / video.videoWidth);
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, 640, 480);
      ctx.drawImage(video, 0, Math.round((480 - h) / 2), 640, h);
      window.__clipCamera.drawn += 1;
    };
    draw();
    const stream = canvas.captureStream(30);
    const timer = setInterval(draw, 1000 / 30);
    const track = stream.getVideoTracks()[0];
    const stop = track.stop.bind(track);
    track.stop = () => { clearInterval(timer); video.pause(); stop(); };
    await video.play();
    window.__clipCamera.opened += 1;
    return stream;
  } });
  return navigator.mediaDevices.getUserMedia === MediaDevices.prototype.getUserMedia;`;
