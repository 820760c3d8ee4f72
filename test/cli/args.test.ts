// Tests for src/cli/args.ts, the one argument parser of every `keel` command (#13 item 5): the
// grammar rows a command's own tests do not reach, among them repeatable options (`keel get -H`, #17).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, flagValue, formatUsage, listValue, parseCommandLine, stringValue, type CommandSpec } from '../../src/cli/args.js';

const SPEC: CommandSpec = {
  name: 'test',
  synopsis: 'URL [options]',
  summary: 'a command for tests',
  options: [
    { name: 'header', short: 'H', value: "'K: V'", repeatable: true, help: 'add a field' },
    { name: 'request', short: 'X', value: 'METHOD', help: 'method' },
    { name: 'verbose', short: 'v', help: 'say more' },
  ],
  maxPositionals: 1,
};

describe('parseCommandLine', () => {
  const rows: { name: string; input: string[]; want: { header: readonly string[]; request: string; positionals: string[]; verbose: boolean } }[] = [
    { name: 'a repeatable option keeps every value, in order', input: ['-H', 'A: 1', 'u', '--header', 'B: 2', '--header=C: 3'], want: { header: ['A: 1', 'B: 2', 'C: 3'], request: '-', positionals: ['u'], verbose: false } },
    { name: 'a repeatable option given once is a list of one', input: ['-H', 'A: 1'], want: { header: ['A: 1'], request: '-', positionals: [], verbose: false } },
    { name: 'a repeatable option not given is an empty list', input: ['u'], want: { header: [], request: '-', positionals: ['u'], verbose: false } },
    { name: 'a plain option: the last occurrence wins', input: ['-X', 'PUT', '--request', 'POST', 'u'], want: { header: [], request: 'POST', positionals: ['u'], verbose: false } },
    { name: 'a short option takes the rest of its word as the value (-XPUT, as getopt and curl)', input: ['-XPUT', '-HA: 1'], want: { header: ['A: 1'], request: 'PUT', positionals: [], verbose: false } },
    { name: 'short flags group (-vX PUT)', input: ['-vX', 'PUT', 'u'], want: { header: [], request: 'PUT', positionals: ['u'], verbose: true } },
    { name: 'a group ends at the first letter that takes a value (-vXPUT)', input: ['-vXPUT'], want: { header: [], request: 'PUT', positionals: [], verbose: true } },
    { name: 'after --, everything is positional', input: ['--', '-H'], want: { header: [], request: '-', positionals: ['-H'], verbose: false } },
  ];
  for (const { name, input, want } of rows) {
    test(name, () => {
      const args = parseCommandLine(input, SPEC);
      assert.deepEqual(
        { header: listValue(args, 'header'), request: stringValue(args, 'request', '-'), positionals: args.positionals, verbose: flagValue(args, 'verbose') },
        want,
      );
    });
  }

  const mistakes = [
    { name: 'a repeatable option without a value', input: ['-H'], want: "option -H needs a value ('K: V')" },
    { name: 'an unknown option', input: ['--hedaer', 'x'], want: 'unknown option --hedaer' },
    { name: 'a long option typed with one dash', input: ['-request', 'PUT'], want: 'unknown option -request' },
    { name: 'an unknown letter in a group', input: ['-vz'], want: 'unknown option -z in -vz' },
    { name: 'a group ending in a letter that needs a value, with none after it', input: ['-vX'], want: 'option -X needs a value (METHOD)' },
    { name: 'one positional too many', input: ['a', 'b'], want: 'unexpected argument "b"' },
  ];
  for (const { name, input, want } of mistakes) {
    test(`${name} is a UsageError`, () => {
      assert.throws(() => parseCommandLine(input, SPEC), (err: unknown) => err instanceof UsageError && err.message === want);
    });
  }
});

test('formatUsage says which options are repeatable', () => {
  assert.match(formatUsage(SPEC), /\n  -H, --header 'K: V' +add a field \(repeatable\)\n/);
});
