/**
 * What a finished promotion must have left behind, checked from the outside (Harbor as admin, the GitOps
 * repository), not from the record: the same digest under the tag in every project, exactly one cosign
 * signature (one accessory, one signature layer) per project, exactly one overlay commit per environment.
 */
import assert from 'node:assert/strict';
import type { PromotionRecord } from '../../src/domain/promotion';
import { commitsMentioning, isAncestor } from './gitops';
import type { HarborAdmin } from './harbor';

export const PROJECTS = ['platform-dev', 'platform-staging', 'platform-production'];

export async function assertPromotedOnce(o: {
  admin: HarborAdmin;
  gitops: string;
  repository: string;
  tag: string;
  digest: string;
  record: PromotionRecord;
  overlays?: Record<string, string>;
  projects?: string[];
}): Promise<void> {
  const { admin, repository, tag, digest, record } = o;
  assert.equal(record.digest, digest, 'the record pins the pushed digest');
  for (const p of record.proof) {
    assert.equal(p.digest, digest, `proof for ${p.project}`);
    assert.equal(p.signed, true, `proof for ${p.project} says signed`);
  }
  for (const project of o.projects ?? PROJECTS) {
    assert.equal(
      await admin.digestOf(project, repository, tag),
      digest,
      `${project}/${repository}:${tag} is the pinned digest`,
    );
    const accessories = await admin.signatureAccessories(project, repository, digest);
    assert.equal(
      accessories.length,
      1,
      `exactly one signature accessory in ${project}: ${JSON.stringify(accessories)}`,
    );
    assert.equal(
      await admin.signatureLayers(project, repository, digest),
      1,
      `exactly one signature in the .sig manifest in ${project}`,
    );
  }
  for (const [env, path] of Object.entries(o.overlays ?? {})) {
    const commits = await commitsMentioning(o.gitops, path, digest);
    assert.equal(
      commits.length,
      1,
      `exactly one overlay commit for ${env} (${path}): ${commits.map((c) => c.sha).join(', ')}`,
    );
    // The record names the commit that pinned the digest, or (when a retry found the overlay already
    // current) the branch head at that time, which contains it.
    const named = record.overlays[env]?.commit;
    assert.ok(
      named && (await isAncestor(o.gitops, commits[0]!.sha, named)),
      `the record's ${env} commit ${named} contains ${commits[0]!.sha}`,
    );
  }
}
