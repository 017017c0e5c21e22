/**
 * Debian's Chromium driven by playwright-core, with the flags this machine needs (no sandbox as
 * root, no background networking: the network is closed and Chromium would keep retrying).
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
/** Use as a test's `skip` option. */
export const NEEDS_CHROMIUM: string | false = existsSync(CHROMIUM) ? false : `needs ${CHROMIUM} (apt-get install chromium)`;

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
