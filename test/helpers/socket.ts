/**
 * The one raw-socket exchange for tests (issue #14 item 9): connect to 127.0.0.1, write
 * request bytes, and collect every byte the server sends until it closes the connection.
 *
 * Owns only the client side of one connection. It does NOT half-close (no FIN from the
 * client): a test that wants the server to close must ask for it (`Connection: close`, an
 * error status, a timeout), so the path under test is the server's own close, not its
 * reaction to the peer's FIN. Pass `halfClose: true` to test that other path on purpose.
 * A reset after the bytes arrived is not an error here: the bytes are what tests judge.
 * Not a test file itself; never uses node:http (the point is the exact bytes).
 */
import net from 'node:net';

/** Longest wait for the server to close: a lost response fails the test instead of hanging the suite. */
export const EXCHANGE_TIMEOUT_MS = 10_000;

/** Options of {@link exchange}. */
export interface ExchangeOptions {
  /** End our side (FIN) after the last write. Default false (see the header). */
  halfClose?: boolean;
  /** Stop reading (and destroy the socket) as soon as the bytes received match this. */
  until?: RegExp;
  /** Fails the exchange when the server has not closed by then. Default EXCHANGE_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** What one exchange received. */
export interface Exchanged {
  /** Every byte received, in order. */
  bytes: Buffer;
  /** The same bytes as a latin1 string (one char per byte), for exact comparisons. */
  text: string;
  /** The client's local port (what the server sees as the remote port). */
  clientPort: number;
}

/**
 * Sends `request` on a fresh connection (a string is sent as latin1, byte for byte; an
 * array is written piece by piece, each after the previous write completed) and resolves
 * with every byte received once the server closes, or once `until` matches.
 */
export function exchange(port: number, request: string | Buffer | ReadonlyArray<string | Buffer>, options: ExchangeOptions = {}): Promise<Exchanged> {
  const pieces = (Array.isArray(request) ? request : [request]) as Array<string | Buffer>;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let received = '';
    let clientPort = 0;
    let isDone = false;
    const finish = (err?: Error): void => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      if (err !== undefined) reject(err);
      else resolve({ bytes, text: bytes.toString('latin1'), clientPort });
    };
    const timer = setTimeout(
      () => finish(new Error(`exchange: no close within ${options.timeoutMs ?? EXCHANGE_TIMEOUT_MS} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`)),
      options.timeoutMs ?? EXCHANGE_TIMEOUT_MS,
    );
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (options.until !== undefined) {
        received += d.toString('latin1');
        if (options.until.test(received)) finish();
      }
    });
    // A reset after connecting is judged by the bytes received; failing to connect is an error.
    socket.on('error', (err) => finish(clientPort === 0 ? err : undefined));
    socket.on('close', () => finish());
    socket.on('connect', async () => {
      clientPort = socket.localPort ?? 0;
      for (const piece of pieces) {
        const bytes = typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece;
        await new Promise<void>((done) => socket.write(bytes, () => done()));
        if (isDone) return;
      }
      if (options.halfClose === true) socket.end();
    });
  });
}
