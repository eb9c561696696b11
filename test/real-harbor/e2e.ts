/**
 * What the real-Harbor CLI end-to-end tests share: the stack's environment with a private task queue, a
 * worker process, the `harbor-promote` bin, pipelines written to a scratch directory, and readers that look
 * at the end state from outside — Harbor's REST API and registry as admin over HTTP, and `git log` of the
 * GitOps repository. Not a test file (no `.test.ts`): scripts/test-real-harbor.sh runs the files using it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  REPO_ROOT,
  runCliProcess,
  startWorker,
  writeFile,
  type CliResult,
  type WorkerProcess,
} from '../../dev/demo/lib';
import { stackConfig } from '../../dev/stack/config';
import { workflowBundle } from '../support/bundle';
import { testEnv } from '../support/env';

const run = promisify(execFile);

export const skip =
  stackConfig().harbor !== 'real' && 'needs a real-Harbor stack: run scripts/test-real-harbor.sh';

export const OVERLAY = (e: string) => `applications/overlays/k8s-${e}/services/myservice/kustomization.yaml`;

export interface E2e {
  env: Record<string, string>;
  nonce: string;
  dir: string;
  host: string;
  cli(args: string[]): Promise<CliResult>;
  pipeline(name: string, yaml: string): string;
  stop(): Promise<void>;
}

/**
 * A worker on a task queue of its own (other files' workers never pick up these promotions); `workerEnv`
 * changes only the worker's settings (e.g. another robot), not what the CLI and the readers use.
 */
export async function setUp(label: string, workerEnv: Record<string, string> = {}): Promise<E2e> {
  const nonce = randomBytes(3).toString('hex');
  const base = testEnv();
  const env: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    ...base,
    TEMPORAL_TASK_QUEUE: `real-${label}-${nonce}`,
  };
  const dir = join(REPO_ROOT, '.data', 'real-e2e', `${label}-${nonce}`);
  const worker: WorkerProcess = await startWorker(env, join(dir, 'worker.log'), {
    WORKER_METRICS_ADDRESS: '',
    // scripts/test-real-harbor.sh bundles the workflows once for all files; run alone, once per file.
    WORKER_WORKFLOW_BUNDLE: process.env.WORKER_WORKFLOW_BUNDLE || (await workflowBundle()),
    ...workerEnv,
  });
  return {
    env,
    nonce,
    dir,
    host: new URL(env.HARBOR_URL!).host,
    cli: (args) => runCliProcess(args, env, { timeoutMs: 300_000 }),
    pipeline: (name, yaml) => writeFile(join(dir, `${name}.yaml`), yaml),
    stop: async () => {
      const code = await worker.stop();
      assert.equal(code, 0, `the worker exits 0 on SIGTERM; log: ${worker.logFile}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const basic = (env: Record<string, string>) =>
  `Basic ${Buffer.from(`${env.HARBOR_ADMIN_USERNAME}:${env.HARBOR_ADMIN_PASSWORD}`).toString('base64')}`;

/** GET /api/v2.0{path} as admin: status and parsed body. */
export async function harborGet(
  env: Record<string, string>,
  path: string,
): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${env.HARBOR_URL}/api/v2.0${path}`, {
    headers: { authorization: basic(env), accept: 'application/json' },
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

export interface HarborArtifact {
  digest: string;
  media_type: string;
  tags: { name: string }[] | null;
  accessories: { type: string }[] | null;
  references: { child_digest: string; platform?: { architecture: string } }[] | null;
}

/** The artifact as Harbor's REST API has it (accessories and children included), or undefined on 404. */
export async function artifact(
  env: Record<string, string>,
  project: string,
  repository: string,
  reference: string,
): Promise<HarborArtifact | undefined> {
  const r = await harborGet(
    env,
    `/projects/${project}/repositories/${encodeURIComponent(encodeURIComponent(repository))}/artifacts/${reference}?with_accessory=true&with_tag=true`,
  );
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, `${project}/${repository}@${reference}: ${r.text}`);
  return r.body as HarborArtifact;
}

export const isSigned = (a: HarborArtifact | undefined) =>
  (a?.accessories ?? []).some((x) => x.type === 'signature.cosign');

/** What a cluster pulling the image gets: the manifest GET through Harbor's /v2 as admin (no bypass). */
export async function pull(
  env: Record<string, string>,
  project: string,
  repository: string,
  reference: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${env.HARBOR_URL}/v2/${project}/${repository}/manifests/${reference}`, {
    headers: {
      authorization: basic(env),
      accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json',
    },
  });
  return { status: res.status, text: await res.text() };
}

/** An admin's server-side copy (what "Copy" in Harbor's UI does): no signature is made on the way. */
export async function adminCopy(
  env: Record<string, string>,
  from: string,
  project: string,
  repository: string,
): Promise<void> {
  const res = await fetch(
    `${env.HARBOR_URL}/api/v2.0/projects/${project}/repositories/${encodeURIComponent(encodeURIComponent(repository))}/artifacts?from=${encodeURIComponent(from)}`,
    { method: 'POST', headers: { authorization: basic(env) } },
  );
  assert.equal(res.status, 201, `copy ${from} → ${project}: ${await res.text()}`);
}

/** `git log` of the GitOps repository's branch for one file: subjects, newest first. */
export async function gitLog(env: Record<string, string>, path: string, branch = 'main'): Promise<string[]> {
  const { stdout } = await run('git', [
    '--git-dir',
    env.GITOPS_REPO_URL!,
    'log',
    '--format=%H %s',
    branch,
    '--',
    path,
  ]);
  return stdout.split('\n').filter(Boolean);
}

export async function gitShow(env: Record<string, string>, rev: string, path: string): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', env.GITOPS_REPO_URL!, 'show', `${rev}:${path}`]);
  return stdout;
}

export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\@]/g, '\\$&');

/** `record --json` of a finished promotion that failed: its status and failure text. */
export async function failureOf(e: E2e, id: string): Promise<{ status: string; failure: string }> {
  const r = await e.cli(['record', id, '--json']);
  assert.equal(r.code, 1, `record of a failed promotion exits 1: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; failure: string };
}
