/**
 * Time controller: `/time` as HTML or JSON by Accept, and `/time/stream`,
 * a live clock over Server-Sent Events (WHATWG HTML §9.2).
 *
 * Owns negotiation for /time and the clock stream's lifecycle: one interval
 * timer per stream, stopped when the client leaves, when the demo shuts
 * down, or never started past `maxClockStreams` (503). The event-stream
 * framing, heartbeats and backpressure are ctx.sse()'s (src/app/sse.ts).
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

  app.get('/time/stream', (ctx) => {
    if (deps.streams.size >= deps.maxClockStreams) {
      throw new HttpError(503, 'Too many live clocks open; try again later', { code: 'ERR_TOO_MANY_STREAMS', headers: { 'retry-after': '5' } });
    }
    // ctx.sse() (src/app/sse.ts) frames the events, sends heartbeats, and ends the stream
    // when the client leaves; a HEAD gets the head only. The retry hint goes first.
    ctx.sse(
      (stream) =>
        new Promise<void>((resolve) => {
          // A tick the socket cannot take yet is skipped: a clock has no use for stale times.
          let isSending = false;
          const tick = (): void => {
            if (isSending) return;
            isSending = true;
            void stream.send({ event: 'tick', data: JSON.stringify(timeData(deps.now())) }).then(() => (isSending = false));
          };
          tick();
          const timer = setInterval(tick, deps.clockIntervalMs);
          const stop = (): void => {
            clearInterval(timer);
            deps.streams.delete(stop);
            resolve();
          };
          deps.streams.add(stop);
          stream.onClose(stop);
        }),
      { retryMs: CLOCK_RETRY_MS },
    );
  });
}
