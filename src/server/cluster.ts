/**
 * Cluster: one supervisor process and N worker processes on node:cluster.
 *
 * Owns the supervisor (fork, restart with backoff, rolling reload on SIGHUP,
 * graceful stop on SIGTERM/SIGINT) and the worker side of the protocol between
 * them (the `ready` report and the `stop` request, plus the shutdown hooks a
 * worker runs when asked to stop). It must not know what a worker serves: a
 * worker is whatever `start()` starts. It never imports node:http.
 *
 * Theory of operation
 * -------------------
 * Every worker runs the same program; node:cluster shares one listening socket
 * between them (the primary accepts and hands connections round-robin; Node 20
 * has no `reusePort`). The supervisor keeps N *slots*. A slot has a `current`
 * worker (ready, serving) and at most one `pending` worker (forked, not ready
 * yet). A worker reports `ready` once `start()` resolved, i.e. once it listens;
 * the supervisor then promotes it to `current` of its slot and gracefully stops
 * the worker it replaces, if any. That single rule gives both:
 *  - restart: a crashed `current` leaves its slot empty; after a backoff
 *    (`initialBackoffMs` doubling up to `maxBackoffMs`) a new worker is forked
 *    as the slot's `pending`;
 *  - rolling reload (SIGHUP): slot by slot, fork a `pending`, wait for it to be
 *    ready (it is promoted, the old one is told to stop), wait for the old one to
 *    exit, go on with the next slot. At every moment at least N-1 workers accept
 *    connections and the old worker answers every request it has read (the
 *    shutdown rule of Connection.shutdown()), so no request is dropped.
 * Stopping a worker: the supervisor sends `{ keel: 'stop', deadlineMs }`; the
 * worker runs its shutdown hooks (typically `server.close(deadlineMs)`: stop
 * accepting, let requests in flight finish) and exits 0. A connection the primary
 * hands to a worker that has just closed its listener is refused by that worker
 * and handed to another one by node:cluster. A worker still alive
 * `shutdownTimeoutMs + killGraceMs` after the request gets SIGKILL.
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';

/** Default of `initialBackoffMs`: the first restart after a crash is almost immediate. */
export const DEFAULT_INITIAL_BACKOFF_MS = 100;
/** Default of `maxBackoffMs`: the restart delay doubles up to this. */
export const DEFAULT_MAX_BACKOFF_MS = 10_000;
/**
 * Default of `crashLoopLimit`: consecutive crashes of one slot before the supervisor
 * gives up and stops the cluster (a worker that always crashes hides a bug; restarting
 * it forever hides it better). systemd's default StartLimitBurst is 5 in 10 s.
 */
export const DEFAULT_CRASH_LOOP_LIMIT = 10;
/** Default of `stableAfterMs`: a worker up this long resets its slot's crash count. */
export const DEFAULT_STABLE_AFTER_MS = 30_000;
/** Default of `readyTimeoutMs`: a new worker must be listening within this (tsx, migrations). */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** Default of `shutdownTimeoutMs`: the deadline given to a worker's graceful stop (Server's default too). */
export const DEFAULT_CLUSTER_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Default of `killGraceMs`: extra time after the deadline before SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2_000;

