/**
 * Step 6 of the tutorial, part 2: the same request with keel's Client.
 *
 * Owns the lesson "the wire is the same from both sides": keel's Client drives
 * the same sans-IO parser design as the server, from the other end. Framing
 * (Content-Length, chunked, read-until-close), keep-alive, limits, timeouts
 * and malformed responses become the client's job: here two requests share
 * one connection, and the second body is streamed, not buffered.
 *
 * Run:  node --import tsx examples/06-http-client/client.ts --port 8080 --path /
 * (after `npm run build`: it imports keel by its package name, as the other steps)
 */
import { parseArgs } from 'node:util';
import { Client } from 'keel';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, path: { type: 'string', default: '/' } },
});

const client = new Client(`http://${values.host}:${values.port}`);
try {
  const res = await client.request({ path: values.path });
  console.log(`HTTP/${res.version} ${res.status} ${res.reason}`);
  for (let i = 0; i < res.rawHeaders.length; i += 2) console.log(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  console.log();
  process.stdout.write(await res.body.bytes());

  // A second request on the same connection (keep-alive), its body counted as it streams in.
  const again = await client.request({ path: values.path });
  let bytes = 0;
  for await (const chunk of again.body) bytes += (chunk as Buffer).length;
  console.error(`again: ${again.status}, ${bytes} bytes, ${client.connections} connection`);
} catch (err) {
  console.error(`client: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
