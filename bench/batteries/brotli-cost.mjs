#!/usr/bin/env node
/**
 * CPU per call of compressing the batteries bodies, in this process: brotli
 * (quality 4, 18-bit window, size hint: the settings keel's compress() uses for
 * a whole body) and gzip, synchronously on the main thread and asynchronously on
 * libuv's thread pool with 1 and 64 calls in flight (64: wrk's connections).
 *
 * Owns nothing but the measurement; it explains the CPU-per-request figures of
 * run.mjs and profile.mjs (where the thread pool's share is invisible to a
 * --cpu-prof profile). Run it with MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_
 * set to see how much of the system time is glibc handing encoder memory back to
 * the kernel. Bounded: a few thousand calls per line, a few seconds in all.
 *
 * Usage: node bench/batteries/brotli-cost.mjs [--calls 2048]
 */
import zlib from 'node:zlib';
import { parseArgs } from '../peers/args.mjs';
import { BROTLI_QUALITY, BROTLI_WINDOW_BITS, ITEMS, page } from './content.mjs';

const calls = Number(parseArgs().calls ?? 2048);
const bodies = { 'JSON 2 KiB': Buffer.from(JSON.stringify({ visits: 1, items: ITEMS })), 'HTML 8 KiB': Buffer.from(page(1)) };
const brotliOptions = (input) => ({
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
    [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: input.length,
  },
});
const codecs = {
  br: { sync: (b) => zlib.brotliCompressSync(b, brotliOptions(b)), async: (b, cb) => zlib.brotliCompress(b, brotliOptions(b), cb) },
  gzip: { sync: (b) => zlib.gzipSync(b), async: (b, cb) => zlib.gzip(b, cb) },
};

/** User and system CPU microseconds per call of `run()` (which does `calls` calls). */
async function perCall(run) {
  await run(Math.min(256, calls)); // warm-up
  const c0 = process.cpuUsage();
  await run(calls);
  const c = process.cpuUsage(c0);
  return `${(c.user / calls).toFixed(1)} us user + ${(c.system / calls).toFixed(1)} us system`;
}

for (const [bodyName, body] of Object.entries(bodies)) {
  for (const [codecName, codec] of Object.entries(codecs)) {
    const once = () => new Promise((resolve, reject) => codec.async(body, (err, out) => (err ? reject(err) : resolve(out))));
    const inFlight = (n) => async (total) => {
      for (let done = 0; done < total; done += n) await Promise.all(Array.from({ length: n }, once));
    };
    const line = [
      `sync ${await perCall(async (total) => { for (let i = 0; i < total; i++) codec.sync(body); })}`,
      `async x1 ${await perCall(inFlight(1))}`,
      `async x64 ${await perCall(inFlight(64))}`,
    ];
    process.stdout.write(`${bodyName} ${codecName} (${codec.sync(body).length} bytes): ${line.join('; ')}\n`);
  }
}