/** Options of `startCluster()`. */
export interface ClusterOptions {
  /** Number of worker processes, or 'auto' for `os.availableParallelism()`. */
  workers: number | 'auto';
  /**
   * Runs in each worker: start serving and resolve once listening. Register what must
   * be closed on a graceful stop with `onShutdown()`; without any hook, the worker
   * sends itself SIGTERM (which keel's commands handle by closing gracefully).
   */
  start: () => Promise<unknown>;
  /** First restart delay after a crash. Default `DEFAULT_INITIAL_BACKOFF_MS` (100 ms). */
  initialBackoffMs?: number;
  /** Largest restart delay. Default `DEFAULT_MAX_BACKOFF_MS` (10 s). */
  maxBackoffMs?: number;
  /** Consecutive crashes of one slot that stop the cluster. Default `DEFAULT_CRASH_LOOP_LIMIT` (10). */
  crashLoopLimit?: number;
  /** Uptime after which a worker's crash no longer counts as part of a loop. Default 30 s. */
  stableAfterMs?: number;
  /** Longest wait for a new worker to report ready. Default 30 s. */
  readyTimeoutMs?: number;
  /** Deadline of a worker's graceful stop (passed to its shutdown hooks). Default 10 s. */
  shutdownTimeoutMs?: number;
  /** Extra wait after `shutdownTimeoutMs` before SIGKILL. Default 2 s. */
  killGraceMs?: number;
  /**
   * How connections reach workers. 'round-robin' (Node's default on Linux): the primary
   * accepts and hands each connection to the next worker: an even spread, but a
   * connection being handed to a worker at the instant it crashes is lost in transit and
   * hangs until the client gives up (a node:cluster limitation). 'os': every worker
   * accepts from the shared socket itself; nothing is lost when one dies, but the kernel
   * may favour some workers. Default 'round-robin'. Frozen by the first fork.
   */
  scheduling?: 'round-robin' | 'os';
  /** Install SIGHUP (reload) and SIGTERM/SIGINT (stop) handlers in the primary. Default true. */
  handleSignals?: boolean;
  /** Supervisor log lines (one event each). Default: stderr with a "keel cluster:" prefix. */
  log?: (line: string) => void;
  /** The clock, in ms (injected by tests). Default `Date.now`. */
  clock?: () => number;
}

/** How a supervisor ended. */
export interface ClusterExit {
  /** 'stopped': stop() or a signal; 'crash-loop': a slot crashed `crashLoopLimit` times in a row. */
  reason: 'stopped' | 'crash-loop';
  /** The exit code the primary should end with (0 stopped, 1 crash loop). */
  code: number;
}

/** The primary's handle on a running cluster. */
export interface Supervisor {
  /** Process ids of the workers currently serving (one per slot that has one). */
  pids(): number[];
  /** Rolling reload: replace every worker, one at a time. Resolves when done (false if aborted). */
  reload(): Promise<boolean>;
  /** Graceful stop of every worker; SIGKILL after the deadline. Resolves with the exit. */
  stop(): Promise<ClusterExit>;
  /** Resolves when the supervisor has ended (stopped or gave up). */
  readonly done: Promise<ClusterExit>;
}

/** Messages between the primary and its workers. */
type ToWorker = { keel: 'stop'; deadlineMs: number };
type ToPrimary = { keel: 'ready' };

/** A shutdown hook: close what you serve within `deadlineMs`. */
export type ShutdownHook = (deadlineMs: number) => unknown;

const hooks = new Set<ShutdownHook>();

/**
 * Registers what a worker closes when the supervisor asks it to stop (reload, shutdown).
 * Returns a function that unregisters it. Outside a cluster worker it is never called.
 *
 * @example
 * const server = new Server(handler);
 * await server.listen(8000);
 * onShutdown((deadlineMs) => server.close(deadlineMs));
 */
export function onShutdown(hook: ShutdownHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** The worker count `--workers auto` means: the cores Node may use. */
export function autoWorkerCount(): number {
  return os.availableParallelism();
}

/**
 * The restart delay after the `crashes`-th consecutive crash (1-based): exponential,
 * `initialBackoffMs * 2^(crashes-1)`, capped at `maxBackoffMs`.
 */
export function backoffDelayMs(crashes: number, initialBackoffMs: number, maxBackoffMs: number): number {
  if (crashes <= 0) return 0;
  return Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(crashes - 1, 30));
}

function isToPrimary(m: unknown): m is ToPrimary {
  return typeof m === 'object' && m !== null && (m as ToPrimary).keel === 'ready';
}

function isToWorker(m: unknown): m is ToWorker {
  return typeof m === 'object' && m !== null && (m as ToWorker).keel === 'stop' && typeof (m as ToWorker).deadlineMs === 'number';
}

