/**
 * Time controller: `/time` as HTML or JSON by Accept, and `/time/stream`,
 * a live clock over Server-Sent Events (WHATWG HTML §9.2).
 *
 * Owns negotiation for /time and the SSE stream's lifecycle: one interval
 * timer per stream, stopped when the client leaves, when the demo shuts
 * down, or never started past `maxClockStreams` (503).
 */
import { HttpError, type App } from '../../app/index.js';
import { preferredType } from '../negotiate.js';
import { timeData, timeView } from '../views/time.js';
import type { DemoDeps } from './deps.js';

/** Reconnection delay the stream asks EventSource to use (SSE `retry:` field). */
export const CLOCK_RETRY_MS = 3_000;

const OFFERED = ['text/html', 'application/json'] as const;

/** Registers `/time` and `/time/stream`. */
export function timeRoutes(app: App, deps: DemoDeps): void {
  app.get('/time', (ctx) => {
    // The body depends on Accept: caches must key on it (RFC 9110 §12.5.5).
    ctx.header('Vary', 'Accept').header('Cache-Control', 'no-store');
    const type = preferredType(ctx.req.header('accept'), OFFERED);
    if (type === undefined) {
      throw new HttpError(406, 'This resource is available as text/html or application/json', { code: 'ERR_NOT_ACCEPTABLE' });
    }
    const data = timeData(deps.now());
    if (type === 'application/json') ctx.json(data);
    else ctx.html(timeView(data));
  });

  app.get('/time/stream', async (ctx) => {
    const res = ctx.res;
    if (deps.streams.size >= deps.maxClockStreams) {
      throw new HttpError(503, 'Too many live clocks open; try again later', { code: 'ERR_TOO_MANY_STREAMS', headers: { 'retry-after': '5' } });
    }
    res.status = 200;
    res.headers.set('Content-Type', 'text/event-stream; charset=utf-8');
    res.headers.set('Cache-Control', 'no-store');
    if (ctx.req.method === 'HEAD') {
      res.end();
      return;
    }
    // The first write sends the head (chunked: the length is unknown) and the retry hint.
    res.write(`retry: ${CLOCK_RETRY_MS}\n\n`);
    const tick = (): void => {
      if (!res.closed) res.write(`event: tick\ndata: ${JSON.stringify(timeData(deps.now()))}\n\n`);
    };
    tick();
    await new Promise<void>((resolve) => {
      const timer = setInterval(tick, deps.clockIntervalMs);
      const stop = (): void => {
        clearInterval(timer);
        deps.streams.delete(stop);
        resolve();
      };
      deps.streams.add(stop);
      res.onClose(stop);
    });
    if (!res.closed && !res.finished) res.end();
  });
}
