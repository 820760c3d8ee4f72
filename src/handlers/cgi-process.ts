/**
 * Ending a CGI script's process group (issue #12 item 11): SIGTERM, then SIGKILL
 * after a grace period, and SIGKILL for every group still live when keel exits.
 *
 * Owns the process-wide set of groups the gateway started and has not finished
 * killing, the grace timers, and the one `process.on('exit')` hook. It must not
 * spawn anything, read or write any stream, or keep the event loop alive (the
 * grace timers are unref'd: an idle keel with a group in its grace period still
 * exits, and the exit hook sends the SIGKILL then). It never throws: a group that
 * is already gone (ESRCH) is the normal case after a script cleans up after itself.
 *
 * Theory of operation: the gateway spawns every script with `detached: true`, so
 * the script leads a new process group whose id is its pid, and everything it
 * starts (a shell's `sleep &`, a pipeline) inherits that group. `process.kill(-pgid)`
 * signals the whole group at once. A group id stays reserved while any member lives
 * (Linux frees a pid number only when no process uses it as pid, pgid or sid), so
 * signalling a group that still has members can only reach our processes. Once the
 * last member is gone the number may be reused, which is why a group is forgotten
 * as soon as its SIGKILL is sent or a signal finds it gone. What leaves the group
 * (setsid(2), setpgid(2), a double-forked daemon) is out of reach: docs/cgi.md says
 * what a deployment can do about that.
 */

/**
 * Default pause between the SIGTERM and the SIGKILL sent to a script's process group:
 * 3 s, as Apache's mod_cgi (APR's `APR_KILL_AFTER_TIMEOUT`: SIGTERM, up to 3 s, SIGKILL).
 * Long enough for a script to remove its temporary files, short enough that a script
 * ignoring SIGTERM does not hold a request long.
 */
export const DEFAULT_CGI_KILL_GRACE_MS = 3000;

/** Where a kill sequence stands for one group: not started, or SIGTERM sent and waiting for its SIGKILL. */
type GroupState = 'running' | 'grace';

/** Groups that may still have live members, by process-group id. */
const groups = new Map<number, GroupState>();
let isExitHookInstalled = false;

/** On exit (process.exit(), the loop running empty, an uncaught exception) no grace is left to give. */
function killAllOnExit(): void {
  for (const pgid of groups.keys()) signalGroup(pgid, 'SIGKILL');
  groups.clear();
}

/** Sends `signal` to every process of the group; false when the group is gone (or cannot be signalled). */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    // A negative pid addresses the process group (POSIX kill(2)).
    process.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: no process left in the group. EPERM: none we may signal (a member
    // became another user through a setuid program), which no retry would change.
    return false;
  }
}

/**
 * Records a process group the gateway just started (the script's pid, as it was
 * spawned detached), so that it is killed even if keel exits before its run ends.
 */
export function watchProcessGroup(pgid: number): void {
  if (!isExitHookInstalled) {
    process.on('exit', killAllOnExit);
    isExitHookInstalled = true;
  }
  if (!groups.has(pgid)) groups.set(pgid, 'running');
}

/**
 * Ends a watched process group: SIGTERM to every member now, then SIGKILL to what is
 * left after `graceMs` (at once, without SIGTERM, when `graceMs` is 0). Idempotent:
 * a group already being killed, already killed, or never watched is left alone.
 * Returns false when the group was already gone (nothing was signalled).
 */
export function killProcessGroup(pgid: number, graceMs: number): boolean {
  const state = groups.get(pgid);
  if (state === undefined) return false;
  if (state === 'grace') return true;
  if (graceMs === 0) {
    groups.delete(pgid);
    return signalGroup(pgid, 'SIGKILL');
  }
  if (!signalGroup(pgid, 'SIGTERM')) {
    // Gone already: forget it at once, before its number can be reused.
    groups.delete(pgid);
    return false;
  }
  groups.set(pgid, 'grace');
  const timer = setTimeout(() => {
    groups.delete(pgid);
    signalGroup(pgid, 'SIGKILL');
  }, graceMs);
  // The grace period must not keep keel alive; the exit hook covers an exit during it.
  timer.unref();
  return true;
}

/** Number of process groups watched and not yet killed (for tests and metrics). */
export function liveProcessGroupCount(): number {
  return groups.size;
}
