/**
 * The headless Chromium the Web UI tests drive (installed by scripts/ensure-chromium.sh), and
 * where they leave their screenshots.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Screenshots go here, beside the Jest results. */
export const ARTIFACTS = resolve(__dirname, '../../test-artifacts');

const CHROMIUM = process.env.CLO_CHROMIUM ?? '/usr/bin/chromium';

/** Launches Chromium for a test file, and makes sure the artifacts directory exists. */
export async function launchBrowser(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return await chromium.launch({
    executablePath: CHROMIUM,
    // The machine has no network beyond loopback: keep Chromium from reaching for Google's services.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
