/**
 * The CLI end to end on real Harbor v2.15.2, where Harbor or the pipeline refuses an image:
 * - quarantine at staging: a HIGH finding passes the pipeline's gates (set at critical) but platform-staging
 *   prevents pulls of High or higher, so the promotion fails `Quarantined` with Harbor's own 412 message;
 * - the severity gate: the same image with dev's gate at high fails in dev, before any signature or copy;
 * - unsigned in production: platform-production enforces cosign. The promotion itself always signs in dev
 *   before the first copy, so what a user meets is an unsigned copy of the digest that reached production
 *   another way (an admin's "Copy" in Harbor's UI, a hotfix): every pull of it is refused with 412
 *   "not signed by cosign". Promoting that digest with harbor-promote brings the signature along
 *   (the copy finds the digest already there without one and copies the `.sig` over) and it pulls again.
 * End states are read from Harbor over HTTP as admin. Runs only under scripts/test-real-harbor.sh.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  buildAndPush,
  CLEAN_PACKAGES,
  demoPipeline,
  VULNERABLE_PACKAGES,
  type PushedImage,
} from '../../dev/demo/lib';
import type { PromotionRecord } from '../../src/domain/promotion';
import { adminCopy, artifact, failureOf, isSigned, pull, setUp, skip, type E2e } from './e2e';

let e: E2e;
// Harbor v2.15.2's words for the two pull policies (core/middlewares/vulnerable, cosign).
const PREVENT_HIGH = /Prevent images with vulnerability severity of \\?"High\\?" or higher/;
const NOT_SIGNED = /The image is not signed by cosign\./;

before(async () => {
  if (!skip) e = await setUp('refused');
});
after(async () => {
  if (e) await e.stop();
});

const push = (repository: string, tag: string, vulnerable: boolean) =>
  buildAndPush(e.env, {
    workDir: e.dir,
    repository,
    tag,
    packages: vulnerable ? VULNERABLE_PACKAGES : CLEAN_PACKAGES,
    nonce: `${e.nonce}-${repository}`,
  });

describe('real Harbor: the CLI end to end, refusals', { skip, timeout: 900_000 }, () => {
  describe('quarantine at staging', () => {
    let image: PushedImage;
    const id = () => `promote-myservice@${image.tag}`;
    before(async () => {
      image = await push('myservice', `1.4.3-quar${e.nonce}`, true);
    });

    it('start --wait exits 1; the failure is Quarantined with Harbor’s 412 message', async () => {
      const file = e.pipeline('quarantine', demoPipeline(e.env, 'quarantine', 'e2e-approver'));
      const r = await e.cli(['start', `myservice:${image.tag}`, '--pipeline', file, '--wait']);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      const f = await failureOf(e, id());
      assert.equal(f.status, 'FAILED');
      assert.match(f.failure, /^Quarantined/, f.failure);
      assert.match(f.failure, /platform-staging/, f.failure);
      assert.match(f.failure, PREVENT_HIGH, f.failure);
    });

    it('Harbor: the digest is in platform-staging but refused to pulls; nothing in production', async () => {
      const staged = await artifact(e.env, 'platform-staging', 'myservice', image.digest);
      assert.equal(staged?.digest, image.digest);
      const got = await pull(e.env, 'platform-staging', 'myservice', image.digest);
      assert.equal(got.status, 412);
      assert.match(got.text, PREVENT_HIGH);
      assert.equal(await artifact(e.env, 'platform-production', 'myservice', image.digest), undefined);
    });
  });

  describe('a vulnerable image blocked by the severity gate', () => {
    const repo = 'e2e-gate';
    let image: PushedImage;
    before(async () => {
      image = await push(repo, `1.0.0-gate${e.nonce}`, true);
    });

    it('with dev’s gate at high, start --wait exits 1 naming the finding; dev is not signed', async () => {
      const file = e.pipeline(
        'gate',
        `apiVersion: harbor-promote/v1
name: gate
registry: ${e.host}
environments:
  - name: dev
    project: platform-dev
    severityThreshold: high
    scan: { timeout: 3m, pollInterval: 1s }
  - { name: staging, project: platform-staging, severityThreshold: high }
`,
      );
      const r = await e.cli(['start', `${repo}:${image.tag}`, '--pipeline', file, '--wait']);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      const f = await failureOf(e, `promote-${repo}@${image.tag}`);
      assert.match(f.failure, /^VulnerabilityPolicyViolation/, f.failure);
      assert.match(f.failure, /platform-dev/, f.failure);
      assert.match(f.failure, /High/, f.failure);
      const dev = await artifact(e.env, 'platform-dev', repo, image.digest);
      assert.equal(isSigned(dev), false, 'the gate comes before the signature');
    });

    it('Harbor: nothing was copied to platform-staging', async () => {
      assert.equal(await artifact(e.env, 'platform-staging', repo, image.digest), undefined);
    });
  });

  describe('an unsigned image in production', () => {
    const repo = 'e2e-unsigned';
    let image: PushedImage;
    before(async () => {
      image = await push(repo, `1.0.0-unsig${e.nonce}`, false);
    });

    it('copied into platform-production by hand, every pull of it is refused: 412 not signed', async () => {
      await adminCopy(e.env, `platform-dev/${repo}@${image.digest}`, 'platform-production', repo);
      const a = await artifact(e.env, 'platform-production', repo, image.digest);
      assert.equal(a?.digest, image.digest);
      assert.equal(isSigned(a), false);
      const got = await pull(e.env, 'platform-production', repo, image.digest);
      assert.equal(got.status, 412, got.text);
      assert.match(got.text, NOT_SIGNED);
    });

    it('promoting that digest signs it, brings the signature to production, and it pulls', async () => {
      const file = e.pipeline(
        'unsigned',
        `apiVersion: harbor-promote/v1
name: unsigned
registry: ${e.host}
environments:
  - name: dev
    project: platform-dev
    severityThreshold: high
    scan: { timeout: 3m, pollInterval: 1s }
  - name: production
    project: platform-production
    severityThreshold: high
    scan: { timeout: 3m, pollInterval: 1s }
`,
      );
      const id = `promote-${repo}@${image.tag}`;
      const r = await e.cli(['start', `${repo}:${image.tag}`, '--pipeline', file, '--wait']);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const rec = JSON.parse((await e.cli(['record', id, '--json'])).stdout) as PromotionRecord;
      assert.equal(rec.copies.production?.signatureRepaired, true, 'the copy found no signature there');
      const a = await artifact(e.env, 'platform-production', repo, image.digest);
      assert.ok(isSigned(a), 'platform-production now has the signature.cosign accessory');
      const got = await pull(e.env, 'platform-production', repo, image.digest);
      assert.equal(got.status, 200, got.text);
    });
  });
});
