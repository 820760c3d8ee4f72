/**
 * Requests the benchmarks send, shared so each is written once.
 *
 * Owns the wire text of the realistic browser request. It must not send, start or measure
 * anything: the scripts that import it do (bench/parser.mjs, bench/idle-memory.mjs).
 */

/** A Chrome 131 navigation request (about 700 bytes), the realistic case; `host` fills the Host field. */
export function browserGet(host = 'www.example.com') {
  return [
    'GET /articles/http-servers-from-scratch?ref=home HTTP/1.1',
    `Host: ${host}`,
    'Connection: keep-alive',
    'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"',
    'sec-ch-ua-mobile: ?0',
    'sec-ch-ua-platform: "Linux"',
    'Upgrade-Insecure-Requests: 1',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8',
    'Sec-Fetch-Site: same-origin',
    'Sec-Fetch-Mode: navigate',
    'Sec-Fetch-Dest: document',
    'Referer: https://www.example.com/',
    'Accept-Encoding: gzip, deflate, br, zstd',
    'Accept-Language: en-US,en;q=0.9',
    'Cookie: sid=8f14e45fceea167a5a36dedd4bea2543; theme=dark',
    '', '',
  ].join('\r\n');
}
