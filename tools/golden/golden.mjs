#!/usr/bin/env node
// Golden landmarks from MediaPipe Holistic itself (@mediapipe/holistic, npm) in headless Chromium.
//
// Usage: node tools/golden/golden.mjs --clip CLIP.mp4 [--every 2] [--out FILE.json] [--digits 5] [--reset 1]
//   --reset 1: holistic.reset() before every frame, so the pose detector runs on each ("reset_every_frame")
//   --blank K:N: insert N black frames before frame K (the pose is lost, then found again)
//   --crop W:H:X:Y: crop every frame first (ffmpeg's crop filter), e.g. a portrait view like a tablet's
//
// Frames: every N-th frame of the clip, decoded by tools/golden/frames.sh (ffmpeg → raw RGB24), fed in
// order so MediaPipe tracks across frames as it does on a video. Our C++ golden test decodes the same
// frames with the same command. Everything is served from 127.0.0.1; Chromium gets no other address.
//
// Output JSON (numbers rounded to --digits decimals):
//   frames[i].pose        33 × (x, y, z, visibility), flat, or null when MediaPipe found no pose
//   frames[i].left_hand   21 × (x, y, z), flat, or null — results.leftHandLandmarks as MediaPipe returns
//   frames[i].right_hand  21 × (x, y, z), flat, or null — results.rightHandLandmarks
//   frames[i].t_ms      the timestamp given to MediaPipe: round(1000 · (i · every + 1) / fps)
//   frames[i].send_ms     wall time of `await holistic.send()` for that frame (not rounded to --digits)
// x, y are normalised by the image width and height. "left" is the signer's own left hand (the hand at
// pose landmark 15, LEFT_WRIST): on an unmirrored camera image it appears on the image's right side.
// The last line on stdout is a JSON summary {frames, send_ms_median, send_ms_p90, ...}.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

// The options issue 3 fixes for the reference (and our port follows).
const kOptions = {
  useCpuInference: true,  // TFLite + XNNPACK in WASM instead of WebGL on SwiftShader
  modelComplexity: 1,
  smoothLandmarks: false,
  enableSegmentation: false,
  refineFaceLandmarks: false,
  minDetectionConfidence: 0.5,
  minTrackingConfidence: 0.5,
};
const kChromiumArgs = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function parseArgs(argv) {
  const args = {every: 2, digits: 5, out: null, clip: null, chromium: '/usr/bin/chromium', reset: 0,
    blank: '', crop: ''};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args)) throw new Error(`unknown option ${argv[i]}`);
    args[key] = typeof args[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!args.clip) throw new Error('usage: golden.mjs --clip CLIP.mp4 [--every 2] [--out FILE.json]');
  return args;
}

function probeSize(clip) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries',
    'stream=width,height,r_frame_rate', '-of', 'csv=p=0', clip], {encoding: 'utf8'});
  if (r.status !== 0) throw new Error(`ffprobe failed: ${r.stderr}`);
  const [width, height, rate] = r.stdout.trim().split(',');
  const [num, den] = rate.split('/').map(Number);
  return {width: Number(width), height: Number(height), fps: num / (den || 1)};
}

// The time of the i-th decoded frame: clip frame n = i · every shown at (n + 1) / fps, in whole
// milliseconds (what MediaPipe's filters see; the C++ test passes the same stamps). Never 0: MediaPipe's
// one-euro filter passes a first stamp of 0 through without storing it, which no real stream (camera
// clock, decoder PTS) would trigger.
function timestampMs(i, every, fps) {
  return Math.round((1000 * (i * every + 1)) / fps);
}

function decodeFrames(clip, every, crop) {
  const r = spawnSync(path.join(here, 'frames.sh'), [clip, String(every), crop], {maxBuffer: 1 << 30});
  if (r.status !== 0) throw new Error(`frames.sh failed: ${r.stderr}`);
  return r.stdout;
}

const kTypes = {'.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html',
  '.data': 'application/octet-stream', '.binarypb': 'application/octet-stream',
  '.tflite': 'application/octet-stream'};

