/**
 * Where the demo's asset directories are on disk.
 *
 * Owns finding `src/demo/public`, `src/demo/files` and `src/demo/cgi-bin`
 * whether the demo runs from source (tsx: this file is src/demo/paths.ts) or
 * compiled (`npm start`: this file is dist/demo/paths.js). Assets are never
 * copied into dist/: they are found from the package root, the nearest
 * directory above this file holding a package.json named "keel".
 * Must not depend on the working directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's name in package.json, used to recognise the package root. */
const PACKAGE_NAME = 'keel';

/** Finds the package root by walking up from `start` (a directory). */
export function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // An unreadable manifest is not ours: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${start}`);
    dir = parent;
  }
}

/** Absolute paths of the demo's asset directories. */
export interface DemoPaths {
  /** The page's image, stylesheet and scripts (test.jpg, style.css, clock.js, favicon.svg). */
  publicDir: string;
  /** The browsable directory served at /files/. */
  filesDir: string;
  /** The CGI scripts served at /cgi-bin/. */
  cgiDir: string;
}

/** The demo's asset directories, found from the package root. */
export function demoPaths(): DemoPaths {
  const root = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  const demo = join(root, 'src', 'demo');
  return { publicDir: join(demo, 'public'), filesDir: join(demo, 'files'), cgiDir: join(demo, 'cgi-bin') };
}
