/**
 * `--workers N|auto` for every serving command (hello, echo, serve, demo).
 *
 * Owns reading the flag out of argv and running a command under the cluster
 * supervisor of server/cluster.ts. Must not know what the commands serve: a
 * command is a function that starts serving and returns how to stop it.
 */
import { autoWorkerCount, onShutdown, startCluster } from '../server/cluster.js';

/** The `--workers` flag, read out of a command's argv. */
export interface WorkersFlag {
  /** Worker processes to run; 1 means no supervisor (serve in this process). */
  count: number;
  /** The argv without `--workers` (what the command itself parses). */
  argv: string[];
}

/** A command started in this process: how to close it gracefully, or undefined if it did not start. */
export type StopFn = (deadlineMs: number) => Promise<unknown>;

/**
 * Removes `--workers N`, `--workers=N` or `--workers auto` from argv (not after `--`).
 * Throws on a value that is not a positive whole number or "auto".
 */
export function takeWorkersFlag(argv: readonly string[]): WorkersFlag {
  const out: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      // Everything after `--` is an argument, not an option (args.ts): `serve -- --workers=2`
      // names a directory.
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--workers') {
      value = argv[i + 1] ?? '';
      i++;
    } else if (a.startsWith('--workers=')) {
      value = a.slice('--workers='.length);
    } else {
      out.push(a);
    }
  }
  if (value === undefined) return { count: 1, argv: out };
  if (value === 'auto') return { count: autoWorkerCount(), argv: out };
  if (!/^[1-9]\d{0,3}$/.test(value)) throw new Error(`--workers needs a positive whole number or "auto", got ${JSON.stringify(value)}`);
  return { count: Number(value), argv: out };
}

/**
 * Runs `run` in `count` worker processes under a supervisor (the primary never runs
 * it). In a worker, `run` starts the command; its stop function is registered as the
 * worker's shutdown hook. Resolves, in the primary, when the cluster has ended, with
 * the exit code; in a worker, once it serves (with undefined).
 */
export async function runWorkers(count: number, run: () => Promise<StopFn | undefined>): Promise<number | undefined> {
  const sup = await startCluster({
    workers: count,
    start: async () => {
      const stop = await run();
      // A usage error or --help: nothing to serve; end the worker with the command's code.
      if (stop === undefined) process.exit(process.exitCode ?? 1);
      onShutdown(stop);
    },
  });
  if (sup === null) return undefined;
  return (await sup.done).code;
}
