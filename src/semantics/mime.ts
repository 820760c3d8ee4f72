/**
 * The media-type table of the static handler: file extension in, Content-Type out.
 *
 * Owns our own extension table (no npm `mime` dependency: the core has none) and the
 * rule that textual types carry `charset=utf-8`, so a browser never has to sniff or
 * guess an encoding (RFC 9110 §8.3). It also says which types are worth compressing,
 * for the static handler and the App's compress() alike (hence src/semantics/, issue #16).
 * It must not touch the file system or look at file contents: the type comes from the
 * name only, and unknown names are `application/octet-stream` (RFC 9110 §8.3: a
 * sender that does not know the type should not invent one; with `nosniff` the
 * browser then downloads instead of guessing).
 */

/** Content-Type for names with no known extension (RFC 2046 §4.5.1). */
export const DEFAULT_MIME_TYPE = 'application/octet-stream';

const UTF8 = '; charset=utf-8';

/**
 * Extension (lower case, no dot) to media type, without parameters.
 * JavaScript is `text/javascript` (RFC 9239 §6); `.mjs` too, or browsers refuse modules.
 */
const TABLE: ReadonlyMap<string, string> = new Map([
  // Text and markup
  ['html', 'text/html'],
  ['htm', 'text/html'],
  ['shtml', 'text/html'],
  ['css', 'text/css'],
  ['js', 'text/javascript'],
  ['mjs', 'text/javascript'],
  ['cjs', 'text/javascript'],
  ['txt', 'text/plain'],
  ['text', 'text/plain'],
  ['log', 'text/plain'],
  ['conf', 'text/plain'],
  ['ini', 'text/plain'],
  ['md', 'text/markdown'],
  ['markdown', 'text/markdown'],
  ['csv', 'text/csv'],
  ['tsv', 'text/tab-separated-values'],
  ['ics', 'text/calendar'],
  ['vtt', 'text/vtt'],
  ['xml', 'application/xml'],
  ['xsl', 'application/xml'],
  ['xhtml', 'application/xhtml+xml'],
  ['rss', 'application/rss+xml'],
  ['atom', 'application/atom+xml'],
  ['json', 'application/json'],
  ['map', 'application/json'],
  ['jsonld', 'application/ld+json'],
  ['webmanifest', 'application/manifest+json'],
  ['yaml', 'application/yaml'],
  ['yml', 'application/yaml'],
  ['toml', 'application/toml'],
  // Source code shown as text rather than downloaded
  ['ts', 'text/plain'],
  ['py', 'text/x-python'],
  ['sh', 'text/x-shellscript'],
  ['c', 'text/x-c'],
  ['h', 'text/x-c'],
  // Images
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['avif', 'image/avif'],
  ['svg', 'image/svg+xml'],
  ['ico', 'image/vnd.microsoft.icon'],
  ['bmp', 'image/bmp'],
  ['tif', 'image/tiff'],
  ['tiff', 'image/tiff'],
  // Fonts
  ['woff', 'font/woff'],
  ['woff2', 'font/woff2'],
  ['ttf', 'font/ttf'],
  ['otf', 'font/otf'],
  ['eot', 'application/vnd.ms-fontobject'],
  // Audio and video
  ['mp3', 'audio/mpeg'],
  ['ogg', 'audio/ogg'],
  ['oga', 'audio/ogg'],
  ['opus', 'audio/opus'],
  ['wav', 'audio/wav'],
  ['flac', 'audio/flac'],
  ['m4a', 'audio/mp4'],
  ['aac', 'audio/aac'],
  ['mp4', 'video/mp4'],
  ['m4v', 'video/mp4'],
  ['webm', 'video/webm'],
  ['ogv', 'video/ogg'],
  ['mov', 'video/quicktime'],
  ['mkv', 'video/x-matroska'],
  // Documents and archives
  ['pdf', 'application/pdf'],
  ['wasm', 'application/wasm'],
  ['zip', 'application/zip'],
  ['gz', 'application/gzip'],
  ['tgz', 'application/gzip'],
  ['br', 'application/octet-stream'],
  ['tar', 'application/x-tar'],
  ['bz2', 'application/x-bzip2'],
  ['xz', 'application/x-xz'],
  ['7z', 'application/x-7z-compressed'],
  ['epub', 'application/epub+zip'],
  ['doc', 'application/msword'],
  ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  ['odt', 'application/vnd.oasis.opendocument.text'],
  ['rtf', 'application/rtf'],
  ['sqlite', 'application/vnd.sqlite3'],
]);

/** Media types (besides `text/*`) whose content is text and so gets `charset=utf-8`. */
const TEXTUAL: ReadonlySet<string> = new Set([
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/json',
  'application/ld+json',
  'application/manifest+json',
  'application/yaml',
  'application/toml',
  'image/svg+xml',
]);

/** Types that are not textual but still shrink well under gzip/brotli. */
const COMPRESSIBLE_BINARY: ReadonlySet<string> = new Set([
  'application/wasm',
  'image/bmp',
  'image/tiff',
  'image/vnd.microsoft.icon',
  'font/ttf',
  'font/otf',
  'application/vnd.ms-fontobject',
  'application/rtf',
  'application/x-tar',
]);

/** The lower-cased extension of a file name ("" when none; dotfiles like ".bashrc" have none). */
export function extensionOf(fileName: string): string {
  const slash = fileName.lastIndexOf('/');
  const base = slash >= 0 ? fileName.slice(slash + 1) : fileName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** True when a bare media type (no parameters) carries text. */
function isTextual(type: string): boolean {
  return type.startsWith('text/') || TEXTUAL.has(type);
}

/**
 * The Content-Type for a file name, with `; charset=utf-8` on textual types.
 *
 * @example
 * mimeType('index.html'); // 'text/html; charset=utf-8'
 * mimeType('photo.JPG'); // 'image/jpeg'
 * mimeType('README'); // 'application/octet-stream'
 */
export function mimeType(fileName: string): string {
  const type = TABLE.get(extensionOf(fileName));
  if (type === undefined) return DEFAULT_MIME_TYPE;
  return isTextual(type) ? type + UTF8 : type;
}

/**
 * True when a Content-Type (parameters allowed) is worth compressing on the fly.
 *
 * Already-compressed formats (JPEG, PNG, WOFF2, MP4, ZIP...) only burn CPU and can
 * even grow, so they are excluded.
 */
export function isCompressible(contentType: string): boolean {
  const semi = contentType.indexOf(';');
  const type = (semi >= 0 ? contentType.slice(0, semi) : contentType).trim().toLowerCase();
  return isTextual(type) || type.endsWith('+json') || type.endsWith('+xml') || COMPRESSIBLE_BINARY.has(type);
}
