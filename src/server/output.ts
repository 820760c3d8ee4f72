/**
 * OutputBatcher: how one connection's response bytes reach its socket.
 *
 * Owns the output phase (state.ts: direct, batching, blocked), the batch being collected, the
 * send deadline (`sendTimeoutMs`) and the shared wait for 'drain'. While a batch of pipelined
 * requests is answered, their output is collected (a latin1 string for heads and ASCII bodies,
 * byte chunks otherwise) and leaves in one write: one syscall with one buffer instead of a
 * writev of many small ones. Outside a batch, writes go straight to the socket.
 *
 * It must not parse, decide framing or persistence, or read the socket: the Connection does.
 * Split out of connection.ts (issue #14 item 8).
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { ResolvedOptions } from './options.js';
import { OUTPUT, type OutputPhase } from './state.js';

const toBatching = OUTPUT.to('batching');
const toDirect = OUTPUT.to('direct');
const toBlocked = OUTPUT.to('blocked');

/** One connection's output. */
export class OutputBatcher {
  phase: OutputPhase = 'direct';
  /** When a response stuck in a full send buffer times out (`sendTimeoutMs`), or 0. Read by the server's sweep. */
  sendDeadline = 0;
  readonly #socket: Socket;
  readonly #opts: Readonly<ResolvedOptions>;
  /**
   * Byte chunks of the batch, in order; the pending latin1 string comes after them. Made by
   * the first byte chunk batched (a hello-world batch is all latin1) and kept from then on.
   */
  #chunks: Uint8Array[] | null = null;
  /** Latin1 output still being appended to (V8 concatenates cheaply); empty outside a batch. */
  #latin1 = '';
  #bytes = 0;
  #drainWait: Promise<void> | null = null;

  constructor(socket: Socket, opts: Readonly<ResolvedOptions>) {
    this.#socket = socket;
    this.#opts = opts;
  }

  /** Starts collecting: the Connection is about to answer what the parser holds. */
  beginBatch(): void {
    this.phase = toBatching(this.phase);
  }

  /** Writes what the batch collected and goes back to direct writes. */
  endBatch(): void {
    this.flush();
    this.phase = toDirect(this.phase);
  }

  /** Writes bytes; false when the socket's buffer is full (batched or not). */
  write(bytes: Uint8Array): boolean {
    if (this.phase !== 'batching') return this.#socketWrite(bytes);
    this.#takeLatin1();
    (this.#chunks ??= []).push(bytes);
    this.#bytes += bytes.length;
    if (this.#bytes >= this.#opts.maxBufferedBytes) this.flush();
    // Batched, not written yet: still report the socket's backpressure, or a handler that
    // writes in a loop without awaiting would never see false and buffer its whole body.
    return !this.#socket.writableNeedDrain;
  }

  /** Writes a string whose characters are all below U+0100, one byte each. */
  writeLatin1(data: string): boolean {
    if (this.phase !== 'batching') return this.#socketWrite(data);
    this.#latin1 += data;
    this.#bytes += data.length;
    if (this.#bytes >= this.#opts.maxBufferedBytes) this.flush();
    return !this.#socket.writableNeedDrain; // as in write()
  }

  /** Writes what the current batch collected so far (nothing outside a batch). */
  flush(): void {
    const chunks = this.#chunks;
    if (chunks === null || chunks.length === 0) {
      if (this.#latin1.length === 0) return;
      const str = this.#latin1;
      this.#latin1 = '';
      this.#bytes = 0;
      this.#socketWrite(str);
      return;
    }
    this.#takeLatin1();
    const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.#bytes);
    chunks.length = 0;
    this.#bytes = 0;
    this.#socketWrite(data);
  }

  /** Resolves when the socket drains or closes. */
  drain(): Promise<void> {
    const socket = this.#socket;
    if (socket.destroyed || !socket.writableNeedDrain) return Promise.resolve();
    // One shared wait, however many writers ask: no listener pile-up on the socket.
    return (this.#drainWait ??= new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        this.#drainWait = null;
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    }));
  }

  /**
   * The send buffer is full: answer no further pipelined request until it drains (a client
   * that pipelines without reading would make us buffer responses without bound); then
   * `onDrain` runs, back in the direct phase.
   */
  blockUntilDrain(onDrain: () => void): void {
    this.phase = toBlocked(this.phase);
    this.#socket.once('drain', () => {
      this.phase = toDirect(this.phase);
      onDrain();
    });
  }

  /** Moves the pending latin1 string into the chunk list (before a byte chunk is added). */
  #takeLatin1(): void {
    if (this.#latin1.length === 0) return;
    (this.#chunks ??= []).push(Buffer.from(this.#latin1, 'latin1'));
    this.#latin1 = '';
  }

  #socketWrite(data: Uint8Array | string): boolean {
    const socket = this.#socket;
    if (socket.destroyed) return false;
    const ok = typeof data === 'string' ? socket.write(data, 'latin1') : socket.write(data);
    if (!ok && this.sendDeadline === 0 && this.#opts.sendTimeoutMs > 0) {
      this.sendDeadline = this.#opts.clock() + this.#opts.sendTimeoutMs;
      // Listened for only while a deadline runs: an idle connection keeps no closure for it.
      socket.once('drain', () => {
        this.sendDeadline = 0; // the client is reading: progress
      });
    }
    return ok;
  }
}
