/**
 * LinearRouter: the simplest correct router, a list of compiled regular
 * expressions tried one by one. It is the reference the RadixRouter is checked
 * against (the shared conformance suite and a property test run both).
 *
 * Owns nothing but its list. Must not be used where speed matters: matching is
 * O(routes). Priority (static > param > wildcard, segment by segment) is
 * computed by ranking every matching route, not by registration order.
 */
import { ANY_METHOD, buildAllow, expandOptional, parsePattern, type RouteMatch, type Router } from './router.js';

interface LinearRoute<T> {
  method: string;
  pattern: string;
  regex: RegExp;
  /** The regex source, to spot duplicates and same-pattern routes. */
  source: string;
  names: string[];
  /** Rank of each segment: 2 static, 1 param, 0 wildcard (higher wins). */
  ranks: number[];
  handler: T;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compares segment ranks lexicographically; positive when `a` beats `b`. */
function compareRanks(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Method preference inside one pattern: exact 3, HEAD→GET 2, any-method 1, none 0. */
function methodScore(routeMethod: string, method: string): number {
  if (routeMethod === method) return 3;
  if (method === 'HEAD' && routeMethod === 'GET') return 2;
  if (routeMethod === ANY_METHOD) return 1;
  return 0;
}

/**
 * A router that tries every route in turn (reference implementation).
 *
 * @example
 * const r = new LinearRouter<string>();
 * r.add('GET', '/files/*path', 'files');
 */
export class LinearRouter<T> implements Router<T> {
  #routes: LinearRoute<T>[] = [];

  add(method: string, path: string, handler: T): void {
    if (typeof method !== 'string' || method === '') throw new TypeError('route method must be a non-empty string');
    for (const p of expandOptional(path)) {
      const tokens = parsePattern(p);
      let src = '^';
      const names: string[] = [];
      for (const t of tokens) {
        if (t.kind === 'static') src += escapeRegex(t.value);
        else if (t.kind === 'param') {
          src += '([^/]+)';
          names.push(t.name);
        } else {
          src += '(.*)';
          names.push(t.name);
        }
      }
      const ranks = p
        .slice(1)
        .split('/')
        .map((seg) => (seg.startsWith(':') ? 1 : seg.startsWith('*') ? 0 : 2));
      if (this.#routes.some((r) => r.method === method && r.source === src)) {
        throw new TypeError(`duplicate route: ${method} ${p}`);
      }
      this.#routes.push({ method, pattern: p, regex: new RegExp(src + '$'), source: src, names, ranks, handler });
    }
  }

  match(method: string, path: string): RouteMatch<T> {
    let best: { route: LinearRoute<T>; m: RegExpExecArray } | undefined;
    let bestScore = 0;
    const methods = new Set<string>();
    for (const route of this.#routes) {
      const m = route.regex.exec(path);
      if (m === null) continue;
      methods.add(route.method);
      const score = methodScore(route.method, method);
      if (score === 0) continue;
      if (best === undefined) {
        best = { route, m };
        bestScore = score;
        continue;
      }
      const c = compareRanks(route.ranks, best.route.ranks);
      if (c > 0 || (c === 0 && route.ranks.length === best.route.ranks.length && score > bestScore)) {
        best = { route, m };
        bestScore = score;
      }
    }
    if (best === undefined) {
      return { handler: undefined, params: {}, allow: methods.size === 0 ? undefined : buildAllow(methods), isHeadFallback: false };
    }
    const params: Record<string, string> = {};
    best.route.names.forEach((n, i) => (params[n] = best!.m[i + 1]!));
    // Allow lists the methods of routes with the same pattern as the winner, like the radix terminal.
    const allow = buildAllow(this.#routes.filter((r) => r.source === best!.route.source).map((r) => r.method));
    return { handler: best.route.handler, params, allow, isHeadFallback: bestScore === 2 };
  }

  allMethods(): string {
    return buildAllow(this.#routes.map((r) => r.method));
  }
}
