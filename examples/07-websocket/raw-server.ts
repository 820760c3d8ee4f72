/**
 * Step 7 of the tutorial: a WebSocket echo server on the raw socket API, in one file.
 *
 * Owns the lesson "a WebSocket starts as HTTP and becomes frames": read the
 * request head, answer `101 Switching Protocols` with Sec-WebSocket-Accept
 * (SHA-1 of the client's key and a fixed GUID, base64: RFC 6455 §4.2.2), then
 * read frames from the same socket: two header bytes (FIN, opcode, MASK, a
 * 7-bit length, §5.2), 2 or 8 more bytes for a longer length, the 4-byte
 * masking key (a client's frames are always masked, §5.3), the payload XORed
 * with it. Each message goes back in one unmasked frame (a server never masks).
 *
 * Deliberately NOT a real server: no fragmented messages, no UTF-8 check, no
 * size limit, no ping timer, no close timeout. keel does those; compare
 * server.ts, the same echo on keel's `app.ws()`.
 *
 * Run:  node --import tsx examples/07-websocket/raw-server.ts --port 8080
 * Try:  in a browser's console, `s = new WebSocket('ws://127.0.0.1:8080/'); s.onmessage = (e) => console.log(e.data); s.onopen = () => s.send('hi')`
 */
import { createServer, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';

/** RFC 6455 §1.3: every server appends this GUID to the key before hashing. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const [TEXT, BINARY, CLOSE, PING, PONG] = [0x1, 0x2, 0x8, 0x9, 0xa];

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });

/** One unmasked frame with FIN set: header byte, length (7, 16 or 64 bits), payload (§5.2). */
function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  let head: Buffer;
  if (n < 126) {
    head = Buffer.from([0x80 | opcode, n]);
  } else if (n < 65536) {
    head = Buffer.from([0x80 | opcode, 126, 0, 0]);
    head.writeUInt16BE(n, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Reads every whole frame at the start of `buf` and answers it; returns the bytes of a frame not all here yet. */
function readFrames(socket: Socket, buf: Buffer): Buffer {
  while (buf.length >= 2) {
    const opcode = buf[0] & 0x0f;
    const isMasked = (buf[1] & 0x80) !== 0;
    let length = buf[1] & 0x7f;
    let at = 2;
    if (length === 126) {
      if (buf.length < 4) return buf;
      length = buf.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (buf.length < 10) return buf;
      length = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    if (!isMasked) {
      socket.destroy(); // §5.1: a client's frames must be masked
      return Buffer.alloc(0);
    }
    if (buf.length < at + 4 + length) return buf;
    const key = buf.subarray(at, at + 4);
    const payload = Buffer.from(buf.subarray(at + 4, at + 4 + length));
    for (let i = 0; i < payload.length; i++) payload[i] ^= key[i % 4]; // unmask (§5.3)
    buf = buf.subarray(at + 4 + length);
    console.log(`frame: opcode ${opcode}, ${length} bytes`);
    if (opcode === TEXT || opcode === BINARY) {
      socket.write(frame(opcode, payload)); // the echo
    } else if (opcode === PING) {
      socket.write(frame(PONG, payload));
    } else if (opcode === CLOSE) {
      socket.end(frame(CLOSE, payload.subarray(0, 2))); // answer with the code, then the server closes TCP (§7.1.1)
      return Buffer.alloc(0);
    }
  }
  return buf;
}

const server = createServer((socket) => {
  let buf: Buffer = Buffer.alloc(0);
  let isUpgraded = false;
  socket.on('error', () => {}); // a client leaving early is not our crash
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (!isUpgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      console.log(head.split('\r\n')[0]);
      const key = /\r\nsec-websocket-key:\s*(\S+)/i.exec(head)?.[1];
      if (key === undefined || !/\r\nupgrade:\s*websocket/i.test(head)) {
        return void socket.end('HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      isUpgraded = true;
      buf = buf.subarray(end + 4); // frames may follow the head in the same packet
    }
    buf = readFrames(socket, buf);
  });
});

server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  console.log(`listening on ws://${values.host}:${typeof address === 'object' && address !== null ? address.port : values.port}/`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => process.exit(0)));
