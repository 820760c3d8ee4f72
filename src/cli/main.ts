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

const USAGE = `usage: keel <command> [options]

commands:
  hello [--port N] [--host H]      answer every request with 200 "Hello, World!"
  echo  [--port N] [--host H]      the conformance echo application (ECHO.md)
  serve [DIR] [--port N] ...       serve a directory (keel serve --help)
  demo  [--port N] [--db PATH]     the tutorial site (npm start)
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

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'hello':
      await runServer(helloHandler, rest, 8000, 'hello');
      return;
    case 'echo':
      await runServer(echoHandler(), rest, 8000, 'echo');
      return;
    case 'serve': {
      const { serveCommand } = await import('./serve.js');
      await serveCommand(rest);
      return;
    }
    case 'demo': {
      const { demoCommand } = await import('./demo.js');
      await demoCommand(rest);
      return;
    }
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