/**
 * Starts a cluster. In the primary it forks the workers and resolves with the
 * Supervisor once every worker is ready (rejects if one fails to start: a bad port or
 * config is not fixed by restarting). In a worker it runs `start()`, reports ready
 * and resolves with null.
 *
 * @example
 * const sup = await startCluster({
 *   workers: 'auto',
 *   start: async () => {
 *     const server = new Server(handler);
 *     await server.listen(8000, '0.0.0.0');
 *     onShutdown((ms) => server.close(ms));
 *   },
 * });
 * if (sup !== null) process.exitCode = (await sup.done).code;
 */
export async function startCluster(options: ClusterOptions): Promise<Supervisor | null> {
  if (cluster.isWorker) {
    await runWorker(options.start);
    return null;
  }
  const sup = new ClusterSupervisor(options);
  await sup.start();
  return sup;
}

async function runWorker(start: () => Promise<unknown>): Promise<void> {
  let stopping = false;
  process.on('message', (m: unknown) => {
    if (!isToWorker(m) || stopping) return;
    stopping = true;
    if (hooks.size === 0) {
      // No hook: fall back on the program's own SIGTERM handling (keel's commands close gracefully).
      process.kill(process.pid, 'SIGTERM');
      return;
    }
    void Promise.allSettled([...hooks].map(async (hook) => hook(m.deadlineMs))).then(() => process.exit(0));
  });
  await start();
  process.send?.({ keel: 'ready' } satisfies ToPrimary);
}

type WorkerState = 'starting' | 'ready' | 'stopping';

interface WorkerRecord {
  readonly worker: Worker;
  readonly slot: Slot;
  state: WorkerState;
  readyAt: number;
  readonly exited: Promise<void>;
  readyTimer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
  /** Settles the wait of whoever forked this worker as a replacement (reload). */
  onSettled: ((ready: boolean) => void) | undefined;
}

interface Slot {
  readonly index: number;
  current: WorkerRecord | undefined;
  pending: WorkerRecord | undefined;
  crashes: number;
  restartTimer: NodeJS.Timeout | undefined;
}

type SupervisorState = 'starting' | 'running' | 'stopping' | 'stopped';

class ClusterSupervisor implements Supervisor {
  readonly done: Promise<ClusterExit>;
  readonly #count: number;
  readonly #o: Required<Omit<ClusterOptions, 'workers' | 'start' | 'scheduling'>>;
  readonly #slots: Slot[] = [];
  #state: SupervisorState = 'starting';
  #startup: { resolve: () => void; reject: (err: Error) => void; waiting: number } | undefined;
  #finish!: (exit: ClusterExit) => void;
  #stopping: Promise<ClusterExit> | undefined;
  #reloading: Promise<boolean> | undefined;
  #reloadAgain = false;
  readonly #signalHandlers: Array<[NodeJS.Signals, () => void]> = [];

