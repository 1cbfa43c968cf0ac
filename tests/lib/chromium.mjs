// Debian's Chromium driven by playwright-core, set up for tests on loopback: headless as root, no
// background networking, fake camera (optionally a real clip as .y4m), loopback ICE candidates.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `args`: more Chromium flags (e.g. the bench's no-background-throttling ones). `loopback: false`
// leaves out --allow-loopback-in-peer-connection (a browser that will not use loopback candidates).
export async function launchChromium({ y4m, args: extraArgs = [], loopback = true } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'sueo-chromium-'));
  const args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--ignore-certificate-errors'];
  if (loopback) args.push('--allow-loopback-in-peer-connection');
  if (y4m) args.push(`--use-file-for-fake-video-capture=${y4m}`);
  args.push(...extraArgs);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args, ignoreHTTPSErrors: true, headless: true,
  });
  return {
    context,
    async newPage() { return await context.newPage(); },
    async close() { await context.close(); rmSync(userDataDir, { recursive: true, force: true }); },
  };
}
