#!/usr/bin/env node
/**
 * Server CPU time per request for one server on one test, fresh process each
 * run, alternating plain runs with runs that first send one priming request
 * (e.g. one /updates, to see what a transaction leaves behind in the process).
 *
 * Owns only that A/B loop and its printout; servers, databases, pinning and
 * wrk come from harness.mjs. Must stay short and bounded (each run is a
 * warm-up plus one measured wrk run) and target 127.0.0.1 only.
 *
 * Usage: node bench/tfb/cpu-cost.mjs --server keel --test db [--prime '/updates?queries=1']
 *          [--rounds 2] [--duration 2s] [--warmup 1s] [--connections 64] [--queries 20]
 */
import { parseArgs } from '../peers/args.mjs';
import { DEFAULT_PIPELINE_DEPTH, TESTS, cpuTimeMs, freshDatabase, runWrk, startTfbServer, stopServer } from './harness.mjs';

async function main() {
  const a = parseArgs();
  const server = a.server ?? 'keel';
  const test = a.test ?? 'db';
  if (!TESTS[test]) throw new Error(`unknown test ${test}; known: ${Object.keys(TESTS).join(', ')}`);
  const primes = a.prime ? [null, a.prime] : [null];
  const database = await freshDatabase({ url: a['database-url'] ?? process.env.DATABASE_URL });
  try {
    for (let round = 0; round < Number(a.rounds ?? 2); round++) {
      for (const prime of primes) {
        const srv = await startTfbServer(server, database, { cpus: '0' });
        try {
          if (prime) await (await fetch(`http://127.0.0.1:${srv.port}${prime}`)).arrayBuffer();
          const wrk = { port: srv.port, reqPath: TESTS[test].path(Number(a.queries ?? 20)), connections: Number(a.connections ?? 64), pipelineDepth: TESTS[test].pipeline ? DEFAULT_PIPELINE_DEPTH : 0, cpus: '1' };
          if (a.warmup !== '0s') await runWrk({ ...wrk, duration: a.warmup ?? '1s' });
          const cpu0 = cpuTimeMs(srv.child.pid);
          const r = await runWrk({ ...wrk, duration: a.duration ?? '2s' });
          const us = ((cpuTimeMs(srv.child.pid) - cpu0) * 1000) / r.requests;
          process.stdout.write(`${server} ${test}${prime ? ` after ${prime}` : ''}: ${Math.round(r.rps).toLocaleString('en-US')} req/s, ${us.toFixed(2)} us CPU/request\n`);
        } finally {
          await stopServer(srv.child);
        }
      }
    }
  } finally {
    await database.remove();
  }
}

main().catch((e) => { process.stderr.write(`cpu-cost: ${e.stack ?? e}\n`); process.exit(1); });
