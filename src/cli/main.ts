#!/usr/bin/env node
/**
 * The `keel` command: dispatches to the subcommands.
 *
 * Owns argv dispatch and the small built-in commands (`hello`, `echo`). The
 * bigger ones live beside it (serve.ts, demo.ts). Nothing imports cli/.
 */
import { Server } from '../server/server.js';
import type { Handler } from '../server/handler.js';
import { intFlag, parseArgs, stringFlag } from './args.js';
import { echoHandler } from './echo.js';
import { runWorkers, takeWorkersFlag, type StopFn } from './workers.js';

const USAGE = `usage: keel <command> [options]

commands:
  hello [--port N] [--host H]      answer every request with 200 "Hello, World!"
  echo  [--port N] [--host H]      the conformance echo application (ECHO.md)
  serve [DIR] [--port N] ...       serve a directory (keel serve --help)
  demo  [--port N] [--db PATH]     the tutorial site (npm start)

every command above also takes:
  --workers N|auto                 run N worker processes sharing the port (auto: one per core);
                                   SIGHUP reloads them one at a time, SIGTERM/SIGINT drains them
`;

const HELLO_BODY = 'Hello, World!';

/** Starts a server for a handler and stops it cleanly on SIGINT/SIGTERM. */
export async function runServer(handler: Handler, argv: readonly string[], defaultPort: number, label: string): Promise<Server> {
  const args = parseArgs(argv);
  const port = intFlag(args, 'port', defaultPort);
  const host = stringFlag(args, 'host', '127.0.0.1');
  const server = new Server(handler);
  const addr = await server.listen(port, host);
  console.log(`keel ${label} listening on http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}/`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}

/** The benchmark target: the smallest useful handler. */
export const helloHandler: Handler = (_req, res) => {
  res.headers.set('Content-Type', 'text/plain');
  res.end(HELLO_BODY);
};

/** Commands that serve, and so take `--workers`. */
const SERVING_COMMANDS = new Set(['hello', 'echo', 'serve', 'demo']);

/** Starts a serving command in this process; resolves with how to stop it (undefined: it did not start). */
async function runCommand(command: string, rest: string[]): Promise<StopFn | undefined> {
  switch (command) {
    case 'hello': {
      const server = await runServer(helloHandler, rest, 8000, 'hello');
      return (ms) => server.close(ms);
    }
    case 'echo': {
      const server = await runServer(echoHandler(), rest, 8000, 'echo');
      return (ms) => server.close(ms);
    }
    case 'serve': {
      const { serveCommand } = await import('./serve.js');
      await serveCommand(rest);
      if (process.exitCode !== undefined && process.exitCode !== 0) return undefined;
      // serveCommand keeps its server to itself: its own SIGTERM handler closes it gracefully
      // and exits, so the hook signals and never resolves (the supervisor's deadline is the backstop).
      return () => {
        process.kill(process.pid, 'SIGTERM');
        return new Promise<never>(() => {});
      };
    }
    case 'demo': {
      const { demoCommand } = await import('./demo.js');
      const demo = await demoCommand(rest);
      return demo === undefined ? undefined : () => demo.close();
    }
    default:
      throw new Error(`not a serving command: ${command}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command !== undefined && SERVING_COMMANDS.has(command)) {
    const { count, argv: rest } = takeWorkersFlag(args);
    const wantsHelp = rest.includes('--help') || rest.includes('-h');
    if (count > 1 && !wantsHelp) {
      // Primary: supervise `count` workers; worker: run the command (see src/server/cluster.ts).
      const code = await runWorkers(count, () => runCommand(command, rest));
      if (code !== undefined) process.exit(code);
      return;
    }
    await runCommand(command, rest);
    return;
  }
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`keel: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`keel: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
