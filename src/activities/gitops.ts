/**
 * updateOverlay: pin the digest in an environment's kustomization.yaml and push one commit. The clone is
 * kept per worker process under workDir and reset to the remote branch on every run; runs within a
 * process are serialised. Idempotent: when the overlay already pins the digest there is no commit (a retry
 * after a crash that pushed finds it current). A non-fast-forward push is retried on the fresh remote head.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { FailureType } from '../domain/failures.js';
import type {
  AllowedSignersFile,
  OverlayResult,
  ReadAllowedSignersInput,
  UpdateOverlayInput,
} from './contract.js';
import type { Deps } from './deps.js';
import { nonRetryable, retryable } from './failures.js';
import { setOverlayImage } from './overlay.js';
import { runProcess, ToolError, type RunResult } from './process.js';
import { toolOutputSays } from './tool-output.js';
import { checkDigest } from './validate.js';

const MAX_PUSH_ATTEMPTS = 5;

export function commitMessage(input: UpdateOverlayInput): string {
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
    const rel = normalize(input.overlayPath);
    if (isAbsolute(rel) || rel.startsWith('..'))
      throw nonRetryable(
        FailureType.InvalidInput,
        `overlayPath must stay inside the repository: ${input.overlayPath}`,
      );
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
        });
      } catch (err) {
        throw nonRetryable(FailureType.InvalidInput, `${input.overlayPath}: ${(err as Error).message}`);
      }
      if (!edit.changed) return { changed: false, commit: await head() };
      await writeFile(file, edit.text);
      await git(['add', '--', rel]);
      await git(['commit', '--quiet', '-m', commitMessage(input)]);
      const push = await git(
        ['push', '--quiet', 'origin', `HEAD:refs/heads/${cfg.gitopsBranch}`],
        repoDir,
        false,
      );
      if (push.code === 0) return { changed: true, commit: await head() };
      const raced = toolOutputSays('git', 'push-race', push.stderr);
      if (!raced || attempt >= MAX_PUSH_ATTEMPTS)
        throw retryable(new ToolError('git', push, 'git push').message);
      // Someone pushed in between: start over from their head (the edit may even be done already).
    }
  }

  function updateOverlay(input: UpdateOverlayInput): Promise<OverlayResult> {
    const run = queue.then(() => update(input));
    queue = run.catch(() => undefined);
    return run;
  }

  /** An approval gate's allowed_signers file at the branch head (serialised with updateOverlay: one clone). */
  async function read(input: ReadAllowedSignersInput): Promise<AllowedSignersFile> {
    const rel = normalize(input.path);
    if (isAbsolute(rel) || rel.startsWith('..'))
      throw nonRetryable(
        FailureType.InvalidInput,
        `${input.environment}: approval.allowedSignersFile must stay inside the repository: ${input.path}`,
      );
    await sync();
    const text = await readFile(join(repoDir, rel), 'utf8').catch(() => {
      throw nonRetryable(
        FailureType.InvalidInput,
        `${input.environment}: approval.allowedSignersFile ${input.path} does not exist on ${cfg.gitopsBranch} of the GitOps repository; commit it (lines "alice ssh-ed25519 AAAA…")`,
      );
    });
    return { path: input.path, text, commit: await head() };
  }

  function readAllowedSigners(input: ReadAllowedSignersInput): Promise<AllowedSignersFile> {
    const run = queue.then(() => read(input));
    queue = run.catch(() => undefined);
    return run;
  }

  return { updateOverlay, readAllowedSigners };
}
