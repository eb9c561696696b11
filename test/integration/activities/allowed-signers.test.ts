// readAllowedSigners (an approval gate's keys in the GitOps repository) against a private bare repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../src/activities/index.js';
import { activity, offlineConfig } from './helpers.js';

const KEYS =
  '# production approvers\nalice ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0o8E1qz7RV0a4pQzP0NyR3Y9Q6cGkqv3m8hJ2Xk3fW\n';
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();

let bare = '';
before(() => {
  const root = mkdtempSync(join(tmpdir(), 'hp-signers-'));
  bare = join(root, 'gitops.git');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  const seed = join(root, 'seed');
  git(root, 'clone', '--quiet', bare, seed);
  git(seed, 'checkout', '--quiet', '-b', 'main');
  mkdirSync(join(seed, 'approvers'), { recursive: true });
  writeFileSync(join(seed, 'approvers/production'), KEYS);
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'approvers');
  git(seed, 'push', '--quiet', 'origin', 'main');
});

describe('readAllowedSigners', () => {
  it('reads the file at the branch head and names the commit', async () => {
    const acts = createActivities(offlineConfig({ gitopsRepoUrl: bare }));
    const r = await activity(acts.readAllowedSigners, {
      environment: 'production',
      path: 'approvers/production',
    });
    assert.deepEqual(r, { path: 'approvers/production', text: KEYS, commit: git(bare, 'rev-parse', 'main') });
  });

  it('a missing file or a path outside the repository is InvalidInput naming the field and the fix', async () => {
    const acts = createActivities(offlineConfig({ gitopsRepoUrl: bare }));
    for (const [path, re] of [
      [
        'approvers/staging',
        /production: approval\.allowedSignersFile approvers\/staging does not exist on main of the GitOps repository; commit it/,
      ],
      ['../etc/passwd', /must stay inside the repository/],
    ] as const) {
      const err = await activity(acts.readAllowedSigners, { environment: 'production', path }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, 'InvalidInput');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, re);
    }
  });
});
