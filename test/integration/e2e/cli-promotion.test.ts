/**
 * End to end, as a user: an image pushed to platform-dev by the CI robot, the worker started as a process,
 * and the whole promotion driven through the `harbor-promote` bin — start, watch until it asks for a
 * person, a refused approval, the real approval, watch to the end — then the digest table read back from
 * Harbor and the overlay commits read back from the GitOps repository. Needs the local stack's
 * environment (scripts/test.sh exports it).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import {
  buildAndPush,
  CLEAN_PACKAGES,
  demoPipeline,
  digestTable,
  gitopsFile,
  REPO_ROOT,
  runCliProcess,
  startWorker,
  writeFile,
  type PushedImage,
  type WorkerProcess,
} from '../../../dev/demo/lib';
import type { PromotionRecord } from '../../../src/domain/promotion';

const REQUIRED = [
  'TEMPORAL_ADDRESS',
  'HARBOR_URL',
  'HARBOR_CI_USERNAME',
  'GITOPS_REPO_URL',
  'SKOPEO_BIN',
  'COSIGN_BIN',
];
const nonce = randomBytes(3).toString('hex');
const taskQueue = `e2e-${nonce}`;
const tag = `1.4.2-e2e${nonce}`;
const id = `promote-myservice@${tag}`;
const APPROVER = 'e2e-approver';
const workDir = join(REPO_ROOT, '.data', 'e2e', nonce);

let env: Record<string, string>;
let worker: WorkerProcess | undefined;
let image: PushedImage;
let metricsAddress: string;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const cli = (args: string[]) => runCliProcess(args, env, { timeoutMs: 300_000 });

/** The cosign CLI as a user runs it, with the promoter's account in a private DOCKER_CONFIG. */
async function cosignVerifyAttestation(ref: string, type: string) {
  const { authFileContent } = await import('../../../src/activities/secrets.js');
  const dir = join(workDir, 'cosign');
  const password = env.HARBOR_PASSWORD ?? readFileSync(env.HARBOR_PASSWORD_FILE!, 'utf8').trim();
  writeFile(join(dir, 'config.json'), authFileContent(ref.split('/')[0]!, env.HARBOR_USERNAME!, password));
  const { runProcess } = await import('../../../src/activities/process.js');
  return runProcess({
    bin: env.COSIGN_BIN!,
    args: [
      'verify-attestation',
      '--key',
      env.COSIGN_PUBLIC_KEY_FILE!,
      '--insecure-ignore-tlog',
      '--type',
      type,
      '--allow-http-registry',
      ref,
    ],
    env: { HOME: dir, DOCKER_CONFIG: dir, TUF_ROOT: join(dir, 'tuf') },
    cwd: dir,
    timeoutMs: 60_000,
    label: 'cosign verify-attestation',
  });
}
const lines = (s: string) => s.split('\n').filter(Boolean);

before(async () => {
  const missing = REQUIRED.filter((k) => !process.env[k]);
  assert.deepEqual(
    missing,
    [],
    `run through \`npm test\` or after eval "$(npm run -s stack -- env)"; missing: ${missing.join(', ')}`,
  );
  env = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    TEMPORAL_TASK_QUEUE: taskQueue,
  };
  metricsAddress = `127.0.0.1:${await freePort()}`;
  image = await buildAndPush(env, { workDir, repository: 'myservice', tag, packages: CLEAN_PACKAGES, nonce });
  writeFile(join(workDir, 'pipeline.yaml'), demoPipeline(env, 'happy', APPROVER));
  worker = await startWorker(env, join(workDir, 'worker.log'), { WORKER_METRICS_ADDRESS: metricsAddress });
});

