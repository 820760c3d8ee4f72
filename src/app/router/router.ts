/**
 * The Router interface every router implementation provides, the path pattern
 * syntax they share, and the TypeScript inference of params from a path string.
 *
 * Owns: `Router`, `RouteMatch`, `parsePattern` (pattern syntax and its errors),
 * `expandOptional`, `buildAllow` and the `PathParams<P>` type.
 * Must not: know about Context, middleware or responses; the App turns a match
 * into 404/405/OPTIONS. Implementations live beside this file (radix.ts,
 * linear.ts) and all pass test/app/router/conformance.ts (STYLE.md rule 8).
 *
 * Pattern syntax (matched against the still percent-encoded path, case-sensitive,
 * trailing slash significant):
 * - `/users` static segment.
 * - `/users/:id` a named param: one whole, non-empty segment.
 * - `/users/:id?` an optional param: the route also matches without that segment.
 * - `/files/*` or `/files/*path` a wildcard: the rest of the path, possibly empty;
 *   only as the last segment; its value is `params['*']` or `params.path`.
 */

/** Methods for which the App registers handlers by name. */
export const STANDARD_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** The pseudo-method of routes added with `app.all()`: it matches any method. */
export const ANY_METHOD = '*';

/** The result of `Router.match`. */
export interface RouteMatch<T> {
  /** The handler for this method, or undefined (404 or 405). */
  handler: T | undefined;
  /** Param values (still percent-encoded, as in the path), by name. */
  params: Record<string, string>;
  /**
   * When the path matches some route: the methods it accepts, as an `Allow`
   * value (RFC 9110 §10.2.1), including HEAD when GET exists and OPTIONS.
   * Undefined when no route matches the path at all (404). When `handler` is
   * set this may be left undefined by implementations for speed.
   */
  allow: string | undefined;
  /** True when the handler was found through the automatic HEAD-for-GET rule. */
  isHeadFallback: boolean;
}

/**
 * A router: `add` routes, then `match` a method and path. Matching rules
 * (priority static > param > wildcard, segment by segment; HEAD falls back to
 * GET; `*` method matches any method; an exact method beats `*`) are pinned
 * by the shared conformance suite.
 */
export interface Router<T> {
  /** Adds a route. Throws TypeError on a bad pattern or a duplicate (method, pattern). */
  add(method: string, path: string, handler: T): void;
  /** Finds the handler for a method and path. Never throws. */
  match(method: string, path: string): RouteMatch<T>;
  /** Every method registered on any route, as an `Allow` value for `OPTIONS *`. */
  allMethods(): string;
}

/** One token of a parsed pattern. */
export type PatternToken =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'wildcard'; name: string };

// A JavaScript identifier, but not `__proto__`: params live in a plain object.
const PARAM_NAME = /^(?!__proto__$)[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Splits a pattern (without optional markers; see `expandOptional`) into tokens.
 * Adjacent static text is merged, e.g. `/a/:b/c` → static `/a/`, param b, static `/c`.
 */
export function parsePattern(path: string): PatternToken[] {
  if (typeof path !== 'string' || path[0] !== '/') throw new TypeError(`route path must start with "/": ${String(path)}`);
  const tokens: PatternToken[] = [];
  const names = new Set<string>();
  const segments = path.slice(1).split('/');
  let text = '/';
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    const isLast = s === segments.length - 1;
    if (seg.startsWith(':')) {
      const name = seg.slice(1);
      if (!PARAM_NAME.test(name)) throw new TypeError(`bad param name in route ${path}: "${seg}"`);
      if (names.has(name)) throw new TypeError(`duplicate param name in route ${path}: "${name}"`);
      names.add(name);
      tokens.push({ kind: 'static', value: text });
      tokens.push({ kind: 'param', name });
      text = '';
    } else if (seg.startsWith('*')) {
      if (!isLast) throw new TypeError(`wildcard must be the last segment in route ${path}`);
      const name = seg.length === 1 ? '*' : seg.slice(1);
      if (name !== '*' && !PARAM_NAME.test(name)) throw new TypeError(`bad wildcard name in route ${path}: "${seg}"`);
      if (names.has(name)) throw new TypeError(`duplicate param name in route ${path}: "${name}"`);
      tokens.push({ kind: 'static', value: text });
      tokens.push({ kind: 'wildcard', name });
      text = '';
    } else {
      if (seg.includes(':') || seg.includes('*') || seg.includes('?')) {
        throw new TypeError(`":", "*" and "?" are only allowed at the start of a segment (or "?" after a param) in route ${path}`);
      }
      text += seg;
    }
    if (!isLast) text += '/';
  }
  if (text !== '') tokens.push({ kind: 'static', value: text });
  return tokens.filter((t) => t.kind !== 'static' || t.value !== '');
}

/**
 * Expands optional params into the plain patterns they stand for:
 * `/a/:b?/c` → [`/a/:b/c`, `/a/c`]. A pattern with no optional param is returned alone.
 */
export function expandOptional(path: string): string[] {
  if (!path.includes('?')) return [path];
  const segs = path.split('/');
  let out: string[][] = [[]];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (i > 0 && seg.startsWith(':') && seg.endsWith('?')) {
      const plain = seg.slice(0, -1);
      out = out.flatMap((p) => [[...p, plain], p]);
    } else {
      for (const p of out) p.push(seg);
    }
  }
  return out.map((p) => {
    const s = p.join('/');
    return s === '' ? '/' : s;
  });
}

/**
 * The `Allow` value for a set of registered methods (RFC 9110 §10.2.1): the
 * registered methods in a canonical order, HEAD when GET is there (§9.3.2), and OPTIONS (answered
 * automatically). A route for any method (`*`) allows every standard method.
 */
export function buildAllow(methods: Iterable<string>): string {
  const set = new Set<string>();
  for (const m of methods) {
    if (m === ANY_METHOD) for (const s of STANDARD_METHODS) set.add(s);
    else set.add(m);
  }
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  // A canonical order (standard methods first, then others sorted) so that the
  // value does not depend on registration or search order.
  const out: string[] = STANDARD_METHODS.filter((m) => set.has(m));
  const rest = [...set].filter((m) => !(STANDARD_METHODS as readonly string[]).includes(m)).sort();
  return out.concat(rest).join(', ');
}

// ---------------------------------------------------------------------------
// Param types inferred from the path string.

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type SegmentParam<S extends string> = S extends `:${infer Name}?`
  ? { [K in Name]?: string }
  : S extends `:${infer Name}`
    ? { [K in Name]: string }
    : S extends '*'
      ? { '*': string }
      : S extends `*${infer Name}`
        ? { [K in Name]: string }
        : {};

type ParamsOf<P extends string> = P extends `${infer Head}/${infer Rest}`
  ? SegmentParam<Head> & ParamsOf<Rest>
  : SegmentParam<P>;

/**
 * The params object type of a route path.
 *
 * @example
 * type P = PathParams<'/users/:id/files/*rest'>; // { id: string; rest: string }
 */
export type PathParams<P extends string> = string extends P ? Record<string, string> : Simplify<ParamsOf<P>>;
