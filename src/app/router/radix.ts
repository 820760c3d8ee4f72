/**
 * RadixRouter: a compressed prefix tree (radix tree) router, the App's default.
 *
 * Owns the tree and its matching. Must not allocate on the hot path when it can
 * avoid it: fully static routes are also kept in a Map and their match results
 * are precomputed per method, so a static hit costs one Map lookup.
 *
 * Theory of operation. Static text is stored in nodes whose `prefix` is the
 * longest text shared by their subtree (split on insert). A node may also have
 * one `param` child (matches one non-empty segment, up to the next "/"), one
 * `wildcard` terminal (the rest of the path, possibly empty) and a `route`
 * terminal (the path ends here). Matching is a depth-first search that tries, at
 * each node, static children first, then the param child, then the wildcard,
 * and backtracks on failure: that gives the priority static > param > wildcard
 * segment by segment. A terminal holds the handlers by method; the first
 * terminal in search order with a handler for the method wins. When none has
 * one, a second search collects the methods of every terminal the path
 * reaches, for the 405 `Allow` value (RFC 9110 §15.5.6).
 */
import { ANY_METHOD, buildAllow, expandOptional, parsePattern, type RouteMatch, type Router } from './router.js';

interface Entry<T> {
  handler: T;
  /** Param names in the order their values are captured. */
  names: readonly string[];
}

class Terminal<T> {
  readonly methods = new Map<string, Entry<T>>();
  allow = '';
  /** Precomputed results for static terminals, by request method. */
  readonly cache = new Map<string, RouteMatch<T>>();
}

class Node<T> {
  prefix: string;
  children: Node<T>[] = [];
  /** First char codes of `children`, same order (small fan-out: a linear scan beats a Map). */
  labels: number[] = [];
  param: Node<T> | null = null;
  wildcard: Terminal<T> | null = null;
  route: Terminal<T> | null = null;
  constructor(prefix: string) {
    this.prefix = prefix;
  }
}

const EMPTY_PARAMS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Picks the handler of a terminal for a method: exact, then HEAD→GET, then
 * any-method. Returns the entry; `headFallback[0]` says whether HEAD→GET was
 * used (an out-parameter, so the hot path allocates nothing).
 */
function pick<T>(t: Terminal<T>, method: string, headFallback: boolean[]): Entry<T> | undefined {
  const methods = t.methods;
  const exact = methods.get(method);
  headFallback[0] = false;
  if (exact !== undefined) return exact;
  if (method === 'HEAD') {
    // RFC 9110 §9.3.2: HEAD is GET without the content; a GET route answers it.
    const get = methods.get('GET');
    if (get !== undefined) {
      headFallback[0] = true;
      return get;
    }
  }
  return methods.get(ANY_METHOD);
}

/**
 * A radix-tree router.
 *
 * @example
 * const r = new RadixRouter<string>();
 * r.add('GET', '/users/:id', 'user');
 * r.match('GET', '/users/42'); // { handler: 'user', params: { id: '42' }, ... }
 */
export class RadixRouter<T> implements Router<T> {
  #root = new Node<T>('');
  #static = new Map<string, Terminal<T>>();
  #methods = new Set<string>();
  /** Scratch slots for captured values, by depth; match() is synchronous so one per router is enough. */
  #values: string[] = [];
  /** Out-parameters of #find and pick (match() is synchronous). */
  #entry: Entry<T> | undefined;
  #terminal: Terminal<T> | undefined;
  #flag: boolean[] = [false];

  add(method: string, path: string, handler: T): void {
    if (typeof method !== 'string' || method === '') throw new TypeError('route method must be a non-empty string');
    for (const p of expandOptional(path)) this.#addOne(method, p, handler);
    this.#methods.add(method);
  }

