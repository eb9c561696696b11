/**
 * Proofs on the live stack (issue 7 §2 and §4).
 * Tag moved: while a promotion is in staging, CI pushes a different image to the same dev tag; production
 * still receives the digest pinned at the start, and the record says so.
 * Secrets: a promotion runs with distinctive secrets (a robot secret and a cosign password made for this
 * run), and then a second one that fails (its verification command exits 1) with the same secrets; no form
 * of either secret (as is, URL-encoded, base64 at any offset) appears in the workflow histories (JSON
 * export, payloads decoded), the worker's or the CLI's output, any process's argv sampled every 20 ms,
 * the GitOps repository's commits, harbor-sim's state files, the stack's logs (the Temporal server's
 * among them) and database, or the environment of the stack's processes and the worker. Every CLI call
 * must exit as expected, so a failed call cannot pass as searched output.
 *
 * Not searched: the environment of cosign while it runs, which carries COSIGN_PASSWORD by design (the
 * channel cosign reads; /proc/<pid>/environ is readable only by the same user, unlike argv).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { REPO_ROOT, paths, stackConfig } from '../../../dev/stack/config';
import { SERVICES } from '../../../dev/stack/components';
import { isOurs, readPid } from '../../../dev/stack/processes';
import { createCosignKey, createPromoterRobot, workerCredentials } from '../../support/accounts';
import { workflowBundle } from '../../support/bundle';
import { childEnv, testEnv } from '../../support/env';
import { seedFiles } from '../../support/gitops';
import { HarborAdmin } from '../../support/harbor';
import { ImagePusher } from '../../support/images';
import { assertPromotedOnce } from '../../support/invariants';
import { ArgvSampler, environOf, expandPayloads, findSecrets, secretForms } from '../../support/proc-sampler';
import {
  approve,
  awaitingApproval,
  kustomization,
  PRODUCTION_OVERLAY,
  stackPipeline,
  STAGING_OVERLAY,
  startPromotion,
  waitForStatus,
} from '../../support/promotions';
import { connectClient, historyJson } from '../../support/temporal';
import { WorkerProcess } from '../../support/worker-process';

const run = promisify(execFile);
const env = testEnv();
const RUN = Date.now().toString(36);
const HOST = new URL(env.HARBOR_URL!).host;
const DIR = mkdtempSync(join(tmpdir(), `proof-${RUN}-`));
const admin = new HarborAdmin(env);
const pusher = new ImagePusher(env);
let client: Client;

before(async () => {
  client = await connectClient(env);
});
after(async () => {
  await client?.connection.close();
});

async function seed(service: string) {
  await seedFiles(
    env.GITOPS_REPO_URL!,
    {
      [STAGING_OVERLAY(service)]: kustomization('staging', service, HOST),
      [PRODUCTION_OVERLAY(service)]: kustomization('production', service, HOST),
    },
    `proof ${RUN}: overlays for ${service}`,
  );
}

describe('tag moved during a promotion', { timeout: 5 * 60_000 }, () => {
  it('production receives the originally pinned digest, and the record says so', async () => {
    const service = 'proof-tagmove';
    await seed(service);
    const tag = `r-${RUN}`;
    const original = await pusher.push('platform-dev', service, tag);
    const robot = await createPromoterRobot(env, `tagmove${RUN}`, join(DIR, 'tm'), [
      'platform-dev',
      'platform-staging',
      'platform-production',
    ]);
    const worker = new WorkerProcess({
      env,
      name: 'tagmove',
      taskQueue: `tagmove-${RUN}`,
      extraEnv: { ...workerCredentials(robot), WORKER_WORKFLOW_BUNDLE: await workflowBundle() },
    });
    await worker.start(client);
    try {
      const h = await startPromotion(client, worker.taskQueue, {
        pipeline: stackPipeline({ registry: HOST, overlayService: service, approvalInto: ['production'] }),
        repository: service,
        reference: tag,
      });
      // In staging (parked at the gate into production, after the staging deployment).
      await waitForStatus(h, 'approval into production', awaitingApproval('production'), 180_000);
      const moved = await pusher.push('platform-dev', service, tag);
      assert.notEqual(moved.digest, original.digest);
      assert.equal(
        await admin.digestOf('platform-dev', service, tag),
        moved.digest,
        'the dev tag now points at the new image',
      );
      await approve(h, 'production', 'alice');
      const record = await h.result();
      assert.equal(record.digest, original.digest, 'the record pins the original digest');
      assert.equal(record.reference, tag);
      for (const p of record.proof) assert.equal(p.digest, original.digest, `proof in ${p.project}`);
      assert.equal(
        record.copies.production?.digest,
        original.digest,
        'the production copy is the pinned digest',
      );
      assert.equal(
        await admin.digestOf('platform-production', service, original.digest),
        original.digest,
        'production holds the pinned digest',
      );
      assert.equal(
        await admin.digestOf('platform-production', service, moved.digest),
        undefined,
        'the new image never reached production',
      );
      assert.equal(await admin.digestOf('platform-staging', service, moved.digest), undefined, 'nor staging');
      await assertPromotedOnce({
        admin,
        gitops: env.GITOPS_REPO_URL!,
        repository: service,
        tag: original.digest,
        digest: original.digest,
        record,
        projects: ['platform-staging', 'platform-production'],
        overlays: { staging: STAGING_OVERLAY(service), production: PRODUCTION_OVERLAY(service) },
      });
    } finally {
      await worker.stop();
    }
  });
});

/**
 * Everything outside the run's own output where a secret could come to rest, as name → text: GitOps
 * commits (all refs, with patches), harbor-sim's state files, the stack's logs and Temporal's database,
 * and the environment of each stack process and of the worker. Each must exist and be non-empty, so a
 * moved file cannot turn the search into a search of nothing.
 */
