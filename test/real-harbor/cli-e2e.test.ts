/**
 * The CLI end to end on real Harbor v2.15.2, the promotions that succeed: the happy path through all three
 * projects (approval at production), a two-platform index, and the skopeo copy strategy. Each is driven
 * through the `harbor-promote` bin with a worker process, as a user would, and its end state is read from
 * outside: Harbor's REST API and registry over HTTP (as admin) and `git log` of the GitOps repository.
 * The refusals (quarantine, severity gate, unsigned in production) are in cli-e2e-refused.test.ts.
 * Runs only on a real-Harbor stack: scripts/test-real-harbor.sh starts one.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAndPush, CLEAN_PACKAGES, demoPipeline, type PushedImage } from '../../dev/demo/lib';
import { buildIndex } from '../../dev/oci-image/build';
import { pushImage } from '../../dev/oci-image/push';
import type { PromotionRecord } from '../../src/domain/promotion';
import { artifact, escape, gitLog, gitShow, isSigned, OVERLAY, pull, setUp, skip, type E2e } from './e2e';

const APPROVER = 'e2e-approver';
const PROJECTS = ['platform-dev', 'platform-staging', 'platform-production'];
let e: E2e;

/** dev → staging only, with the given copy strategy: what the index and skopeo promotions use. */
const toStaging = (name: string, strategy: 'harbor' | 'skopeo') => `apiVersion: harbor-promote/v1
name: ${name}
registry: ${e.host}
environments:
  - name: dev
    project: platform-dev
    severityThreshold: high
    scan: { timeout: 3m, pollInterval: 1s }
  - name: staging
    project: platform-staging
    severityThreshold: high
    copyStrategy: ${strategy}
    scan: { timeout: 3m, pollInterval: 1s }
`;

