/**
 * updateOverlay: pin the digest in an environment's kustomization.yaml and push one commit. The clone is
 * kept per worker process under workDir and reset to the remote branch on every run; runs within a
 * process are serialised. Idempotent: when the overlay already pins the digest there is no commit (a retry
 * after a crash that pushed finds it current). A non-fast-forward push is retried on the fresh remote head.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { FailureType } from '../domain/failures.js';
import type {
  AllowedSignersFile,
  OverlayResult,
  ReadAllowedSignersInput,
  ReadOverlayPinInput,
  UpdateOverlayInput,
} from './contract.js';
import type { Deps } from './deps.js';
import { nonRetryable, retryable } from './failures.js';
import { readOverlayImage, setOverlayImage } from './overlay.js';
import { runProcess, ToolError, type RunResult } from './process.js';
import { toolOutputSays } from './tool-output.js';
import { checkDigest } from './validate.js';

const MAX_PUSH_ATTEMPTS = 5;

export function commitMessage(input: UpdateOverlayInput, previousDigest?: string): string {
  if (input.rollback)
    return [
      `rollback ${input.imageName} in ${input.environment} from ${previousDigest ?? '(no digest)'} to ${input.digest}`,
      '',
      `Image: ${input.newName}${input.newTag ? `:${input.newTag}` : ''}@${input.digest}`,
      ...(previousDigest ? [`Rolled-Back-From: ${previousDigest}`] : []),
      `Rollback-Id: ${input.promotionId}`,
      ...(input.rollback.requestedBy ? [`Requested-By: ${input.rollback.requestedBy}`] : []),
      '',
    ].join('\n');
  return [
    `promote ${input.imageName} to ${input.digest} in ${input.environment}`,
    '',
    `Image: ${input.newName}${input.newTag ? `:${input.newTag}` : ''}@${input.digest}`,
    `Promotion-Id: ${input.promotionId}`,
    '',
  ].join('\n');
}

export function gitopsActivities(d: Deps) {
  const { cfg } = d;
  const repoDir = join(cfg.workDir, `gitops-${process.pid}`);
  let queue: Promise<unknown> = Promise.resolve();

  const env = {
    HOME: cfg.workDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: cfg.gitAuthorName,
    GIT_AUTHOR_EMAIL: cfg.gitAuthorEmail,
    GIT_COMMITTER_NAME: cfg.gitAuthorName,
    GIT_COMMITTER_EMAIL: cfg.gitAuthorEmail,
  };

  async function git(args: string[], cwd = repoDir, check = true): Promise<RunResult> {
    const r = await runProcess({
      bin: cfg.gitBin,
      args,
      env,
      cwd,
      timeoutMs: 120_000,
      redactor: d.redactor,
      label: `git ${args[0]}`,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
    });
    if (check && r.code !== 0)
      throw retryable(new ToolError('git', r, `git ${args.slice(0, 2).join(' ')}`).message);
    return r;
  }

  /** Bring the clone to exactly the remote branch head, discarding anything a crashed run left behind. */
  async function sync(): Promise<void> {
    // A clone left by an earlier process with the same pid may track another repository: start afresh.
    if (existsSync(join(repoDir, '.git'))) {
      const origin = await git(['remote', 'get-url', 'origin'], repoDir, false);
      if (origin.code !== 0 || origin.stdout.trim() !== cfg.gitopsRepoUrl)
        await rm(repoDir, { recursive: true, force: true });
    }
    if (!existsSync(join(repoDir, '.git'))) {
      await mkdir(cfg.workDir, { recursive: true });
      await git(['clone', '--quiet', '--branch', cfg.gitopsBranch, cfg.gitopsRepoUrl, repoDir], cfg.workDir);
    } else {
      await git(['fetch', '--quiet', 'origin', cfg.gitopsBranch]);
    }
    await git(['checkout', '--quiet', '-B', cfg.gitopsBranch, `origin/${cfg.gitopsBranch}`]);
    await git(['reset', '--quiet', '--hard', `origin/${cfg.gitopsBranch}`]);
    await git(['clean', '-fdqx']);
  }

  async function head(): Promise<string> {
    return (await git(['rev-parse', 'HEAD'])).stdout.trim();
  }

  async function update(input: UpdateOverlayInput): Promise<OverlayResult> {
    checkDigest(input.digest);
    const rel = checkedPath(input.overlayPath);
    for (let attempt = 1; ; attempt++) {
      await sync();
      const file = join(repoDir, rel);
      const source = await readFile(file, 'utf8').catch(() => {
        throw nonRetryable(
          FailureType.InvalidInput,
          `${input.overlayPath} does not exist on ${cfg.gitopsBranch} of the GitOps repository`,
        );
      });
      let edit;
      try {
        edit = setOverlayImage(source, {
          name: input.imageName,
          newName: input.newName,
          newTag: input.newTag,
          digest: input.digest,
          dropTag: input.rollback !== undefined,
        });
      } catch (err) {
        throw nonRetryable(FailureType.InvalidInput, `${input.overlayPath}: ${(err as Error).message}`);
      }
      // Only a rollback reports what it replaced (its record says "from"); a promotion's result is unchanged.
      const was = input.rollback && edit.previousDigest ? { previousDigest: edit.previousDigest } : {};
      if (!edit.changed) return { changed: false, commit: await head(), ...was };
      await writeFile(file, edit.text);
      await git(['add', '--', rel]);
      await git(['commit', '--quiet', '-m', commitMessage(input, edit.previousDigest)]);
      const push = await git(
        ['push', '--quiet', 'origin', `HEAD:refs/heads/${cfg.gitopsBranch}`],
        repoDir,
        false,
      );
      if (push.code === 0) return { changed: true, commit: await head(), ...was };
      const raced = toolOutputSays('git', 'push-race', push.stderr);
      if (!raced || attempt >= MAX_PUSH_ATTEMPTS)
        throw retryable(new ToolError('git', push, 'git push').message);
      // Someone pushed in between: start over from their head (the edit may even be done already).
    }
  }

  function checkedPath(path: string, field = 'overlayPath'): string {
    const rel = normalize(path);
    if (isAbsolute(rel) || rel.startsWith('..'))
      throw nonRetryable(FailureType.InvalidInput, `${field} must stay inside the repository: ${path}`);
    return rel;
  }

  /** An approval gate's allowed_signers file at the branch head (serialised with updateOverlay: one clone). */
  async function read(input: ReadAllowedSignersInput): Promise<AllowedSignersFile> {
    const rel = checkedPath(input.path, `${input.environment}: approval.allowedSignersFile`);
    await sync();
    const text = await readFile(join(repoDir, rel), 'utf8').catch(() => {
      throw nonRetryable(
        FailureType.InvalidInput,
        `${input.environment}: approval.allowedSignersFile ${input.path} does not exist on ${cfg.gitopsBranch} of the GitOps repository; commit it (lines "alice ssh-ed25519 AAAA…")`,
      );
    });
    return { path: input.path, text, commit: await head() };
  }

  /** What the overlay pins now, read from the remote branch head (the environment lock's regress check). */
  async function readPin(input: ReadOverlayPinInput): Promise<{ digest?: string }> {
    const rel = checkedPath(input.overlayPath);
    await sync();
    const source = await readFile(join(repoDir, rel), 'utf8').catch(() => {
      throw nonRetryable(
        FailureType.InvalidInput,
        `${input.overlayPath} does not exist on ${cfg.gitopsBranch} of the GitOps repository`,
      );
    });
    let pin;
    try {
      pin = readOverlayImage(source, input.imageName);
    } catch (err) {
      throw nonRetryable(FailureType.InvalidInput, `${input.overlayPath}: ${(err as Error).message}`);
    }
    return typeof pin?.digest === 'string' ? { digest: pin.digest } : {};
  }

  /** One git operation at a time per process: they share the clone. */
  function serialised<I, O>(fn: (i: I) => Promise<O>): (i: I) => Promise<O> {
    return (i) => {
      const run = queue.then(() => fn(i));
      queue = run.catch(() => undefined);
      return run;
    };
  }

  return {
    updateOverlay: serialised(update),
    readOverlayPin: serialised(readPin),
    readAllowedSigners: serialised(read),
  };
}
