/**
 * Process helpers shared by the CGI gateway tests (issue #12 item 11).
 *
 * Owns telling whether a pid still runs and waiting, bounded by a deadline, until
 * a set of pids is gone. It must not kill anything: whoever started a process
 * cleans it up.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** How long a killed process may take to disappear before a test fails. */
export const GONE_DEADLINE_MS = 5000;
/** Interval between two looks at a pid while waiting for it to go. */
const POLL_MS = 10;

/**
 * True when a pid no longer runs: gone, or a zombie nobody reaped yet (orphans are
 * re-parented to PID 1, which on some machines never reaps them, so `kill(pid, 0)`
 * alone would call a dead process alive).
 */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** Waits until every pid is gone, failing after GONE_DEADLINE_MS: a signal's delivery is asynchronous to us. */
export async function assertGone(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + GONE_DEADLINE_MS;
  while (!pids.every(isGone)) {
    if (Date.now() > deadline) assert.fail(`processes still running: ${pids.filter((p) => !isGone(p)).join(', ')}`);
    await delay(POLL_MS);
  }
}

/** Kills a pid the test started and the code under test cannot reach (cleanup); a gone pid is fine. */
export function killIfRunning(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