  constructor(options: ClusterOptions) {
    const count = options.workers === 'auto' ? autoWorkerCount() : options.workers;
    if (!Number.isSafeInteger(count) || count < 1) throw new TypeError('workers must be a positive integer or "auto"');
    this.#count = count;
    if (options.scheduling !== undefined) {
      cluster.schedulingPolicy = options.scheduling === 'os' ? cluster.SCHED_NONE : cluster.SCHED_RR;
    }
    this.#o = {
      initialBackoffMs: options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS,
      maxBackoffMs: options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
      crashLoopLimit: options.crashLoopLimit ?? DEFAULT_CRASH_LOOP_LIMIT,
      stableAfterMs: options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS,
      readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULT_CLUSTER_SHUTDOWN_TIMEOUT_MS,
      killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      handleSignals: options.handleSignals ?? true,
      log: options.log ?? ((line) => process.stderr.write(`keel cluster: ${line}\n`)),
      clock: options.clock ?? Date.now,
    };
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  start(): Promise<void> {
    this.#o.log(`primary ${process.pid} starting ${this.#count} worker(s)`);
    if (this.#o.handleSignals) this.#installSignals();
    return new Promise<void>((resolve, reject) => {
      this.#startup = { resolve, reject, waiting: this.#count };
      for (let i = 0; i < this.#count; i++) {
        const slot: Slot = { index: i, current: undefined, pending: undefined, crashes: 0, restartTimer: undefined };
        this.#slots.push(slot);
        this.#fork(slot);
      }
    });
  }

  pids(): number[] {
    const out: number[] = [];
    for (const s of this.#slots) if (s.current?.worker.process.pid !== undefined) out.push(s.current.worker.process.pid);
    return out;
  }

  // ---- workers --------------------------------------------------------------

  #fork(slot: Slot): WorkerRecord {
    const worker = cluster.fork();
    let onExit!: () => void;
    const rec: WorkerRecord = {
      worker,
      slot,
      state: 'starting',
      readyAt: 0,
      exited: new Promise<void>((resolve) => (onExit = resolve)),
      readyTimer: undefined,
      killTimer: undefined,
      onSettled: undefined,
    };
    slot.pending = rec;
    rec.readyTimer = setTimeout(() => {
      this.#o.log(`worker ${worker.process.pid} not ready after ${this.#o.readyTimeoutMs} ms; killing it`);
      worker.process.kill('SIGKILL');
    }, this.#o.readyTimeoutMs);
    rec.readyTimer.unref();
    worker.on('message', (m: unknown) => {
      if (isToPrimary(m)) this.#onReady(rec);
    });
    worker.on('error', () => {
      // IPC errors (a send to a dying worker): its 'exit' follows and is handled there.
    });
    worker.on('exit', (code, signal) => {
      clearTimeout(rec.readyTimer);
      clearTimeout(rec.killTimer);
      this.#onExit(rec, code, signal);
      onExit();
    });
    return rec;
  }

  #onReady(rec: WorkerRecord): void {
    if (rec.state !== 'starting') return;
    clearTimeout(rec.readyTimer);
    const slot = rec.slot;
    if (this.#state === 'stopping' || this.#state === 'stopped' || slot.pending !== rec) {
      this.#stopWorker(rec);
      return;
    }
    rec.state = 'ready';
    rec.readyAt = this.#o.clock();
    const old = slot.current;
    slot.current = rec;
    slot.pending = undefined;
    this.#o.log(`worker ${rec.worker.process.pid} ready (slot ${slot.index})`);
    if (old !== undefined) this.#stopWorker(old);
    rec.onSettled?.(true);
    if (this.#startup !== undefined && --this.#startup.waiting === 0) {
      const { resolve } = this.#startup;
      this.#startup = undefined;
      this.#state = 'running';
      this.#o.log(`${this.#count} worker(s) ready`);
      resolve();
    }
  }

  #onExit(rec: WorkerRecord, code: number | null, signal: string | null): void {
    const slot = rec.slot;
    const wasPending = slot.pending === rec;
    if (slot.current === rec) slot.current = undefined;
    if (wasPending) slot.pending = undefined;
    rec.onSettled?.(false);
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    if (rec.state === 'stopping') {
      this.#o.log(`worker ${rec.worker.process.pid} stopped (${how})`);
      return;
    }
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#o.log(`worker ${rec.worker.process.pid} exited unexpectedly (${how})`);
    if (this.#startup !== undefined && rec.state === 'starting') {
      // A worker that cannot start at all (port in use, bad config) will not start on retry.
      const { reject } = this.#startup;
      this.#startup = undefined;
      void this.stop().then(() => reject(new Error(`worker failed to start (${how})`)));
      return;
    }
    // A crash after a long healthy run is not part of a loop.
    if (rec.readyAt !== 0 && this.#o.clock() - rec.readyAt >= this.#o.stableAfterMs) slot.crashes = 0;
    slot.crashes++;
    if (slot.crashes >= this.#o.crashLoopLimit) {
      this.#o.log(`slot ${slot.index} crashed ${slot.crashes} times in a row; giving up`);
      void this.#stopAll({ reason: 'crash-loop', code: 1 });
      return;
    }
    if (slot.current !== undefined || slot.pending !== undefined || slot.restartTimer !== undefined) return;
    const delay = backoffDelayMs(slot.crashes, this.#o.initialBackoffMs, this.#o.maxBackoffMs);
    this.#o.log(`restarting slot ${slot.index} in ${delay} ms`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.#state === 'running' || this.#state === 'starting') this.#fork(slot);
    }, delay);
  }

