// A node:test reporter that writes a short human summary at the end of a run: how many tests
// passed, failed and were skipped, the name of every failure, and every skip grouped by its
// reason (a missing tool, PostgreSQL not configured...), with the files it came from.
// scripts/test.mjs runs it beside the standard reporter (whose `# pass N` / `# fail N` lines CI
// reads) and prints its output after the run. It must not change what the tests do.
import { relative } from 'node:path';

/** "test/x.test.ts" for an absolute file path (the runner reports absolute paths). */
const shortFile = (file) => (file === undefined ? '?' : relative(process.cwd(), file));

export default async function* summaryReporter(source) {
  let passed = 0;
  const failed = [];
  /** reason -> { tests, groups, files } */
  const skipped = new Map();
  /** file -> names of the tests started, by nesting level (to name a failure by its path). */
  const started = new Map();
  for await (const event of source) {
    const data = event.data;
    if (event.type === 'test:start') {
      const stack = started.get(data.file) ?? [];
      stack.length = data.nesting;
      stack.push(data.name);
      started.set(data.file, stack);
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const isGroup = data.details?.type === 'suite';
    if (data.skip !== undefined) {
      const reason = data.skip === true ? '(no reason given)' : String(data.skip);
      const entry = skipped.get(reason) ?? { tests: 0, groups: 0, files: new Set() };
      if (isGroup) entry.groups += 1;
      else entry.tests += 1;
      entry.files.add(shortFile(data.file));
      skipped.set(reason, entry);
      continue;
    }
    if (isGroup) continue; // a group's tests are counted one by one
    if (event.type === 'test:pass') {
      passed += 1;
      continue;
    }
    // A parent failing only because a subtest failed is not a failure of its own.
    if (data.details?.error?.failureType === 'subtestsFailed') continue;
    const path = (started.get(data.file) ?? []).slice(0, data.nesting);
    failed.push(`${shortFile(data.file)}: ${[...path, data.name].join(' > ')}`);
  }
  const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  let skippedTests = 0;
  let skippedGroups = 0;
  for (const e of skipped.values()) {
    skippedTests += e.tests;
    skippedGroups += e.groups;
  }
  const lines = ['', '== summary =='];
  lines.push(`passed:  ${count(passed, 'test', 'tests')}`);
  lines.push(`failed:  ${count(failed.length, 'test', 'tests')}`);
  for (const f of failed) lines.push(`  - ${f}`);
  lines.push(`skipped: ${count(skippedTests, 'test', 'tests')} and ${count(skippedGroups, 'group', 'groups')} (a skipped group's tests are not run or counted)`);
  for (const [reason, e] of [...skipped].sort((a, b) => a[0].localeCompare(b[0]))) {
    const what = [e.groups > 0 ? count(e.groups, 'group', 'groups') : '', e.tests > 0 ? count(e.tests, 'test', 'tests') : ''].filter(Boolean).join(' + ');
    lines.push(`  - ${reason}: ${what} in ${[...e.files].sort().join(', ')}`);
  }
  yield lines.join('\n') + '\n';
}