function placesToSearch(workerPid: number | undefined): Record<string, string> {
  const cfg = stackConfig();
  const p = paths(cfg);
  const out: Record<string, string> = {};
  out['GitOps commits (git log -p --all)'] = execFileSync('git', ['log', '-p', '--all'], {
    cwd: env.GITOPS_REPO_URL!,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const simData = env.HARBOR_SIM_DATA ?? p.harborData;
  for (const f of readdirSync(simData))
    out[`harbor-sim state ${f}`] = readFileSync(join(simData, f), 'latin1');
  for (const f of readdirSync(p.logs)) out[`stack log ${f}`] = readFileSync(join(p.logs, f), 'latin1');
  out['Temporal server database'] = readFileSync(p.temporalDb, 'latin1');
  const pids: Record<string, number> = {};
  for (const svc of SERVICES.filter((x) => x.available())) {
    const rec = readPid(p.pids, svc.name);
    assert.ok(isOurs(rec), `the stack's ${svc.name} runs (its environment is searched)`);
    pids[svc.name] = rec.pid;
  }
  assert.ok(workerPid, 'the worker runs (its environment is searched)');
  pids.worker = workerPid;
  const environ = environOf(Object.values(pids));
  for (const [name, pid] of Object.entries(pids)) out[`environment of ${name} (pid ${pid})`] = environ[pid]!;
  for (const [where, text] of Object.entries(out)) assert.ok(text.length > 0, `${where} is empty`);
  assert.ok(out['stack log temporal.log'] !== undefined, 'the Temporal server log is searched');
  return out;
}

describe('secrets never leave the worker', { timeout: 5 * 60_000 }, () => {
  it('no hit in histories (also of a failed promotion), CLI and worker output, argv, GitOps commits, harbor-sim state, stack logs or process environments', async () => {
    const service = 'proof-secrets';
    await seed(service);
    const tag = `r-${RUN}`;
    const harborSecret = `HarborSecret-${randomBytes(9).toString('hex')}`;
    const cosignPassword = `CosignPw-${randomBytes(9).toString('hex')}`;
    const robot = await createPromoterRobot(
      env,
      `secrets${RUN}`,
      join(DIR, 'sec'),
      ['platform-dev', 'platform-staging', 'platform-production'],
      harborSecret,
    );
    assert.equal(robot.secret, harborSecret);
    const key = await createCosignKey(env, join(DIR, 'sec', 'cosign'), cosignPassword);
    await pusher.push('platform-dev', service, tag);
    const sampler = new ArgvSampler(20).start();
    const worker = new WorkerProcess({
      env,
      name: 'secrets',
      taskQueue: `secrets-${RUN}`,
      extraEnv: {
        ...workerCredentials(robot, key),
        WORKER_LOG_LEVEL: 'DEBUG',
        WORKER_WORKFLOW_BUNDLE: await workflowBundle(),
      },
    });
    await worker.start(client);
    let cliOut = '';
    try {
      const pipelineFile = join(DIR, 'pipeline.json.yaml');
      const failingPipelineFile = join(DIR, 'failing-pipeline.json.yaml');
      const failTag = `f-${RUN}`;
      writeFileSync(
        pipelineFile,
        JSON.stringify(
          stackPipeline({
            registry: HOST,
            overlayService: service,
            approvalInto: ['production'],
            verifyCommand: ['true'],
            copyStrategy: 'skopeo',
          }),
        ),
      );
      /** Runs the CLI and asserts its exit code: a failed call must not count as searched output. */
      const cli = async (expectCode: number, ...args: string[]) => {
        const r = await run(
          process.execPath,
          ['--import', 'tsx', resolve(REPO_ROOT, 'src/client.ts'), ...args],
          {
            cwd: REPO_ROOT,
            env: childEnv(env, { TEMPORAL_TASK_QUEUE: worker.taskQueue }),
          },
        ).then(
          (ok) => ({ ...ok, code: 0 }),
          (e: { stdout?: string; stderr?: string; code?: number | string; message: string }) => ({
            stdout: e.stdout ?? '',
            stderr: `${e.stderr ?? ''}\n${e.message}`,
            code: e.code,
          }),
        );
        cliOut += `$ harbor-promote ${args.join(' ')}\n${r.stdout}${r.stderr}\n`;
        assert.equal(r.code, expectCode, `harbor-promote ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
        assert.ok(r.stdout.length > 0, `harbor-promote ${args.join(' ')} printed something to search`);
        return r;
      };
      await cli(0, 'start', `${service}:${tag}`, '--pipeline', pipelineFile);
      const h = client.workflow.getHandle(`promote-${service}@${tag}`);
      await waitForStatus(h, 'approval into production', awaitingApproval('production'), 180_000);
      await cli(0, 'status', h.workflowId);
      await cli(0, 'approve', h.workflowId, '--env', 'production', '--as', 'alice');
      await cli(0, 'watch', h.workflowId);
      const record = await h.result();
      await cli(0, 'record', h.workflowId);
      await cli(0, 'record', h.workflowId, '--json');
      assert.equal(record.proof.length, 3, 'the promotion completed');

      // The error path: a promotion that fails (staging's verification exits 1) with the same secrets.
      await pusher.push('platform-dev', service, failTag);
      writeFileSync(
        failingPipelineFile,
        JSON.stringify(
          stackPipeline({
            registry: HOST,
            overlayService: service,
            stagingOnly: true,
            verifyCommand: ['false'],
            copyStrategy: 'skopeo',
          }),
        ),
      );
      await cli(0, 'start', `${service}:${failTag}`, '--pipeline', failingPipelineFile);
      const failed = client.workflow.getHandle(`promote-${service}@${failTag}`);
      await cli(1, 'watch', failed.workflowId);
      await assert.rejects(failed.result(), 'the second promotion failed');
      await cli(1, 'record', failed.workflowId);

      const argv = sampler.stop();
      assert.ok(sampler.matching('cosign').length > 0, 'cosign ran while sampling (the sampler saw it)');
      assert.ok(sampler.matching('skopeo').length > 0, 'skopeo ran while sampling (the sampler saw it)');
      const history = await historyJson(h);
      const failedHistory = await historyJson(failed);
      const places = placesToSearch(worker.pid);
      const hits = findSecrets(
        {
          'Harbor robot secret': secretForms(harborSecret, robot.username),
          'cosign password': secretForms(cosignPassword),
        },
        {
          'workflow history (JSON, payloads decoded)': expandPayloads(history.text),
          'failed workflow history (JSON, payloads decoded)': expandPayloads(failedHistory.text),
          'worker output': worker.output(),
          'CLI output': cliOut,
          'process argv': argv.join('\n'),
          ...places,
        },
      );
      assert.deepEqual(hits, [], 'secrets leaked');
      console.log(
        `secrets: searched ${history.events + failedHistory.events} history events, ${worker.output().length} bytes of worker output, ${cliOut.length} bytes of CLI output, ${argv.length} distinct command lines from ${sampler.samples} /proc samples, and ${Object.entries(
          places,
        )
          .map(([k, v]) => `${k} (${v.length} bytes)`)
          .join(', ')}: 0 hits`,
      );
    } finally {
      sampler.stop();
      await worker.stop();
    }
  });
});
