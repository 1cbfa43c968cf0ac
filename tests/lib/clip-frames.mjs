// Real JPEG frames of a committed KSL clip (tests/data/NOTICE), made with ffmpeg at test time into the
// build folder, as byte arrays a page can be handed (page.evaluate) or a Node client can send.
import { readFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, buildDir } from './sueo-server.mjs';

export function clipFrames(count, { clip = 'c01_hi_s11_f8e48f6c.mp4', size = '640:480' } = {}) {
  const dir = join(buildDir, 'test-frames', `${clip.replace(/\.mp4$/, '')}-${size.replace(':', 'x')}`);
  if (!existsSync(join(dir, `f${String(count).padStart(3, '0')}.jpg`))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(repoRoot, 'tests/data/clips', clip),
      '-vf', `scale=${size}`, '-q:v', '5', '-frames:v', String(count), join(dir, 'f%03d.jpg')]);
  }
  return readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, count).map((f) => [...readFileSync(join(dir, f))]);
}