  /** Asks one worker to stop gracefully; SIGKILL after the deadline. */
  #stopWorker(rec: WorkerRecord): Promise<void> {
    if (rec.state === 'stopping') return rec.exited;
    rec.state = 'stopping';
    clearTimeout(rec.readyTimer);
    if (rec.worker.isConnected()) {
      rec.worker.send({ keel: 'stop', deadlineMs: this.#o.shutdownTimeoutMs } satisfies ToWorker);
    } else {
      rec.worker.process.kill('SIGTERM');
    }
    rec.killTimer = setTimeout(() => {
      this.#o.log(`worker ${rec.worker.process.pid} still running after the deadline; SIGKILL`);
      rec.worker.process.kill('SIGKILL');
    }, this.#o.shutdownTimeoutMs + this.#o.killGraceMs);
    return rec.exited;
  }

  // ---- reload and stop ------------------------------------------------------

  reload(): Promise<boolean> {
    if (this.#state !== 'running') return Promise.resolve(false);
    if (this.#reloading !== undefined) {
      // A reload asked for during one: the code may have changed again since it began.
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      let ok = true;
      do {
        this.#reloadAgain = false;
        this.#o.log('rolling reload');
        for (const slot of this.#slots) {
          if (this.#state !== 'running') return false;
          const old = slot.current;
          if (slot.pending !== undefined) continue; // a restart is already replacing it
          clearTimeout(slot.restartTimer);
          slot.restartTimer = undefined;
          const fresh = this.#fork(slot);
          const ready = await new Promise<boolean>((resolve) => (fresh.onSettled = resolve));
          if (!ready) {
            this.#o.log(`reload aborted: the new worker of slot ${slot.index} did not start`);
            ok = false;
            break;
          }
          if (old !== undefined) await old.exited;
        }
        if (ok) this.#o.log('reload complete');
      } while (ok && this.#reloadAgain && this.#state === 'running');
      return ok;
    })().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  stop(): Promise<ClusterExit> {
    return this.#stopAll({ reason: 'stopped', code: 0 });
  }

  #stopAll(exit: ClusterExit): Promise<ClusterExit> {
    if (this.#stopping !== undefined) return this.#stopping;
    this.#state = 'stopping';
    this.#o.log(`stopping ${this.#count} worker(s)`);
    this.#stopping = (async () => {
      const all: Promise<void>[] = [];
      for (const slot of this.#slots) {
        clearTimeout(slot.restartTimer);
        slot.restartTimer = undefined;
        if (slot.current !== undefined) all.push(this.#stopWorker(slot.current));
        if (slot.pending !== undefined) all.push(this.#stopWorker(slot.pending));
      }
      await Promise.all(all);
      this.#state = 'stopped';
      this.#removeSignals();
      this.#o.log(exit.reason === 'stopped' ? 'all workers stopped' : `stopped (${exit.reason})`);
      this.#finish(exit);
      return exit;
    })();
    return this.#stopping;
  }

  #installSignals(): void {
    const on = (signal: NodeJS.Signals, fn: () => void): void => {
      process.on(signal, fn);
      this.#signalHandlers.push([signal, fn]);
    };
    on('SIGHUP', () => void this.reload());
    on('SIGTERM', () => void this.stop());
    on('SIGINT', () => void this.stop());
  }

  #removeSignals(): void {
    for (const [signal, fn] of this.#signalHandlers) process.off(signal, fn);
    this.#signalHandlers.length = 0;
  }
}