  #addOne(method: string, path: string, handler: T): void {
    const tokens = parsePattern(path);
    let node = this.#root;
    const names: string[] = [];
    let terminal: Terminal<T> | undefined;
    for (const tok of tokens) {
      if (tok.kind === 'static') node = this.#insertStatic(node, tok.value);
      else if (tok.kind === 'param') {
        node.param ??= new Node<T>('');
        node = node.param;
        names.push(tok.name);
      } else {
        node.wildcard ??= new Terminal<T>();
        terminal = node.wildcard;
        names.push(tok.name);
      }
    }
    if (terminal === undefined) {
      node.route ??= new Terminal<T>();
      terminal = node.route;
    }
    if (terminal.methods.has(method)) throw new TypeError(`duplicate route: ${method} ${path}`);
    terminal.methods.set(method, { handler, names });
    terminal.allow = buildAllow(terminal.methods.keys());
    terminal.cache.clear();
    if (names.length === 0) this.#static.set(path, terminal);
  }

  #insertStatic(node: Node<T>, text: string): Node<T> {
    while (text !== '') {
      const c = text.charCodeAt(0);
      const idx = node.labels.indexOf(c);
      if (idx < 0) {
        const child = new Node<T>(text);
        node.children.push(child);
        node.labels.push(c);
        return child;
      }
      let child = node.children[idx]!;
      const p = child.prefix;
      let l = 0;
      const max = Math.min(p.length, text.length);
      while (l < max && p.charCodeAt(l) === text.charCodeAt(l)) l++;
      if (l < p.length) {
        // Split: the shared part becomes a new node above the old child.
        const mid = new Node<T>(p.slice(0, l));
        child.prefix = p.slice(l);
        mid.children.push(child);
        mid.labels.push(child.prefix.charCodeAt(0));
        node.children[idx] = mid;
        child = mid;
      }
      node = child;
      text = text.slice(l);
    }
    return node;
  }

  match(method: string, path: string): RouteMatch<T> {
    const flag = this.#flag;
    const st = this.#static.get(path);
    if (st !== undefined) {
      const cached = st.cache.get(method);
      if (cached !== undefined) return cached;
      const entry = pick(st, method, flag);
      if (entry !== undefined) {
        const m: RouteMatch<T> = { handler: entry.handler, params: EMPTY_PARAMS, allow: st.allow, isHeadFallback: flag[0]! };
        st.cache.set(method, m);
        return m;
      }
    }
    const values = this.#values;
    if (this.#find(this.#root, path, 0, method, 0)) {
      const entry = this.#entry!;
      const terminal = this.#terminal!;
      this.#entry = undefined;
      this.#terminal = undefined;
      const names = entry.names;
      let params = EMPTY_PARAMS;
      if (names.length > 0) {
        params = {};
        for (let k = 0; k < names.length; k++) params[names[k]!] = values[k]!;
      }
      return { handler: entry.handler, params, allow: terminal.allow, isHeadFallback: flag[0]! };
    }
    const methods = new Set<string>();
    this.#collect(this.#root, path, 0, methods);
    return { handler: undefined, params: EMPTY_PARAMS, allow: methods.size === 0 ? undefined : buildAllow(methods), isHeadFallback: false };
  }

  /**
   * Depth-first search for the first terminal with a handler for `method`.
   * On success it leaves the result in #entry/#terminal/#flag (no allocation).
   */
  #find(node: Node<T>, path: string, i: number, method: string, depth: number): boolean {
    const len = path.length;
    if (i === len && node.route !== null) {
      const e = pick(node.route, method, this.#flag);
      if (e !== undefined) {
        this.#entry = e;
        this.#terminal = node.route;
        return true;
      }
    }
    if (i < len) {
      const idx = node.labels.indexOf(path.charCodeAt(i));
      if (idx >= 0) {
        const child = node.children[idx]!;
        const pre = child.prefix;
        const end = i + pre.length;
        if (end <= len) {
          // The first char matched via labels; compare the rest by hand (faster than startsWith for short prefixes).
          let k = 1;
          while (k < pre.length && path.charCodeAt(i + k) === pre.charCodeAt(k)) k++;
          if (k === pre.length && this.#find(child, path, end, method, depth)) return true;
        }
      }
      const param = node.param;
      if (param !== null) {
        let j = path.indexOf('/', i);
        if (j < 0) j = len;
        if (j > i) {
          // Captured values are written by depth; later slots are simply overwritten on backtrack.
          this.#values[depth] = path.slice(i, j);
          if (this.#find(param, path, j, method, depth + 1)) return true;
        }
      }
    }
    const wild = node.wildcard;
    if (wild !== null) {
      const e = pick(wild, method, this.#flag);
      if (e !== undefined) {
        this.#values[depth] = path.slice(i);
        this.#entry = e;
        this.#terminal = wild;
        return true;
      }
    }
    return false;
  }

  /** Collects the methods of every terminal that `path` reaches (for `Allow`). */
  #collect(node: Node<T>, path: string, i: number, out: Set<string>): void {
    const len = path.length;
    if (i === len && node.route !== null) for (const m of node.route.methods.keys()) out.add(m);
    if (i < len) {
      const idx = node.labels.indexOf(path.charCodeAt(i));
      if (idx >= 0) {
        const child = node.children[idx]!;
        if (path.startsWith(child.prefix, i)) this.#collect(child, path, i + child.prefix.length, out);
      }
      if (node.param !== null) {
        let j = path.indexOf('/', i);
        if (j < 0) j = len;
        if (j > i) this.#collect(node.param, path, j, out);
      }
    }
    if (node.wildcard !== null) for (const m of node.wildcard.methods.keys()) out.add(m);
  }

  allMethods(): string {
    return buildAllow(this.#methods);
  }
}
