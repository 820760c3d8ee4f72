/**
 * The time server's HTML page and JSON shape.
 *
 * Owns how the current time is presented. The live clock is plain
 * same-origin JavaScript (public/clock.js) listening to /time/stream.
 */
import { html, type SafeHtml } from '../../app/index.js';
import { page } from './layout.js';

/** The time as the JSON variant and the SSE events carry it. */
export interface TimeData {
  /** ISO 8601 in UTC, e.g. "2026-01-02T03:04:05.678Z". */
  iso: string;
  /** Milliseconds since the Unix epoch. */
  epochMs: number;
}

/** The time data for a clock reading. */
export function timeData(nowMs: number): TimeData {
  return { iso: new Date(nowMs).toISOString(), epochMs: nowMs };
}

/** The /time page. */
export function timeView(data: TimeData): SafeHtml {
  return page(
    html`<h1>The time server</h1>
<p>When this page was made, keel's clock said:</p>
<p class="clock"><time id="server-time" datetime="${data.iso}">${data.iso}</time></p>
<p>Live, over Server-Sent Events (<code>/time/stream</code>):</p>
<p class="clock"><time id="live-time">waiting for the first event...</time></p>
<p>The same resource as JSON: <code>curl -H 'Accept: application/json' http://HOST/time</code>.
keel chooses by the <code>Accept</code> header (RFC 9110 §12.5.1) and says so with
<code>Vary: Accept</code>.</p>`,
    { title: 'Time', current: '/time', scripts: ['/clock.js'] },
  );
}
