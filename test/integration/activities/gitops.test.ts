// updateOverlay against a private bare repository (same shape as the stack's GitOps repo).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../src/activities/index.js';
import { activity, offlineConfig } from './helpers.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const KUST = `# staging overlay
resources:
  - ../../base
images:
  - name: myservice # pinned by harbor-promote
    newName: 127.0.0.1:8080/platform-dev/myservice
    digest: ${D1}
`;
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
  const root = mkdtempSync(join(tmpdir(), 'hp-gitops-'));
  bare = join(root, 'gitops.git');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  const seed = join(root, 'seed');
  git(root, 'clone', '--quiet', bare, seed);
  git(seed, 'checkout', '--quiet', '-b', 'main');
  mkdirSync(join(seed, 'overlays/staging'), { recursive: true });
  writeFileSync(join(seed, 'overlays/staging/kustomization.yaml'), KUST);
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'init');
  git(seed, 'push', '--quiet', 'origin', 'main');
});

const input = {
  environment: 'staging',
  overlayPath: 'overlays/staging/kustomization.yaml',
  imageName: 'myservice',
  newName: '127.0.0.1:8080/platform-staging/myservice',
  newTag: '1.4.2',
  digest: D2,
  promotionId: 'promo-42',
};

describe('updateOverlay', () => {
  it('commits once, naming digest and promotion; a rerun (or a second worker) makes no commit', async () => {
    const acts = createActivities(offlineConfig({ gitopsRepoUrl: bare }));
    const before = git(bare, 'rev-list', '--count', 'main');
    const r1 = await activity(acts.updateOverlay, input);
    assert.equal(r1.changed, true);
    assert.equal(git(bare, 'rev-parse', 'main'), r1.commit);
    const msg = git(bare, 'log', '-1', '--format=%B', 'main');
    assert.match(msg, new RegExp(D2));
    assert.match(msg, /Promotion-Id: promo-42/);
    const file = git(bare, 'show', 'main:overlays/staging/kustomization.yaml');
    assert.match(file, /# staging overlay/);
    assert.match(file, /- name: myservice # pinned by harbor-promote/);
    assert.match(file, new RegExp(`digest: ${D2}`));
    assert.match(file, /newTag: 1.4.2/);

    const r2 = await activity(acts.updateOverlay, input);
    assert.deepEqual(r2, { changed: false, commit: r1.commit });
    const other = createActivities(offlineConfig({ gitopsRepoUrl: bare })); // a fresh clone elsewhere
    assert.deepEqual(await activity(other.updateOverlay, input), { changed: false, commit: r1.commit });
    assert.equal(Number(git(bare, 'rev-list', '--count', 'main')), Number(before) + 1);
  });

  it('survives a concurrent push (non-fast-forward) by rebasing onto the new head', async () => {
    const a = createActivities(offlineConfig({ gitopsRepoUrl: bare }));
    await activity(a.updateOverlay, { ...input, digest: D1, promotionId: 'warm-up' }); // clone exists now
    // Someone else pushes an unrelated change after our clone was made.
    const other = mkdtempSync(join(tmpdir(), 'hp-other-'));
    git(other, 'clone', '--quiet', bare, 'c');
    writeFileSync(join(other, 'c/README.md'), 'hello\n');
    git(join(other, 'c'), 'add', '.');
    git(join(other, 'c'), 'commit', '--quiet', '-m', 'other');
    git(join(other, 'c'), 'push', '--quiet', 'origin', 'main');
    // Concurrent activities in one worker are serialised; two separate workers race on push.
    const b = createActivities(offlineConfig({ gitopsRepoUrl: bare }));
    const [ra, rb] = await Promise.all([
      activity(a.updateOverlay, { ...input, promotionId: 'p-a' }),
      activity(b.updateOverlay, {
        ...input,
        overlayPath: 'overlays/staging/kustomization.yaml',
        imageName: 'sidecar',
        digest: D1,
        promotionId: 'p-b',
      }),
    ]);
    assert.ok(ra.changed && rb.changed);
    const file = git(bare, 'show', 'main:overlays/staging/kustomization.yaml');
    assert.match(file, new RegExp(`name: myservice[^]*digest: ${D2}`));
    assert.match(file, /name: sidecar/);
    assert.equal(git(bare, 'show', 'main:README.md'), 'hello');
  });

  it('a clone left by an earlier process with the same pid, of another repository, is replaced', async () => {
    // Found in CI: worker pids repeat, the default work directory is shared, and the stale clone's origin
    // (another run's repository, since deleted) made every fetch fail until the promotion timed out.
    const workDir = mkdtempSync(join(tmpdir(), 'hp-gitops-work-'));
    const stale = join(workDir, `gitops-${process.pid}`);
    git(workDir, 'clone', '--quiet', bare, stale);
    git(stale, 'remote', 'set-url', 'origin', join(workDir, 'gone.git'));
    const acts = createActivities(offlineConfig({ gitopsRepoUrl: bare, workDir }));
    const r = await activity(acts.updateOverlay, { ...input, digest: 'sha256:' + '3'.repeat(64) });
    assert.equal(r.changed, true);
    assert.equal(git(stale, 'remote', 'get-url', 'origin'), bare);
  });

  it('a missing overlay file is InvalidInput', async () => {
    const acts = createActivities(offlineConfig({ gitopsRepoUrl: bare }));
    await assert.rejects(
      activity(acts.updateOverlay, { ...input, overlayPath: 'overlays/nope/kustomization.yaml' }),
      (e) => e instanceof ApplicationFailure && e.type === 'InvalidInput',
    );
    await assert.rejects(
      activity(acts.updateOverlay, { ...input, overlayPath: '../etc/passwd' }),
      (e) => e instanceof ApplicationFailure && e.type === 'InvalidInput',
    );
  });
});