after(async () => {
  if (worker) await worker.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('e2e: one promotion through the CLI', { timeout: 600_000 }, () => {
  it('start prints the workflow id and the UI link', async () => {
    const r = await cli(['start', `myservice:${tag}`, '--pipeline', join(workDir, 'pipeline.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`started ${id.replace(/[.@]/g, '\\$&')}: myservice:${tag} dev → production`),
    );
    assert.ok(
      r.stdout.includes(`${env.TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(id)}`),
      r.stdout,
    );
  });

  it('starting it again finds the running promotion instead of a second one', async () => {
    const r = await cli([
      'start',
      `myservice:${tag}`,
      '--pipeline',
      join(workDir, 'pipeline.yaml'),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { started: boolean; workflowId: string }).started, false);
  });

  it('watch --until-waiting returns when production needs an approval, naming the command', async () => {
    const r = await cli(['watch', id, '--until-waiting', '--timeout', '300']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`waiting for .*approval.* from ${APPROVER}`));
    assert.match(
      r.stdout,
      new RegExp(`harbor-promote approve ${id.replace(/[.@]/g, '\\$&')} --env production`),
    );
  });

  it('status and list --waiting-approval show it at the gate', async () => {
    const s = await cli(['status', id, '--json']);
    assert.equal(s.code, 0, s.stderr);
    const st = JSON.parse(s.stdout) as {
      status: string;
      promotion: { stage: string; digest: string; pendingGate: { kind: string } };
    };
    assert.equal(st.status, 'RUNNING');
    assert.equal(st.promotion.stage, 'awaiting-approval');
    assert.equal(st.promotion.digest, image.digest);
    const l = await cli(['list', '--waiting-approval', '--repository', 'myservice', '--json']);
    assert.equal(l.code, 0, l.stderr);
    const rows = (
      JSON.parse(l.stdout) as { promotions: { workflowId: string; stage: string; environment: string }[] }
    ).promotions;
    const row = rows.find((x) => x.workflowId === id);
    assert.ok(row, `${id} not listed: ${l.stdout}`);
    assert.equal(row.environment, 'production');
  });

  it('an approval from someone not on the list is refused at once, with one line and exit 5', async () => {
    const r = await cli(['approve', id, '--env', 'production', '--as', 'mallory']);
    assert.equal(r.code, 5);
    assert.deepEqual(lines(r.stderr), [
      `harbor-promote: refused: "mallory" is not an approver for production; approvers: ${APPROVER}`,
    ]);
  });

  it('the approver approves; the answer is immediate', async () => {
    const r = await cli(['approve', id, '--env', 'production', '--as', APPROVER, '--comment', 'e2e']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /approved production as e2e-approver: 1 of 1 approvals/);
  });

  it('watch follows it to the end, exits 0 and prints three identical digests', async () => {
    const r = await cli(['watch', id, '--timeout', '300']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`${id.replace(/[.@]/g, '\\$&')}: completed`));
    for (const p of ['platform-dev', 'platform-staging', 'platform-production'])
      assert.match(r.stdout, new RegExp(`${p} +myservice +${image.digest} +yes`));
    assert.match(r.stdout, new RegExp(`all 3 digests identical: ${image.digest}`));
  });

  it('Harbor holds the same signed digest in all three projects', async () => {
    const rows = await digestTable(env, 'myservice', tag);
    assert.deepEqual(
      rows.map((r) => [r.project, r.digest, r.signed]),
      ['platform-dev', 'platform-staging', 'platform-production'].map((p) => [p, image.digest, true]),
    );
  });

  it('the record names the overlay commits, and the GitOps repository holds them', async () => {
    const r = await cli(['record', id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout) as PromotionRecord;
    assert.equal(rec.digest, image.digest);
    assert.equal(rec.approvals.production?.approvals[0]?.approver, APPROVER);
    assert.equal(rec.verifications.staging?.passed, true);
    for (const envName of ['staging', 'production']) {
      const o = rec.overlays[envName];
      assert.ok(o, `no overlay record for ${envName}`);
      const file = await gitopsFile(env.GITOPS_REPO_URL!, o.path);
      assert.ok(file.text.includes(image.digest), `${o.path} does not pin ${image.digest}:\n${file.text}`);
      // The recorded commit is on the branch (later promotions may have added commits on top).
      const at = await gitopsFile(env.GITOPS_REPO_URL!, o.path, o.commit);
      assert.ok(at.text.includes(image.digest));
      assert.match(at.subject, new RegExp(image.digest));
    }
  });

  it('production carries a signed VSA: cosign verify-attestation and `verify --require-approvals` accept it', async () => {
    const host = new URL(env.HARBOR_URL!).host;
    const ref = `${host}/platform-production/myservice@${image.digest}`;
    const c = await cosignVerifyAttestation(ref, 'https://slsa.dev/verification_summary/v1');
    assert.equal(c.code, 0, c.stderr);
    const pipeline = join(workDir, 'pipeline.yaml');
    const v = await cli([
      'verify',
      ref,
      '--env',
      'production',
      '--pipeline',
      pipeline,
      '--require-approvals',
    ]);
    assert.equal(v.code, 0, `${v.stdout}\n${v.stderr}`);
    assert.deepEqual(
      lines(v.stdout).map((l) => l.split(':')[0]),
      [
        '✓ signature',
        '✓ vsa',
        '✓ resource',
        '✓ policy',
        '✓ result',
        '✓ level',
        '✓ record',
        '✓ approvals',
        ref.replace(`${host}/`, '').split(':')[0],
      ],
    );
    // Another pipeline (one more approver required): the policy digest differs, and so does the rule.
    const other = writeFile(
      join(workDir, 'other.yaml'),
      readFileSync(pipeline, 'utf8').replace(
        /approvers: \[(.*)\]\n(\s+)required: 1/,
        'approvers: [$1, someone]\n$2required: 2',
      ),
    );
    const o = await cli(['verify', ref, '--env', 'production', '--pipeline', other, '--require-approvals']);
    assert.equal(o.code, 1, o.stdout);
    assert.match(o.stdout, /^✗ policy: .*promoted under another pipeline$/m);
    assert.match(o.stdout, /^✗ record: .* was made under another pipeline/m);
    assert.match(o.stdout, /^✗ approvals: production: 1 approval, the pipeline requires 2$/m);
    // A digest that never reached production.
    const never = `${host}/platform-production/myservice@sha256:${'0'.repeat(64)}`;
    const n = await cli(['verify', never, '--env', 'production', '--pipeline', pipeline]);
    assert.equal(n.code, 1, n.stdout);
    assert.match(n.stdout, /^✗ signature: no cosign signature/m);
    assert.match(n.stdout, /^✗ vsa: no verification summary \(VSA\) attestation/m);
    assert.match(n.stdout, /NOT verified for production: failed signature, vsa$/m);
  });

  it('the worker served Prometheus metrics and never logged a secret', async () => {
    const r = await request(`http://${metricsAddress}/metrics`);
    const text = await r.body.text();
    assert.equal(r.statusCode, 200);
    assert.match(text, /^temporal_\w+/m);
    const code = await worker!.stop();
    worker = undefined;
    assert.equal(code, 0, 'SIGTERM: a clean, graceful exit');
    const log = readFileSync(join(workDir, 'worker.log'), 'utf8');
    assert.match(log, /worker started/);
    assert.match(log, /shutting down/);
    for (const k of ['HARBOR_PASSWORD_FILE', 'COSIGN_PASSWORD_FILE']) {
      const secret = readFileSync(env[k]!, 'utf8').trim();
      assert.ok(!log.includes(secret), `${k}'s secret appears in the worker log`);
    }
  });
});

describe('e2e: the bin itself', () => {
  it('bad input through the real bin: one line, non-zero exit, no stack trace', async () => {
    const r = await runCliProcess(['start', 'MyService', '--pipeline', 'x.yaml'], env);
    assert.equal(r.code, 2);
    assert.deepEqual(lines(r.stderr).length, 1, r.stderr);
    const u = await runCliProcess(['status', 'x'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(u.code, 3);
    assert.equal(lines(u.stderr).length, 1, u.stderr);
    assert.match(u.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
  });
});

describe('e2e: the worker refuses to start with one clear line when a dependency is missing', () => {
  const runWorker = async (extra: Record<string, string>) => {
    const { spawn } = await import('node:child_process');
    return new Promise<{ code: number | null; out: string }>((resolveRun) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'worker.ts')], {
        cwd: REPO_ROOT,
        env: { ...env, WORKER_LOG_FORMAT: 'text', WORKER_METRICS_ADDRESS: '', ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => resolveRun({ code, out }));
    });
  };

  it('Temporal unreachable: exit 3, names the address', async () => {
    const r = await runWorker({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(r.code, 3, r.out);
    assert.match(
      r.out,
      /ERROR cannot start: cannot reach Temporal at 127\.0\.0\.1:1 \(connection refused\); check TEMPORAL_ADDRESS/,
    );
  });

  it('Harbor unreachable: exit 3, names the URL', async () => {
    const r = await runWorker({ HARBOR_URL: 'http://127.0.0.1:1' });
    assert.equal(r.code, 3, r.out);
    assert.match(
      r.out,
      /ERROR cannot start: cannot reach Harbor at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); check HARBOR_URL/,
    );
  });

  it('a wrong robot secret: exit 2, and the secret is not printed', async () => {
    const r = await runWorker({ HARBOR_PASSWORD_FILE: '', HARBOR_PASSWORD: 'not-the-secret-4711' });
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /rejected HARBOR_USERNAME=robot\$promoter \(401\)/);
    assert.ok(!r.out.includes('not-the-secret-4711'));
  });
});
