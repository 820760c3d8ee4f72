/**
 * Topics: publish/subscribe over WebSocket connections of one process (issue #15).
 *
 * Owns the map from topic to subscribed connections and `publish()`, which
 * frames a message once for every subscriber (one Buffer written to each
 * socket: the server's frames are unmasked, RFC 6455 §5.1) and compresses it
 * once for all subscribers that negotiated permessage-deflate with
 * `server_no_context_takeover` (RFC 7692 §7.1.1.1: each message then starts
 * from an empty window, so the same bytes are valid on every such
 * connection), once per window size. A subscriber whose compressor keeps its
 * context gets its own compression (its window must see every message it
 * sends). It knows nothing of sockets: each member queues frames itself.
 *
 * The scope is one process: with `--workers` or several instances each
 * process has its own topics, and a publish reaches only the connections of
 * the process it runs in. Carrying it across processes (PostgreSQL
 * LISTEN/NOTIFY, Redis...) means publishing in every process; see docs/websocket.md.
 */
import type { PerMessageDeflateParams } from '../wire/websocket-handshake.js';
import { encodeMessage } from '../wire/websocket-serializer.js';
import { deflateMessage } from './websocket-deflate.js';
import { DEFAULT_WS_DEFLATE_THRESHOLD_BYTES, type SendStatus } from './websocket.js';
import { defaultZlibLimiter, type ZlibLimiter } from './websocket-zlib-limiter.js';

/** What a topic needs of a connection (WebSocket implements it). */
export interface TopicMember {
  /** The negotiated permessage-deflate parameters, or null. */
  readonly deflateParams: PerMessageDeflateParams | null;
  /** Sends a message, compressing it for this connection alone when it should be. */
  send(data: string | Uint8Array, options?: { binary?: boolean; compress?: boolean }): SendStatus;
  /** Queues a frame made for many connections; `bytes` counts a frame still being made. */
  sendFrame(frame: Buffer | Promise<Buffer>, bytes: number): SendStatus;
}

/** Options of `publish()`. */
export interface PublishOptions {
  /** Send as binary (default: binary for bytes, text for a string). */
  binary?: boolean;
  /** A member left out (the sender, for `ws.publish`). */
  except?: TopicMember;
  /** Compress for deflate subscribers when the message is at least this long (bytes; characters for a string). Default 1 KiB (DEFAULT_WS_DEFLATE_THRESHOLD_BYTES). */
  deflateThresholdBytes?: number;
}

/** A set of topics and their subscribers. */
export class WebSocketTopics {
  readonly #topics = new Map<string, Set<TopicMember>>();
  readonly #limiter: ZlibLimiter;

  constructor(options: { zlibLimiter?: ZlibLimiter } = {}) {
    this.#limiter = options.zlibLimiter ?? defaultZlibLimiter;
  }

  /** Adds a member to a topic; false if it was there already. */
  subscribe(member: TopicMember, topic: string): boolean {
    let set = this.#topics.get(topic);
    if (set === undefined) this.#topics.set(topic, (set = new Set()));
    if (set.has(member)) return false;
    set.add(member);
    return true;
  }

  /** Removes a member from a topic; false if it was not there. An empty topic is forgotten. */
  unsubscribe(member: TopicMember, topic: string): boolean {
    const set = this.#topics.get(topic);
    if (set === undefined || !set.delete(member)) return false;
    if (set.size === 0) this.#topics.delete(topic);
    return true;
  }

  /** Subscribers of a topic now. */
  subscriberCount(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  /** Topics with at least one subscriber. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /**
   * Sends a message to every subscriber of `topic` (but `except`). The frame is made once;
   * compressed frames once per window size for subscribers without server context takeover.
   * @returns how many subscribers took it (not 'dropped')
   */
  publish(topic: string, data: string | Uint8Array, options: PublishOptions = {}): number {
    const set = this.#topics.get(topic);
    if (set === undefined) return 0;
    const kind = (options.binary ?? typeof data !== 'string') ? 'binary' : 'text';
    const threshold = options.deflateThresholdBytes ?? DEFAULT_WS_DEFLATE_THRESHOLD_BYTES;
    const wantsDeflate = data.length >= threshold;
    let plain: Buffer | undefined;
    let bytes: Uint8Array | undefined;
    const shared = new Map<number, Promise<Buffer>>();
    let taken = 0;
    // A copy of the members: a send may close a connection, which unsubscribes it.
    for (const member of [...set]) {
      if (member === options.except) continue;
      const p = member.deflateParams;
      let status: SendStatus;
      if (p === null || !wantsDeflate) {
        status = member.sendFrame((plain ??= encodeMessage(kind, data)), 0);
      } else if (!p.serverNoContextTakeover) {
        status = member.send(data, { binary: kind === 'binary' });
      } else {
        bytes ??= typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        const input = bytes;
        const bits = p.serverMaxWindowBits;
        let frame = shared.get(bits);
        if (frame === undefined) {
          frame = this.#limiter
            .run(() => deflateMessage(input, { windowBits: bits }))
            .then((payload) => encodeMessage(kind, payload, { compressed: true }));
          // Each member handles a failure itself (its queue sees the rejection); none is unhandled here.
          frame.catch(() => undefined);
          shared.set(bits, frame);
        }
        status = member.sendFrame(frame, input.length);
      }
      if (status !== 'dropped') taken++;
    }
    return taken;
  }
}

/** The topics every WebSocket uses unless given its own: one registry per process. */
export const defaultTopics = new WebSocketTopics();

/** Publishes on the process's default topics (see WebSocketTopics.publish). */
export function publish(topic: string, data: string | Uint8Array, options?: PublishOptions): number {
  return defaultTopics.publish(topic, data, options);
}
