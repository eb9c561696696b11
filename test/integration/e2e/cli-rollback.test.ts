/**
 * Rollback end to end, as a user: two promotions of one service into production through the CLI, then
 * `rollback --previous --env production` restores the first digest through production's approval gate;
 * the overlay in the GitOps repository points at it again (a commit that says rollback), and the record
 * says rollback. Then refusals: `--to` a digest that is not in production's project, and one that is there
 * unsigned: each fails clearly and leaves the overlay untouched. Needs the local stack's environment.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildAndPush,
  CLEAN_PACKAGES,
  gitopsFile,
  REPO_ROOT,
  runCliProcess,
  startWorker,
  writeFile,
  type PushedImage,
  type WorkerProcess,
} from '../../../dev/demo/lib';
import { buildImage } from '../../../dev/oci-image/build';
import { pushImage } from '../../../dev/oci-image/push';
import type { PromotionRecord } from '../../../src/domain/promotion';

const REQUIRED = ['TEMPORAL_ADDRESS', 'HARBOR_URL', 'HARBOR_CI_USERNAME', 'GITOPS_REPO_URL', 'SKOPEO_BIN'];
const nonce = randomBytes(3).toString('hex');
// A repository of its own: its promotion records and its overlay entry are this test's alone.
const repo = `rollback-${nonce}`;
const APPROVER = 'e2e-approver';
const OVERLAY = 'applications/overlays/k8s-production/services/myservice/kustomization.yaml';
const workDir = join(REPO_ROOT, '.data', 'e2e-rollback', nonce);
const pipelineFile = join(workDir, 'pipeline.yaml');

let env: Record<string, string>;
let worker: WorkerProcess | undefined;
const images: PushedImage[] = [];

const cli = (args: string[]) => runCliProcess(args, env, { timeoutMs: 300_000 });
const ok = async (args: string[]) => {
  const r = await cli(args);
  assert.equal(r.code, 0, `harbor-promote ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** The overlay's entry for this repository: the digest and tag it pins. */
async function overlayPin(): Promise<{ digest?: string; newTag?: string; subject: string }> {
  const f = await gitopsFile(env.GITOPS_REPO_URL!, OVERLAY);
  const entry = f.text.split(/\n\s*- name: /).find((e) => e.startsWith(repo)) ?? '';
  return {
    digest: /digest: (sha256:[0-9a-f]{64})/.exec(entry)?.[1],
    newTag: /newTag: "?([^"\n]+)"?/.exec(entry)?.[1],
    subject: f.subject,
  };
}

/** A promotion through dev → staging → production with the production approval. */
async function promote(image: PushedImage): Promise<void> {
  const id = `promote-${repo}@${image.tag}`;
  await ok(['start', `${repo}:${image.tag}`, '--pipeline', pipelineFile, '--skip-doctor']);
  await ok(['watch', id, '--until-waiting', '--timeout', '240']);
  await ok(['approve', id, '--env', 'production', '--as', APPROVER]);
  await ok(['watch', id, '--timeout', '240']);
}

before(async () => {
  const missing = REQUIRED.filter((k) => !process.env[k]);
  assert.deepEqual(missing, [], `run through scripts/test.sh; missing: ${missing.join(', ')}`);
  env = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    TEMPORAL_TASK_QUEUE: `e2e-rollback-${nonce}`,
  };
  const host = new URL(env.HARBOR_URL!).host;
  writeFile(
    pipelineFile,
    `apiVersion: harbor-promote/v1
name: rollback-e2e
registry: ${host}
environments:
  - name: dev
    project: platform-dev
    scan: { timeout: 5m, pollInterval: 1s }
  - name: staging
    project: platform-staging
    severityThreshold: high
    scan: { timeout: 5m, pollInterval: 1s }
  - name: production
    project: platform-production
    severityThreshold: high
    scan: { timeout: 5m, pollInterval: 1s }
    approval: { approvers: [${APPROVER}], required: 1, expiry: 1h }
    overlay: { path: ${OVERLAY}, imageName: ${repo} }
    verification:
      command: ['${join(REPO_ROOT, 'dev', 'demo', 'integration-tests.sh')}', 'production']
      timeout: 2m
`,
  );
  for (const tag of ['1.0.1', '1.0.2'])
    images.push(
      await buildAndPush(env, {
        workDir,
        repository: repo,
        tag,
        packages: CLEAN_PACKAGES,
        nonce: `${nonce}-${tag}`,
      }),
    );
  worker = await startWorker(env, join(workDir, 'worker.log'));
});

