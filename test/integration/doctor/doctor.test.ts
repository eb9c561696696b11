/**
 * `harbor-promote doctor` as a user runs it: the bin, a worker process, the stack's harbor-sim and GitOps
 * repository. First the all-good case (the stack's promoter robot, keys and overlays): exit 0. Then one
 * mistake of each kind at once — a missing project, a robot without copy permission, a missing overlay file,
 * a public key that is not the private key's, no scanner — each reported as ✗ with its fix, exit 8; and
 * `start` with the same worker refuses before starting anything. Nothing on Harbor changes (counted).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, runCliProcess, startWorker, writeFile, type WorkerProcess } from '../../../dev/demo/lib';
import type { DoctorReport } from '../../../src/domain/doctor';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createCosignKey } from '../../support/accounts';
import { HarborAdmin } from '../../support/harbor';
import { SimControl } from '../../support/sim';

const nonce = randomBytes(3).toString('hex');
const dir = join(REPO_ROOT, '.data', 'doctor-test', nonce);
const missingProject = `doctor-missing-${nonce}`;
let env: Record<string, string>;
let worker: WorkerProcess | undefined;
let sim: SimControl;

const OVERLAY = (e: string) => `applications/overlays/k8s-${e}/services/myservice/kustomization.yaml`;
function pipeline(
  o: { stagingOverlay?: string; productionProject?: string; stagingScan?: string } = {},
): string {
  return `apiVersion: harbor-promote/v1
name: doctor-${nonce}
registry: ${new URL(env.HARBOR_URL!).host}
environments:
  - { name: dev, project: platform-dev, severityThreshold: critical }
  - name: staging
    project: platform-staging
    severityThreshold: high
    scan: ${o.stagingScan ?? '{ timeout: 5m }'}
    overlay: { path: ${o.stagingOverlay ?? OVERLAY('staging')}, imageName: myservice }
  - name: production
    project: ${o.productionProject ?? 'platform-production'}
    severityThreshold: high
    overlay: { path: ${OVERLAY('production')}, imageName: myservice }
`;
}

const READ = [
  'project:read',
  'metadata:read',
  'repository:pull',
  'artifact:read',
  'tag:list',
  'accessory:list',
  'scan:read',
  'scanner:read',
];
const WRITE = ['repository:push', 'artifact:create', 'tag:create', 'scan:create'];

/** A system robot that reads everywhere, writes only in platform-dev: it cannot copy into staging. */
async function robotWithoutCopy(name: string): Promise<{ username: string; secretFile: string }> {
  const access = (pairs: string[]) =>
    pairs.map((p) => ({ resource: p.split(':')[0], action: p.split(':')[1] }));
  const res = await new HarborAdmin(env).request('/api/v2.0/robots', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      level: 'system',
      duration: -1,
      permissions: [
        { kind: 'project', namespace: '*', access: access(READ) },
        { kind: 'project', namespace: 'platform-dev', access: access([...READ, ...WRITE]) },
      ],
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const body = JSON.parse(text) as { name: string; secret: string };
  mkdirSync(join(dir, 'secrets'), { recursive: true, mode: 0o700 });
  const secretFile = join(dir, 'secrets', `${name}.secret`);
  writeFileSync(secretFile, `${body.secret}\n`, { mode: 0o600 });
  return { username: body.name, secretFile };
}

const cli = (args: string[], queue: string) =>
  runCliProcess(args, { ...env, TEMPORAL_TASK_QUEUE: queue }, { timeoutMs: 180_000 });

before(() => {
  env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  for (const k of ['TEMPORAL_ADDRESS', 'HARBOR_URL', 'GITOPS_REPO_URL', 'COSIGN_BIN'])
    assert.ok(env[k], `${k} missing: run through scripts/test.sh integration`);
  sim = new SimControl(env);
});
after(async () => {
  await worker?.stop();
  await sim?.clearFaults();
});

describe('harbor-promote doctor', () => {
  it('all good: every check ✓, exit 0', async () => {
    const queue = `doctor-good-${nonce}`;
    worker = await startWorker({ ...env, TEMPORAL_TASK_QUEUE: queue }, join(dir, 'worker-good.log'));
    const file = writeFile(join(dir, 'good.yaml'), pipeline());
    const t0 = Date.now();
    const r = await cli(['doctor', '--pipeline', file], queue);
    const ms = Date.now() - t0;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /✗/);
    assert.match(r.stdout, /✓ Harbor at .* answers \(v2\.15\.2/);
    assert.match(
      r.stdout,
      /✓ staging \(platform-staging\) enforces cosign|✓ staging \(platform-staging\) does not enforce cosign/,
    );
    assert.match(
      r.stdout,
      /✓ platform-staging: robot\$promoter may read artifacts, read policy, copy into platform-staging, scan/,
    );
    assert.match(r.stdout, /✓ staging: overlay .* exists on main/);
    assert.match(r.stdout, /✓ cosign key pair matches/);
    assert.match(r.stdout, /all \d+ checks passed/);
    console.log(`doctor (all good) through the CLI: ${ms} ms`);
    await worker.stop();
    worker = undefined;
  });

  it('one mistake of each kind: each ✗ with its fix, exit 8; start refuses and starts nothing', async () => {
    const queue = `doctor-bad-${nonce}`;
    const robot = await robotWithoutCopy(`doctor-nocopy-${nonce}`);
    // A second key pair: its public key is not the stack's private key's.
    const other = await createCosignKey(env, join(dir, 'other-key'), 'other-password');
    worker = await startWorker({ ...env, TEMPORAL_TASK_QUEUE: queue }, join(dir, 'worker-bad.log'), {
      HARBOR_USERNAME: robot.username,
      HARBOR_PASSWORD_FILE: robot.secretFile,
      COSIGN_PUBLIC_KEY_FILE: other.publicKeyFile,
    });
    await sim.setFaults({}, 'unavailable'); // no scanner
    const before = await sim.state();
    const file = writeFile(
      join(dir, 'bad.yaml'),
      pipeline({
        stagingOverlay: 'applications/overlays/k8s-staging/services/nope/kustomization.yaml',
        productionProject: missingProject,
        stagingScan: '{ required: false }',
      }),
    );
    const r = await cli(['doctor', '--pipeline', file, '--json'], queue);
    assert.equal(r.code, 8, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.equal(report.ok, false);
    const failed = Object.fromEntries(report.checks.filter((c) => !c.ok).map((c) => [c.id, c]));
    assert.deepEqual(
      Object.keys(failed).sort(),
      [
        'cosign:keypair',
        'gitops:overlay:staging',
        'project:platform-dev:scanner',
        `project:${missingProject}:exists`,
        'project:platform-staging:permissions',
      ].sort(),
    );
    assert.match(
      failed[`project:${missingProject}:exists`]!.fix!,
      new RegExp(`create project ${missingProject}`),
    );
    assert.match(
      failed['project:platform-staging:permissions']!.message,
      /cannot copy into platform-staging \(needs artifact:create, tag:create\)/,
    );
    assert.match(
      failed['project:platform-staging:permissions']!.fix!,
      /grant robot\$doctor-nocopy-\w+ artifact:create, tag:create, scan:create on project platform-staging/,
    );
    assert.match(
      failed['gitops:overlay:staging']!.message,
      /services\/nope\/kustomization\.yaml does not exist on branch main/,
    );
    assert.match(failed['cosign:keypair']!.fix!, /COSIGN_PUBLIC_KEY_FILE/);
    assert.match(failed['project:platform-dev:scanner']!.fix!, /Interrogation Services/);
    // staging says which scan rule applies: without a scanner it passes, NOT scanned, with a warning.
    const staging = report.checks.find((c) => c.id === 'project:platform-staging:scanner')!;
    assert.equal(staging.ok, true);
    assert.equal(staging.warning, true);
    assert.match(staging.message, /no scanner configured; scan\.required: false .*NOT scanned/);

    // The same in text: one ✗ line and one fix line per mistake.
    const text = await cli(['doctor', '--pipeline', file], queue);
    assert.equal(text.code, 8);
    assert.equal(text.stdout.match(/^✗ /gm)?.length, 5, text.stdout);
    assert.equal(text.stdout.match(/^✗ .*\n {4}fix: /gm)?.length, 5, text.stdout);

    // start runs the pipeline checks first and starts nothing.
    const s = await cli(['start', `myservice:doctor-${nonce}`, '--pipeline', file], queue);
    assert.equal(s.code, 8, s.stdout + s.stderr);
    assert.match(s.stderr, /✗ .*does not exist in Harbor/);
    assert.match(s.stderr, /nothing started/);
    const status = await cli(['status', `promote-myservice@doctor-${nonce}`], queue);
    assert.equal(status.code, 4, status.stdout + status.stderr);

    // --json: one object, the failed checks with their fixes in the error.
    const sj = await cli(['start', `myservice:doctor-${nonce}`, '--pipeline', file, '--json'], queue);
    assert.equal(sj.code, 8, sj.stdout + sj.stderr);
    const out = JSON.parse(sj.stdout) as { error: string; exitCode: number };
    assert.equal(out.exitCode, 8);
    assert.match(out.error, /nothing started: .*does not exist in Harbor \(fix: create project/);

    // Read-only: the checks created, copied and scanned nothing.
    assert.deepEqual(await sim.state(), before);

    // --skip-doctor starts without the checks (this promotion then fails on its own: no such image).
    const skipped = await cli(
      ['start', `myservice:doctor-${nonce}`, '--pipeline', file, '--skip-doctor'],
      queue,
    );
    assert.equal(skipped.code, 0, skipped.stdout + skipped.stderr);
    assert.match(skipped.stdout, /^started promote-myservice@doctor-/);
    await cli(['cancel', `promote-myservice@doctor-${nonce}`], queue);
  });
});
