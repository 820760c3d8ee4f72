/**
 * Loading the optional database driver packages (`better-sqlite3`, `pg`).
 *
 * Owns `DbDriverMissingError` and `loadDriver()`, the one place that turns
 * "the driver package is not installed" into an error naming the package to
 * install. The drivers are optional peer dependencies of keel (issue #13 item
 * 2): a library user who never opens a database installs neither, and one who
 * does installs only the engine they use. Must not import a driver itself
 * (callers pass the `import()` so TypeScript keeps the driver's types) and
 * imports nothing outside db/.
 */
import type { Dialect } from './types.js';

/** The npm package that implements each engine. */
export const DRIVER_PACKAGES: { readonly [D in Dialect]: string } = { sqlite: 'better-sqlite3', postgres: 'pg' };

/**
 * The driver package a database needs is not installed.
 * `code` is `ERR_DB_DRIVER_MISSING`; `packageName` is what to `npm install`. It has no
 * HTTP status: it is a deployment error, raised when the database is opened (at start).
 */
export class DbDriverMissingError extends Error {
  readonly code = 'ERR_DB_DRIVER_MISSING';
  /** The package to install, e.g. `better-sqlite3`. */
  readonly packageName: string;

  constructor(dialect: Dialect, options?: ErrorOptions) {
    const name = DRIVER_PACKAGES[dialect];
    const engine = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    super(`${engine} needs the package ${name}, which is not installed: run \`npm install ${name}\``, options);
    this.name = 'DbDriverMissingError';
    this.packageName = name;
  }
}

/** True when `err` says the package `name` itself (not something it imports) cannot be found. */
function isMissingPackage(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return false;
  // Node: "Cannot find package 'pg' imported from ..." (ESM) / "Cannot find module 'pg'" (CJS).
  // A missing dependency of the driver names that dependency instead, and is rethrown as is.
  return typeof e.message === 'string' && (e.message.includes(`package '${name}'`) || e.message.includes(`module '${name}'`));
}

/**
 * Runs `load` (an `import()` of the dialect's driver package) and returns the module;
 * a missing package becomes `DbDriverMissingError`, any other failure is rethrown unchanged.
 */
export async function loadDriver<T>(dialect: Dialect, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isMissingPackage(err, DRIVER_PACKAGES[dialect])) throw new DbDriverMissingError(dialect, { cause: err });
    throw err;
  }
}