after(async () => {
  if (worker) await worker.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('e2e: rollback through the CLI', { timeout: 900_000 }, () => {
  it('after one promotion there is no previous digest: the command says so and starts nothing', async () => {
    await promote(images[0]!);
    const r = await cli(['rollback', repo, '--env', 'production', '--previous', '--pipeline', pipelineFile]);
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(
        `--previous: production of ${repo} points at ${images[0]!.digest} .*there is no previous digest to roll back to; give the digest with --to`,
      ),
    );
    const l = await ok(['list', '--repository', repo, '--json']);
    assert.equal((JSON.parse(l.stdout) as { promotions: unknown[] }).promotions.length, 1, l.stdout);
  });

  it('two promotions into production: the overlay points at the second', async () => {
    await promote(images[1]!);
    const pin = await overlayPin();
    assert.equal(pin.digest, images[1]!.digest);
    assert.equal(pin.newTag, '1.0.2');
  });

  let rollbackId = '';
  it('rollback --previous finds the first digest, starts, and waits at the approval gate', async () => {
    const dry = await ok([
      'rollback',
      repo,
      '--env',
      'production',
      '--previous',
      '--pipeline',
      pipelineFile,
      '--dry-run',
      '--json',
    ]);
    const plan = JSON.parse(dry.stdout) as { to: string; from: string; tag: string; promotedBy: string };
    assert.equal(plan.to, images[0]!.digest);
    assert.equal(plan.from, images[1]!.digest);
    assert.equal(plan.tag, '1.0.1');
    assert.equal(plan.promotedBy, `promote-${repo}@1.0.1`);

    const t0 = Date.now();
    const r = await ok(['rollback', repo, '--env', 'production', '--previous', '--pipeline', pipelineFile]);
    console.log(
      `# rollback --previous (visibility, records, start): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    rollbackId = `rollback-production/${repo}@${images[0]!.digest}`;
    assert.match(
      r.stdout,
      new RegExp(`started ${rollbackId.replace(/[.@/]/g, '\\$&')}: rollback ${repo} in production`),
    );
    const w = await ok(['watch', rollbackId, '--until-waiting', '--timeout', '120']);
    assert.match(w.stdout, /approval/);
    // Nothing changed before the approval.
    assert.equal((await overlayPin()).digest, images[1]!.digest);
    // `list` shows it next to promotions, waiting for approval.
    const l = await ok(['list', '--waiting-approval', '--repository', repo, '--json']);
    assert.ok(
      (JSON.parse(l.stdout) as { promotions: { workflowId: string }[] }).promotions.some(
        (p) => p.workflowId === rollbackId,
      ),
      l.stdout,
    );
  });

  it('approved, it restores the first digest in the overlay, verifies, and records a rollback', async () => {
    const started = Date.now();
    await ok(['approve', rollbackId, '--env', 'production', '--as', APPROVER, '--comment', 'bad 1.0.2']);
    await ok(['watch', rollbackId, '--timeout', '120']);
    const seconds = (Date.now() - started) / 1000;
    const pin = await overlayPin();
    assert.equal(pin.digest, images[0]!.digest);
    assert.equal(pin.newTag, '1.0.1');
    assert.equal(
      pin.subject,
      `rollback ${repo} in production from ${images[1]!.digest} to ${images[0]!.digest}`,
    );
    const rec = JSON.parse((await ok(['record', rollbackId, '--json'])).stdout) as PromotionRecord;
    assert.equal(rec.kind, 'rollback');
    assert.equal(rec.rollback?.environment, 'production');
    assert.equal(rec.rollback?.from, images[1]!.digest);
    assert.equal(rec.rollback?.to, images[0]!.digest);
    assert.ok(rec.rollback?.requestedBy, 'requester recorded');
    assert.equal(rec.approvals.production?.decision, 'approved');
    assert.equal(rec.verifications.production?.passed, true);
    const status = await ok(['status', rollbackId]);
    assert.match(status.stdout, /recordRollback/);
    console.log(`# rollback from approval to completed: ${seconds.toFixed(1)} s`);
  });

  it('--to a digest that is not in production fails clearly; the overlay is untouched', async () => {
    const before = await overlayPin();
    const missing = `sha256:${'0'.repeat(64)}`;
    const r = await cli([
      'rollback',
      repo,
      '--env',
      'production',
      '--to',
      missing,
      '--pipeline',
      pipelineFile,
      '--wait',
    ]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stdout + r.stderr,
      /ImageNotFound: .*platform-production\/rollback-\w+@sha256:0{64}.*not found/,
    );
    // `status` says where and what to do instead.
    const st = await cli(['status', `rollback-production/${repo}@${missing}`]);
    assert.match(
      st.stdout,
      /rollback target .* A rollback goes only to a digest that was promoted into production/,
    );
    assert.deepEqual(await overlayPin(), before);
  });

  it('--to an unsigned digest in production fails clearly; the overlay is untouched', async () => {
    const before = await overlayPin();
    // An image pushed straight into production by the admin: in the project, but never signed.
    const layout = join(workDir, 'layout-unsigned');
    await buildImage({ out: layout, tag: 'unsigned', packages: CLEAN_PACKAGES, label: `unsigned ${nonce}` });
    const digest = await pushImage({
      layoutDir: layout,
      tag: 'unsigned',
      dest: `${new URL(env.HARBOR_URL!).host}/platform-production/${repo}:unsigned`,
      username: env.HARBOR_ADMIN_USERNAME!,
      password: env.HARBOR_ADMIN_PASSWORD!,
      skopeoBin: env.SKOPEO_BIN,
    });
    const r = await cli([
      'rollback',
      repo,
      '--env',
      'production',
      '--to',
      digest,
      '--pipeline',
      pipelineFile,
      '--wait',
    ]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, /SignatureInvalid: .*no cosign signature found/);
    assert.deepEqual(await overlayPin(), before);
  });
});
