/**
 * node:diagnostics_channel events for tracing and metrics tools (issue #16 item 5): keel's
 * counterpart of node:http's `http.server.request.start` / `http.server.response.finish`,
 * named in undici's `lib:noun:verb` style so a tool can tell them apart from node:http's.
 *
 * | Channel                        | When                                              | Payload |
 * |--------------------------------|---------------------------------------------------|---------|
 * | `keel:server:request:start`    | a request's head was parsed, before the handler   | `{ request, response, socket }` |
 * | `keel:server:response:headers` | the response head is final and goes to the socket | `{ request, response, socket }` |
 * | `keel:server:response:finish`  | the response completed, or its connection closed  | `{ request, response, socket, isComplete }` |
 * | `keel:server:request:error`    | the handler threw or rejected                     | `{ request, response, socket, error }` |
 *
 * Owns the channels (created once, at module load) and the payload shapes. Every publish
 * is guarded by `hasSubscribers` at the call site, so with nobody listening a request
 * costs one property read per point and allocates nothing. Subscribers run synchronously
 * inside the server: a throwing subscriber is reported by diagnostics_channel itself
 * (process 'uncaughtException' on the next tick), never to the client.
 * Must not: change a request or a response, or hold one after it finished (the request
 * of a response is remembered in a WeakMap, only while someone listens to the head or error event).
 */
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { Request, ResponseWriter } from './handler.js';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)`. */
export const DIAGNOSTICS_CHANNELS = {
  requestStart: 'keel:server:request:start',
  responseHeaders: 'keel:server:response:headers',
  responseFinish: 'keel:server:response:finish',
  requestError: 'keel:server:request:error',
} as const;

/** Published on `keel:server:request:start` and `keel:server:response:headers`. */
export interface RequestDiagnostic {
  request: Request;
  response: ResponseWriter;
  socket: Socket;
}

/** Published on `keel:server:response:finish`. */
export interface FinishDiagnostic extends RequestDiagnostic {
  /** False when the connection closed (client gone, response destroyed) before the response was complete. */
  isComplete: boolean;
}

/** Published on `keel:server:request:error`. */
export interface ErrorDiagnostic extends RequestDiagnostic {
  error: unknown;
}

export const requestStartChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.requestStart);
export const responseHeadersChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.responseHeaders);
export const responseFinishChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.responseFinish);
export const requestErrorChannel = diagnostics.channel(DIAGNOSTICS_CHANNELS.requestError);

/** The request and socket of a response, for the head event (which the response publishes without them). */
const exchanges = new WeakMap<ResponseWriter, RequestDiagnostic>();

/**
 * A request begins: publishes the start event, and arranges the head and finish events
 * for its response. The connection calls it only when one of the channels has subscribers.
 */
export function publishRequestStart(request: Request, response: ResponseWriter, socket: Socket): void {
  const message: RequestDiagnostic = { request, response, socket };
  if (requestStartChannel.hasSubscribers) requestStartChannel.publish(message);
  if (responseHeadersChannel.hasSubscribers || requestErrorChannel.hasSubscribers) exchanges.set(response, message);
  if (responseFinishChannel.hasSubscribers) {
    response.onClose(() => responseFinishChannel.publish({ request, response, socket, isComplete: response.finished } satisfies FinishDiagnostic));
  }
}

/** True when any per-request channel has a subscriber (the one check on the hot path). */
export function hasRequestSubscribers(): boolean {
  return (
    requestStartChannel.hasSubscribers ||
    responseHeadersChannel.hasSubscribers ||
    responseFinishChannel.hasSubscribers ||
    requestErrorChannel.hasSubscribers
  );
}

/** The response head went out (called by the response when `responseHeadersChannel` has subscribers). */
export function publishResponseHeaders(response: ResponseWriter): void {
  const message = exchanges.get(response);
  if (message !== undefined) responseHeadersChannel.publish(message);
}

/**
 * The handler of `response` failed (called by the connection when `requestErrorChannel` has
 * subscribers). The request is the one recorded at start, not the connection's current one
 * (a handler may reject after a pipelined successor began); a request that started before
 * anyone subscribed has none recorded and publishes nothing.
 */
export function publishRequestError(response: ResponseWriter, error: unknown): void {
  const message = exchanges.get(response);
  if (message !== undefined) requestErrorChannel.publish({ ...message, error } satisfies ErrorDiagnostic);
}