async function record(id: string): Promise<PromotionRecord> {
  const r = await e.cli(['record', id, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as PromotionRecord;
}

before(async () => {
  if (!skip) e = await setUp('ok');
});
after(async () => {
  if (e) await e.stop();
});

describe('real Harbor: the CLI end to end, promotions that complete', { skip, timeout: 900_000 }, () => {
  describe('happy path: dev → staging → production with an approval', () => {
    let image: PushedImage;
    let id: string;
    let file: string;
    before(async () => {
      const tag = `1.4.2-real${e.nonce}`;
      id = `promote-myservice@${tag}`;
      image = await buildAndPush(e.env, {
        workDir: e.dir,
        repository: 'myservice',
        tag,
        packages: CLEAN_PACKAGES,
        nonce: e.nonce,
      });
    });

    it('start, watch until production needs a person, approve, watch to the end: exit 0', async () => {
      file = e.pipeline('happy', demoPipeline(e.env, 'happy', APPROVER));
      const s = await e.cli(['start', `myservice:${image.tag}`, '--pipeline', file]);
      assert.equal(s.code, 0, s.stderr);
      assert.match(
        s.stdout,
        new RegExp(`started ${escape(id)}: myservice:${escape(image.tag)} dev → production`),
      );
      const w = await e.cli(['watch', id, '--until-waiting', '--timeout', '240']);
      assert.equal(w.code, 0, `${w.stdout}\n${w.stderr}`);
      assert.match(w.stdout, new RegExp(`harbor-promote approve ${escape(id)} --env production`));
      const a = await e.cli(['approve', id, '--env', 'production', '--as', APPROVER, '--comment', 'real']);
      assert.equal(a.code, 0, a.stderr);
      const end = await e.cli(['watch', id, '--timeout', '240']);
      assert.equal(end.code, 0, `${end.stdout}\n${end.stderr}`);
      assert.match(end.stdout, new RegExp(`all 3 digests identical: ${image.digest}`));
    });

    it('Harbor holds the same digest, signed, under the tag in all three projects, and it pulls', async () => {
      for (const p of PROJECTS) {
        const a = await artifact(e.env, p, 'myservice', image.tag);
        assert.equal(a?.digest, image.digest, p);
        assert.ok(isSigned(a), `${p}: no signature.cosign accessory`);
        const got = await pull(e.env, p, 'myservice', image.digest);
        assert.equal(got.status, 200, `${p}: ${got.text}`);
      }
    });

    it('git log of the GitOps repository has one commit per overlay, pinning the digest', async () => {
      const rec = await record(id);
      for (const envName of ['staging', 'production']) {
        const log = await gitLog(e.env, OVERLAY(envName));
        const mine = log.filter((l) => l.includes(image.digest));
        assert.equal(mine.length, 1, `${envName}: ${log.join('\n')}`);
        const commit = mine[0]!.split(' ')[0]!;
        assert.equal(rec.overlays[envName]?.commit, commit);
        const text = await gitShow(e.env, commit, OVERLAY(envName));
        assert.match(text, new RegExp(`newName: ${escape(e.host)}/platform-${envName}/myservice`));
        assert.match(text, new RegExp(`digest: ${image.digest}`));
      }
      assert.equal(rec.verifications.staging?.passed, true);
      assert.equal(rec.approvals.production?.approvals[0]?.approver, APPROVER);
    });

    it('staging and production carry a signed VSA and record; `verify --require-approvals` exits 0', async () => {
      const rec = await record(id);
      assert.deepEqual(Object.keys(rec.attestations ?? {}), ['staging', 'production']);
      assert.deepEqual(
        rec.proof.map((p) => [p.project, p.attested === true]),
        PROJECTS.map((p) => [p, p !== 'platform-dev']),
      );
      const ref = `${e.host}/platform-production/myservice@${image.digest}`;
      const v = await e.cli([
        'verify',
        ref,
        '--env',
        'production',
        '--pipeline',
        file,
        '--require-approvals',
      ]);
      assert.equal(v.code, 0, `${v.stdout}\n${v.stderr}`);
      assert.match(v.stdout, /^✓ approvals: approved: production by e2e-approver \(1\/1\)$/m);
    });
  });

  describe('a two-platform index', () => {
    const repo = 'e2e-multiarch';
    let tag: string;
    let built: Awaited<ReturnType<typeof buildIndex>>;
    let id: string;
    before(async () => {
      tag = `2.0.0-real${e.nonce}`;
      id = `promote-${repo}@${tag}`;
      const layout = join(e.dir, 'index-layout');
      built = await buildIndex({
        out: layout,
        tag,
        packages: CLEAN_PACKAGES,
        architectures: ['amd64', 'arm64'],
        label: `e2e index ${e.nonce}`,
      });
      const pushed = await pushImage({
        layoutDir: layout,
        tag,
        dest: `${e.host}/${'platform-dev'}/${repo}:${tag}`,
        username: e.env.HARBOR_CI_USERNAME!,
        password: e.env.HARBOR_CI_PASSWORD!,
        skopeoBin: e.env.SKOPEO_BIN,
        all: true,
      });
      assert.equal(pushed, built.indexDigest);
    });

    it('start --wait completes; the index digest is pinned, with both children', async () => {
      const file = e.pipeline('index', toStaging('index', 'harbor'));
      const r = await e.cli(['start', `${repo}:${tag}`, '--pipeline', file, '--wait']);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const rec = await record(id);
      assert.equal(rec.digest, built.indexDigest);
      assert.equal(rec.manifestMediaType, 'application/vnd.oci.image.index.v1+json');
    });

    it('platform-staging holds the signed index and both platform manifests, each pullable', async () => {
      const a = await artifact(e.env, 'platform-staging', repo, tag);
      assert.equal(a?.digest, built.indexDigest);
      assert.ok(isSigned(a), 'the index carries its signature');
      assert.deepEqual(
        (a.references ?? []).map((r) => [r.platform?.architecture, r.child_digest]).sort(),
        built.children.map((c) => [c.architecture, c.digest]).sort(),
      );
      for (const ref of [built.indexDigest, ...built.children.map((c) => c.digest)]) {
        const got = await pull(e.env, 'platform-staging', repo, ref);
        assert.equal(got.status, 200, `${ref}: ${got.text}`);
      }
    });
  });

  describe('the skopeo copy strategy', () => {
    const repo = 'e2e-skopeo';
    let image: PushedImage;
    let id: string;
    before(async () => {
      const tag = `3.0.0-real${e.nonce}`;
      id = `promote-${repo}@${tag}`;
      image = await buildAndPush(e.env, {
        workDir: e.dir,
        repository: repo,
        tag,
        packages: CLEAN_PACKAGES,
        nonce: e.nonce,
      });
    });

    it('start --wait completes and the record says skopeo copied it', async () => {
      const file = e.pipeline('skopeo', toStaging('skopeo', 'skopeo'));
      const r = await e.cli(['start', `${repo}:${image.tag}`, '--pipeline', file, '--wait']);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const rec = await record(id);
      assert.equal(rec.copies.staging?.strategy, 'skopeo');
      assert.equal(rec.copies.staging?.digest, image.digest);
    });

    it('platform-staging holds the same digest under the tag, signed, and it pulls', async () => {
      const a = await artifact(e.env, 'platform-staging', repo, image.tag);
      assert.equal(a?.digest, image.digest, 'skopeo preserved the digest');
      assert.ok(isSigned(a), 'the signature arrived in platform-staging');
      const got = await pull(e.env, 'platform-staging', repo, image.digest);
      assert.equal(got.status, 200, got.text);
    });
  });
});
