/**
 * End to end on the local stack (issue 11, item 5): a worker process, the `harbor-promote` bin and real
 * images whose build evidence CI attested with the real cosign (dev/demo/build-evidence.ts). Staging
 * requires the signature and an SBOM in dev: an image without its SBOM fails `EvidenceMissing` naming sbom
 * and copies nothing into staging; one with it is promoted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
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
import { HarborApi } from '../../../src/harbor/api';
import { HarborConnection } from '../../../src/harbor/client';

const nonce = randomBytes(3).toString('hex');
const repository = `evidence-${nonce}`;
const workDir = join(REPO_ROOT, '.data', 'e2e', `ev-${nonce}`);
const pipelineFile = join(workDir, 'pipeline.yaml');

let env: Record<string, string>;
let worker: WorkerProcess | undefined;

const cli = (args: string[]) => runCliProcess(args, env, { timeoutMs: 300_000 });

before(async () => {
  assert.ok(process.env.TEMPORAL_ADDRESS && process.env.HARBOR_URL, 'run through scripts/test.sh');
  env = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    TEMPORAL_TASK_QUEUE: `e2e-ev-${nonce}`,
  };
  writeFile(
    pipelineFile,
    `apiVersion: harbor-promote/v1
name: evidence-e2e
registry: ${new URL(env.HARBOR_URL!).host}
environments:
  - { name: dev, project: platform-dev, scan: { timeout: 5m, pollInterval: 1s } }
  - name: staging
    project: platform-staging
    scan: { timeout: 5m, pollInterval: 1s }
    requires: [signature, sbom]
`,
  );
  worker = await startWorker(env, join(workDir, 'worker.log'));
});

after(async () => {
  if (worker) await worker.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** Does platform-staging hold the digest? (admin read through the REST API; 404: not even the repository) */
async function inStaging(digest: string): Promise<boolean> {
  const connection = new HarborConnection({
    baseUrl: env.HARBOR_URL!,
    username: env.HARBOR_ADMIN_USERNAME ?? 'admin',
    password: env.HARBOR_ADMIN_PASSWORD!,
  });
  try {
    const arts = await new HarborApi(connection)
      .listArtifacts('platform-staging', repository, `digest=${digest}`)
      .catch((e: { status?: number }) => {
        if (e.status === 404) return [];
        throw e;
      });
    return arts.length > 0;
  } finally {
    await connection.close();
  }
}

describe('e2e: required evidence', { timeout: 600_000 }, () => {
  it('without the SBOM: EvidenceMissing naming sbom and dev, nothing copied into staging', async () => {
    const tag = `1.0.0-nosbom`;
    const image = await buildAndPush(env, {
      workDir,
      repository,
      tag,
      packages: CLEAN_PACKAGES,
      nonce,
      evidence: ['provenance'],
    });
    const r = await cli(['start', `${repository}:${tag}`, '--pipeline', pipelineFile, '--wait']);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 1, out);
    assert.match(out, /EvidenceMissing/);
    assert.match(
      out,
      new RegExp(`dev \\(platform-dev/${repository}\\) is missing sbom \\(no cosign attestation`),
    );
    assert.doesNotMatch(out, /missing signature/);
    assert.equal(await inStaging(image.digest), false, 'copied into staging despite the missing SBOM');
  });

  it('with the SBOM: the promotion completes', async () => {
    const tag = `1.0.1-sbom`;
    const image = await buildAndPush(env, {
      workDir,
      repository,
      tag,
      packages: CLEAN_PACKAGES,
      nonce: `${nonce}-2`,
      evidence: ['sbom'],
    });
    const r = await cli(['start', `${repository}:${tag}`, '--pipeline', pipelineFile, '--wait']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await inStaging(image.digest), true);
  });
});
