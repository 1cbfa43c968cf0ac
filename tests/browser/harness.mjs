// The real parts the browser tests and the transport bench run against: a y4m of a real KSL clip
// for Chromium's fake camera, the real `sueo serve` binary on 127.0.0.1:0 (tests/lib), and Debian's
// Chromium driven by playwright-core (tests/lib). Loopback only.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer as startSueo, buildDir, sueoBinary } from '../lib/sueo-server.mjs';
import { launchChromium as launchTestChromium } from '../lib/chromium.mjs';

export { buildDir, sueoBinary };

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const DEFAULT_CLIP = path.join(repoRoot, 'tests/data/clips/c01_hi_s11_f8e48f6c.mp4');

// Converts a clip to a 4:2:0 y4m (the only layout Chromium's file camera takes) at width × height
// and fps. The 16:9 clips are padded, not stretched, to 4:3 so hand shapes stay true. Chromium loops
// the file. Made once per build directory; re-made when the clip is newer.
// `rest` > 0 seconds: the clip's first and last frames are held that long before and after it (a
// person resting before and after the sign, as people sign in front of a tablet).
export function makeY4m(clip, out, { width = 640, height = 480, fps = 15, rest = 0 } = {}) {
  if (existsSync(out) && statSync(out).mtimeMs > statSync(clip).mtimeMs) return out;
  const pad = rest > 0 ? `tpad=start_duration=${rest}:start_mode=clone:stop_duration=${rest}:stop_mode=clone,` : '';
  const filter = `${pad}scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,fps=${fps}`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-vf', filter, '-pix_fmt', 'yuv420p',
    '-f', 'yuv4mpegpipe', out], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

// The y4m of a clip for the fake camera, in the build directory: <clip>_640x480_<fps>[_rest<s>].y4m.
// By default the clip's first and last frames are held `rest` = 1.5 s before and after it: a person
// at rest before and after the sign, as people sign (the KSL-77 clips are cut to the sign, and a
// spotter rightly finds little in a stream that starts mid-sign). `rest: 0` gives the bare clip.
export const CLIP_REST_S = 1.5;
export function clipY4m(clipFile, { fps = 15, rest = CLIP_REST_S } = {}) {
  const suffix = rest > 0 ? `_rest${rest}` : '';
  const out = path.join(buildDir, `${path.basename(clipFile, '.mp4')}_640x480_${fps}${suffix}.y4m`);
  return makeY4m(clipFile, out, { fps, rest });
}

// The clip as an H.264 mp4 with `rest` seconds of its first and last frames held around it (for
// engines that play a video file as their camera, e.g. the WebKit test), in the build directory.
export function restedClipMp4(clipFile, { rest = CLIP_REST_S } = {}) {
  const out = path.join(buildDir, `${path.basename(clipFile, '.mp4')}_rest${rest}.mp4`);
  if (existsSync(out) && statSync(out).mtimeMs > statSync(clipFile).mtimeMs) return out;
  const filter = `tpad=start_duration=${rest}:start_mode=clone:stop_duration=${rest}:stop_mode=clone`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clipFile, '-vf', filter, '-an', '-c:v', 'libx264',
    '-pix_fmt', 'yuv420p', '-preset', 'veryfast', out], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

// Several clips one after another, each with `rest` seconds of its first and last frame held
// around it (signs in a row with rest between), as one y4m for the fake camera.
export function chainY4m(clipFiles, { fps = 15, rest = 1.5, name = 'chain' } = {}) {
  const out = path.join(buildDir, `${name}_640x480_${fps}_rest${rest}.y4m`);
  if (existsSync(out) && clipFiles.every((c) => statSync(out).mtimeMs > statSync(c).mtimeMs)) return out;
  const parts = clipFiles.map((_, i) => `[${i}:v]tpad=start_duration=${rest}:start_mode=clone:` +
    `stop_duration=${rest}:stop_mode=clone,scale=640:480:force_original_aspect_ratio=decrease,` +
    `pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=${fps},setsar=1[v${i}]`);
  const filter = `${parts.join(';')};${clipFiles.map((_, i) => `[v${i}]`).join('')}concat=n=${clipFiles.length}:v=1:a=0`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...clipFiles.flatMap((c) => ['-i', c]), '-filter_complex', filter,
    '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', out], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

// `seconds` of a person at rest: the first frame of a clip held (no sign at all).
export function idleY4m(clipFile, { fps = 15, seconds = 8 } = {}) {
  const out = path.join(buildDir, `${path.basename(clipFile, '.mp4')}_idle${seconds}_640x480_${fps}.y4m`);
  if (existsSync(out) && statSync(out).mtimeMs > statSync(clipFile).mtimeMs) return out;
  const filter = `trim=end_frame=1,tpad=stop_duration=${seconds}:stop_mode=clone,` +
    `scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=${fps}`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clipFile, '-vf', filter, '-pix_fmt', 'yuv420p',
    '-f', 'yuv4mpegpipe', out], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

// The real `sueo serve` on 127.0.0.1:0 with the tests' mkcert certificate (tests/lib/sueo-server.mjs),
// plus what the browser tests need of it: the URL without its trailing slash and the pid.
export async function startServer(extraArgs = []) {
  const server = await startSueo(extraArgs);
  const { child } = server;
  return {
    ...server,
    url: server.url.replace(/\/$/, ''),
    pid: child.pid,
    proc: child,
    // Also after the process was killed by a test (it then never exits again).
    stop: () => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : server.stop()),
  };
}

// Chromium (tests/lib/chromium.mjs: fake camera playing `y4m`, test certificate accepted, loopback
// ICE candidates, fresh profile) without background timer throttling: the bench streams from
// several pages at once and only one of them is in front.
export function launchChromium({ y4m, args = [], loopback = true } = {}) {
  return launchTestChromium({
    y4m,
    loopback,
    args: ['--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows', ...args],
  });
}

// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat.
export function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) may hold spaces: split after its closing parenthesis. utime, stime are fields 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / clockTicksPerSecond();
}

let ticksPerSecond = null;
function clockTicksPerSecond() {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

// One recognition sequence on a page of the server, started at the first frame of the fake camera's
// clip: the camera is closed and reopened (Chromium's file camera then plays from the top) and the
// sequence lasts `seconds` (one pass of the clip: its frame count / fps). Resolves with what the
// page's hook returns, minus the per-frame arrays: {result, receipt, page, timings}.
export function playClipSequence(page, seconds) {
  return page.evaluate(async (seconds) => {
    window.sueo.closeCamera();
    const r = await window.sueo.start({ seconds });
    const { lastChunkSent, captureTimes, ...sent } = r.page;
    const { detail, ...receipt } = r.receipt;
    return { result: r.result, receipt, page: sent, timings: r.timings };
  }, seconds);
}
