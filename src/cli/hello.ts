/**
 * `keel hello`: answers every request with 200 "Hello, World!" (the benchmark target).
 *
 * Owns the smallest useful handler, its command entry, and the shape of a
 * command that serves one bare Handler (shared with `keel echo`). Must not
 * grow features: benchmarks compare it with other servers' hello worlds.
 */
import type { Handler } from '../server/handler.js';
import { DEBUG_OPTION, HELP_OPTION, WORKERS_OPTION, hostOption, portOption, portValue, stringValue } from './args.js';
import { serveHandler, type ServingCommand } from './command.js';

/** Default port of `keel hello` and `keel echo`. */
export const DEFAULT_HELLO_PORT = 8000;
/** Default interface: loopback, so nothing is published to the network unless asked. */
export const DEFAULT_HELLO_HOST = '127.0.0.1';

const HELLO_BODY = 'Hello, World!';

/** The benchmark target: the smallest useful handler. */
export const helloHandler: Handler = (_req, res) => {
  res.headers.set('Content-Type', 'text/plain');
  res.end(HELLO_BODY);
};

/** The options of `keel hello` and `keel echo`. */
const BARE_SERVER_OPTIONS = [
  portOption(DEFAULT_HELLO_PORT),
  hostOption(DEFAULT_HELLO_HOST),
  WORKERS_OPTION,
  DEBUG_OPTION,
  HELP_OPTION,
] as const;

/**
 * A command that serves one bare Handler (hello, echo): `--port`, `--host`, `--workers`,
 * no positionals; the handler is made per process (workers each make their own).
 */
export function bareServerCommand(name: string, summary: string, makeHandler: () => Handler): ServingCommand {
  return {
    kind: 'serving',
    name,
    synopsis: '[options]',
    summary,
    options: BARE_SERVER_OPTIONS,
    maxPositionals: 0,
    prepare(args) {
      const port = portValue(args, DEFAULT_HELLO_PORT);
      const host = stringValue(args, 'host', DEFAULT_HELLO_HOST);
      return () => serveHandler(name, makeHandler(), port, host);
    },
  };
}

/** `keel hello [--port N] [--host H]`. */
export const helloCommand = bareServerCommand('hello', 'answer every request with 200 "Hello, World!"', () => helloHandler);