function serve(frames, frameBytes) {
  const mpDir = path.join(repo, 'node_modules/@mediapipe/holistic');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, {'content-type': 'text/html'});
      res.end(fs.readFileSync(path.join(here, 'page.html')));
    } else if (url.pathname.startsWith('/frame/')) {
      const i = Number(url.pathname.slice(7));
      res.writeHead(200, {'content-type': 'application/octet-stream'});
      res.end(frames.subarray(i * frameBytes, (i + 1) * frameBytes));
    } else if (url.pathname.startsWith('/mp/')) {
      const file = path.join(mpDir, path.basename(url.pathname));
      if (!fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, {'content-type': kTypes[path.extname(file)] || 'application/octet-stream'});
      res.end(fs.readFileSync(file));
    } else {
      res.writeHead(404); res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function round(list, digits) {
  if (!list) return null;
  const f = 10 ** digits;
  return list.map((v) => (v === null ? null : Math.round(v * f) / f));
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let {width, height, fps} = probeSize(args.clip);
  if (args.crop) [width, height] = args.crop.split(':').map(Number);
  const frameBytes = width * height * 3;
  let frames = decodeFrames(args.clip, args.every, args.crop);
  if (args.blank) {
    const [at, count] = args.blank.split(':').map(Number);
    frames = Buffer.concat([frames.subarray(0, at * frameBytes), Buffer.alloc(count * frameBytes),
      frames.subarray(at * frameBytes)]);
  }
  const count = frames.length / frameBytes;
  const server = await serve(frames, frameBytes);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sueo-golden-'));
  let context = null;
  try {
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: args.chromium, headless: true, args: kChromiumArgs});
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.evaluate((o) => window.setup(o), kOptions);
    const out = [];
    for (let i = 0; i < count; ++i) {
      const tMs = timestampMs(i, args.every, fps);
      const r = await page.evaluate(([i, w, h, t, r]) => window.runFrame(i, w, h, t, r), [i, width, height, tMs, args.reset === 1]);
      out.push({i, t_ms: tMs, send_ms: Math.round(r.send_ms * 100) / 100, pose: round(r.pose, args.digits),
        left_hand: round(r.left_hand, args.digits), right_hand: round(r.right_hand, args.digits)});
    }
    const doc = {
      source: '@mediapipe/holistic@0.5.1675471629 in headless Chromium (tools/golden/golden.mjs)',
      clip: path.basename(args.clip), every: args.every, fps, width, height,
      reset_every_frame: args.reset === 1, blank: args.blank || null,
      crop: args.crop || null, options: kOptions,
      layout: 'pose 33x(x,y,z,visibility); left_hand/right_hand 21x(x,y,z) as results.leftHandLandmarks/' +
        'rightHandLandmarks (left = the signer\'s left, near pose LEFT_WRIST 15); x,y normalised; null = absent',
      frames: out,
    };
    // One frame per line: diffs of regenerated files stay readable.
    const body = '{\n' + Object.entries(doc).filter(([k]) => k !== 'frames')
      .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`).join('') +
      '  "frames": [\n' + out.map((f) => '    ' + JSON.stringify(f)).join(',\n') + '\n  ]\n}\n';
    if (args.out) fs.writeFileSync(args.out, body);
    const ms = out.map((f) => f.send_ms).sort((a, b) => a - b);
    // The first frame includes warm-up of the graph; report steady state without it too.
    const steady = out.slice(1).map((f) => f.send_ms).sort((a, b) => a - b);
    console.log(JSON.stringify({clip: path.basename(args.clip), frames: count,
      pose: out.filter((f) => f.pose).length, left_hand: out.filter((f) => f.left_hand).length,
      right_hand: out.filter((f) => f.right_hand).length,
      send_ms_median: quantile(steady.length ? steady : ms, 0.5),
      send_ms_p90: quantile(steady.length ? steady : ms, 0.9), first_send_ms: out[0]?.send_ms}));
  } finally {
    if (context) await context.close();
    server.close();
    fs.rmSync(userDir, {recursive: true, force: true});
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
