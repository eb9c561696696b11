/**
 * A Harbor without a scanner stays usable (issue 10 item 7), as a user sees it: harbor-sim with no scanner,
 * a pipeline with `scan: { required: false }` in dev and staging and `scan: false` in production. doctor
 * passes with warnings and says which rule applies; `start --wait` completes; the record says "not scanned"
 * for every environment; the image is signed in all three projects.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildAndPush,
  CLEAN_PACKAGES,
  REPO_ROOT,
  runCliProcess,
  startWorker,
  writeFile,
  type WorkerProcess,
} from '../../../dev/demo/lib';
import type { PromotionRecord } from '../../../src/domain/promotion';
import { SimControl } from '../../support/sim';

const nonce = randomBytes(3).toString('hex');
const dir = join(REPO_ROOT, '.data', 'doctor-test', `noscan-${nonce}`);
const queue = `noscan-${nonce}`;
const tag = `1.0.0-noscan${nonce}`;
let env: Record<string, string>;
let worker: WorkerProcess | undefined;
let sim: SimControl;
let file: string;

const cli = (args: string[]) =>
  runCliProcess(args, { ...env, TEMPORAL_TASK_QUEUE: queue }, { timeoutMs: 300_000 });

before(async () => {
  env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  for (const k of ['TEMPORAL_ADDRESS', 'HARBOR_URL', 'HARBOR_CI_USERNAME', 'SKOPEO_BIN'])
    assert.ok(env[k], `${k} missing: run through scripts/test.sh integration`);
  sim = new SimControl(env);
  await sim.setFaults({}, 'unavailable'); // before the push: no auto-scan either
  await buildAndPush(env, { workDir: dir, repository: 'noscan', tag, packages: CLEAN_PACKAGES, nonce });
  file = writeFile(
    join(dir, 'pipeline.yaml'),
    `apiVersion: harbor-promote/v1
name: noscan
registry: ${new URL(env.HARBOR_URL!).host}
environments:
  - { name: dev, project: platform-dev, scan: { required: false, pollInterval: 1s } }
  - { name: staging, project: platform-staging, scan: { required: false, pollInterval: 1s } }
  - { name: production, project: platform-production, scan: false }
`,
  );
  worker = await startWorker({ ...env, TEMPORAL_TASK_QUEUE: queue }, join(dir, 'worker.log'));
});
after(async () => {
  await worker?.stop();
  await sim?.clearFaults();
});

describe('Harbor without a scanner', () => {
  it('doctor passes with warnings and names the rule per environment', async () => {
    const r = await cli(['doctor', '--pipeline', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^! dev \(platform-dev\): no scanner configured; scan\.required: false/m);
    assert.match(r.stdout, /^✓ production \(platform-production\): no scanner needed; scan: false/m);
    assert.match(r.stdout, /all \d+ checks passed \(with warnings\)/);
  });

  it('the promotion completes, signed everywhere, and the record says not scanned', async () => {
    const t0 = Date.now();
    const r = await cli(['start', `noscan:${tag}`, '--pipeline', file, '--wait', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    console.log(`promotion without a scanner: ${Date.now() - t0} ms`);
    const rec = await cli(['record', `promote-noscan@${tag}`, '--json']);
    assert.equal(rec.code, 0, rec.stderr);
    const record = JSON.parse(rec.stdout) as PromotionRecord;
    assert.deepEqual(Object.keys(record.notScanned ?? {}), ['dev', 'staging', 'production']);
    assert.match(record.notScanned!.dev!, /no scanner for platform-dev/);
    assert.match(record.notScanned!.production!, /scan is false/);
    assert.deepEqual(record.scans, {});
    const text = await cli(['record', `promote-noscan@${tag}`]);
    assert.match(text.stdout, /^ {2}scan dev: not scanned: Harbor has no scanner for platform-dev/m);
    assert.match(text.stdout, /^ {2}scan production: not scanned: environments\[2\]\.scan is false/m);
    assert.deepEqual(
      record.proof.map((p) => [p.project, p.signed]),
      [
        ['platform-dev', true],
        ['platform-staging', true],
        ['platform-production', true],
      ],
    );
  });
});
