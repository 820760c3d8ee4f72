/**
 * The two batteries servers and how they are started: keel (keel.mjs) and
 * Fastify (fastify.mjs), each a Node process from bench/tfb/harness.mjs's
 * startNodeServer (own process group, free port, never outliving the runner).
 *
 * Owns the server table and the session switch: sessions are on when 'keel'
 * exports `session` and `memorySessionStore` (and the caller did not turn them
 * off); when they are off, both servers get SESSION=off so that the two apps keep
 * the same batteries.
 * Must not start anything but these two scripts on 127.0.0.1.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeServer, stopServer } from '../tfb/harness.mjs';
import { PATHS } from './content.mjs';

const DIR = path.dirname(fileURLToPath(import.meta.url));

/** name -> entry file and label; keel first, the ratios are keel's to Fastify's. */
export const SERVERS = {
  keel: { file: 'keel.mjs', label: 'keel' },
  fastify: { file: 'fastify.mjs', label: 'Fastify' },
};

/** Whether the built 'keel' package exports session() and memorySessionStore() (keel.mjs enables sessions then). */
export async function keelHasSession() {
  const keel = await import('keel');
  return typeof keel.session === 'function' && typeof keel.memorySessionStore === 'function';
}

/** The batteries a run has on, as printed in reports. */
export const batteriesText = (session) => `compress + cors${session ? ' + session' : ' (sessions off)'}`;

/**
 * Starts server `name` (pinned to `cpus` when given) with sessions on or off;
 * resolves with `{ name, label, session, child, port, stderr() }`.
 */
export async function startServer(name, { session, cpus, nodeArgs } = {}) {
  const entry = SERVERS[name];
  const env = { ...process.env, SESSION: session ? 'on' : 'off' };
  const srv = await startNodeServer(name, path.join(DIR, entry.file), { env, cpus, nodeArgs, probePath: PATHS.small });
  return { name, label: entry.label, session, ...srv };
}

/** Starts both, unpinned (for the validator run on its own). `session: undefined` means "if keel has it". */
export async function startServers({ session } = {}) {
  const on = session === false ? false : await keelHasSession();
  const out = [];
  try {
    for (const name of Object.keys(SERVERS)) out.push(await startServer(name, { session: on }));
  } catch (e) {
    await stopAll(out);
    throw e;
  }
  return out;
}

/** Stops every server in `servers`. */
export async function stopAll(servers) {
  await Promise.all(servers.map((s) => stopServer(s.child)));
}
