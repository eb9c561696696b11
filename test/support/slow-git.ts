/**
 * A `git` for the worker (GIT_BIN) whose `push` lands and then takes a few more seconds to return, so a
 * test can kill the worker after the commit reached the GitOps repository but before the activity
 * reported it: the retry must find the overlay current and not commit twice.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../src/worker/config';

export function slowGitAfterPush(seconds = 4): string {
  const real = findExecutable('git');
  if (!real) throw new Error('git is not on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'slow-git-'));
  const file = join(dir, 'git');
  writeFileSync(
    file,
    [
      '#!/bin/sh',
      `"${real}" "$@"`,
      'rc=$?',
      `if [ "$1" = push ]; then sleep ${seconds}; fi`,
      'exit $rc',
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
  return file;
}
