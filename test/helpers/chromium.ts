/**
 * Shared settings for the browser tests: where Debian's chromium lives and how to
 * start it headless here (flags from ../shared/DESIGN.md). Not a test file itself.
 */
import { existsSync } from 'node:fs';

/** Where Debian's chromium package installs the browser (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';
/** Flags for a quiet, sandbox-free headless run (no network reach, no background services). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Longest wait for one browser action: generous for a loaded 2-core CI machine. */
export const ACTION_TIMEOUT_MS = 15_000;
/** The `skip` option of a browser test: a reason when chromium is missing, else undefined. */
export const skipWithoutChromium = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install -y chromium)`;
