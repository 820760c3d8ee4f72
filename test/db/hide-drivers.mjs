// A module hook for child processes in tests: makes `better-sqlite3` and `pg` look uninstalled,
// failing their resolution exactly as Node does for a missing package (ERR_MODULE_NOT_FOUND,
// "Cannot find package 'NAME' imported from ..."). Use: node --import ./test/db/hide-drivers.mjs ...
import { register } from 'node:module';

const HOOK = `
const HIDDEN = new Set(['better-sqlite3', 'pg']);
export async function resolve(specifier, context, next) {
  if (HIDDEN.has(specifier)) {
    const err = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
