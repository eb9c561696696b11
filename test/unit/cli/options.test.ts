/**
 * Every command parses its options with zod (src/cli/options.ts + its schema): a bad value is one usage
 * line naming the flag, exit 2, before anything connects (TEMPORAL_ADDRESS points at nothing here).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../../src/cli/exit-codes';
import { runCli } from '../../../src/cli/program';

async function cli(args: string[]) {
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    env: { TEMPORAL_ADDRESS: '127.0.0.1:1' },
  });
  return { code, stderr: stderr.trim() };
}

const CASES: [string[], RegExp][] = [
  [['watch', 'x', '--interval', '0'], /^harbor-promote: --interval "0" is not a positive number of seconds$/],
  [
    ['watch', 'x', '--timeout', 'soon'],
    /^harbor-promote: --timeout "soon" is not a positive number of seconds$/,
  ],
  [['list', '--limit', '2.5'], /^harbor-promote: --limit "2\.5" is not a positive integer$/],
  [['list', '--repository', 'My/App'], /^harbor-promote: --repository .*upper case/],
  [
    ['approve', 'x', '--env', 'production', '--as', 'al ice'],
    /^harbor-promote: --as "al ice" is not a user name/,
  ],
  [['reject', 'x', '--env', 'production', '--as', 'alice', '--reason', '  '], /--reason is empty/],
  [
    ['report', 'x', '--env', 'staging', '--failed', '--url', 'ci/42'],
    /--url "ci\/42" is not an http\(s\) URL/,
  ],
  [['cancel', ' '], /^harbor-promote: ID is empty; give the promotion id printed by `start`/],
  [['record', ''], /^harbor-promote: ID is empty/],
  [['status', ''], /^harbor-promote: ID is empty/],
];

describe('command options (zod)', () => {
  for (const [args, want] of CASES)
    it(args.join(' '), async () => {
      const r = await cli(args);
      assert.equal(r.code, ExitCode.USAGE, r.stderr);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.split('\n').length, 1, r.stderr);
    });
});
