// Conformance: where Harbor keeps `cosign attest` output, whether CopyArtifact carries it, and whether
// `enable_content_trust_cosign` counts it as a signature (tracker issue 11, item 1; docs/attestations-on-harbor.md).
// Both formats of cosign v3.1.2 are measured: the legacy one (`--new-bundle-format=false`: a DSSE envelope
// under the tag `sha256-<hex>.att`) and v3's default (a Sigstore bundle pushed as an OCI 1.1 referrer).
// Runs against harbor-sim (npm test) and a real Harbor (scripts/test-real-harbor.sh), like harbor.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { HarborApi, RegistryApi, type HarborConnection } from '../../src/harbor/index';
import { copyArtifact, Fixture, harborError } from './fixture';
import { CLEAN, Cosign, pushImageTo, removeWorkDir } from './images';
import { connect, resolveTarget, type ConformanceTarget, type Creds } from './target';

const VSA = 'https://slsa.dev/verification_summary/v1';
const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const REPO = 'team/app';
const predicate = {
  verifier: { id: 'https://harbor-promote.dev/conformance' },
  timeVerified: '2026-01-01T00:00:00Z',
  resourceUri: 'conformance',
  policy: { uri: 'conformance' },
  verificationResult: 'PASSED',
  verifiedLevels: ['HARBOR_PROMOTE_ENV_CONFORMANCE'],
};

/** The OCI referrers index (`GET /v2/<name>/referrers/<digest>`). */
const Referrers = z.looseObject({
  manifests: z
    .array(
      z.looseObject({
        digest: z.string(),
        artifactType: z.string().optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      }),
    )
    .nullish(),
});

let t: ConformanceTarget;
let fx: Fixture;
let adminConn: HarborConnection;
let pullConn: HarborConnection;
let admin: HarborApi;
let cosign: Cosign;
/** A deployer: may only pull from the content-trust project (no push, so no cosign bypass). */
let puller: Creds;
const P = { src: '', signed: '', vul: '' };
const repoOf = (project: string): string => `${project}/${REPO}`;
const attTag = (digest: string): string => `sha256-${digest.slice('sha256:'.length)}.att`;

async function referrers(project: string, digest: string): Promise<z.infer<typeof Referrers>> {
  const name = repoOf(project).split('/').map(encodeURIComponent).join('/');
  const res = await adminConn.request({
    api: 'registry',
    method: 'GET',
    template: `/v2/${name}/referrers/${digest}`,
    headers: { accept: 'application/vnd.oci.image.index.v1+json' },
  });
  return Referrers.parse(JSON.parse(res.body));
}

/** Layer media types of the legacy `.att` manifest. */
async function attLayers(project: string, digest: string): Promise<string[]> {
  const name = repoOf(project).split('/').map(encodeURIComponent).join('/');
  const res = await adminConn.request({
    api: 'registry',
    method: 'GET',
    template: `/v2/${name}/manifests/${attTag(digest)}`,
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  const m = z.looseObject({ layers: z.array(z.looseObject({ mediaType: z.string() })) });
  return m.parse(JSON.parse(res.body)).layers.map((l) => l.mediaType);
}

before(async () => {
  t = await resolveTarget();
  adminConn = connect(t, t.admin, []);
  admin = new HarborApi(adminConn);
  fx = new Fixture(t, adminConn);
  cosign = new Cosign(t);
  P.src = await fx.project('asrc', {});
  P.signed = await fx.project('asigned', { enable_content_trust_cosign: 'true' });
  P.vul = await fx.project('avul', { prevent_vul: 'true', severity: 'high', auto_scan: 'true' });
  puller = await fx.robot('apuller', { [P.signed]: ['project:read', 'artifact:read', 'repository:pull'] });
  pullConn = connect(t, puller, []);
});

after(async () => {
  const problems = fx ? await fx.cleanup() : [];
  await pullConn?.close();
  await adminConn?.close();
  removeWorkDir();
  if (problems.length === 0) return;
  const text = `attestation conformance cleanup left objects behind on ${t.url}:\n  ${problems.join('\n  ')}`;
  if (t.isSim) console.warn(`warning (harbor-sim ${t.version}): ${text}`);
  else throw new Error(text);
});

describe('cosign attest output on Harbor', () => {
  it('legacy format (.att tag): a plain tagged artifact, no accessory; copy leaves it behind; content trust refuses', async (tc) => {
    const img = await pushImageTo(t, t.admin, repoOf(P.src), 'legacy', CLEAN);
    await cosign.attest(t.admin, repoOf(P.src), img, { type: VSA, predicate, format: 'legacy' });
    assert.equal((await cosign.verifyAttestation(t.admin, repoOf(P.src), img, VSA)).code, 0);

    const subject = await admin.getArtifact(P.src, REPO, img, { withTag: true, withAccessory: true });
    assert.deepEqual(subject.accessories ?? [], [], 'an .att tag is not an accessory');
    const att = await admin.getArtifact(P.src, REPO, attTag(img), { withTag: true, withAccessory: true });
    tc.diagnostic(`.att artifact: type=${att.type} media_type=${att.media_type} digest=${att.digest}`);
    assert.deepEqual(
      (att.tags ?? []).map((x) => x.name),
      [attTag(img)],
    );
    // It shows in the repository's artifact list like any image (accessories never do).
    const listed = await admin.listArtifacts(P.src, REPO, `digest=${att.digest}`);
    assert.deepEqual(
      listed.map((x) => x.digest),
      [att.digest],
    );
    assert.deepEqual((await referrers(P.src, img)).manifests ?? [], []);

    await copyArtifact(admin, P.signed, REPO, `${repoOf(P.src)}@${img}`);
    const copied = await admin.getArtifact(P.signed, REPO, img, { withTag: true, withAccessory: true });
    assert.deepEqual(copied.accessories ?? [], []);
    assert.equal((await harborError(() => admin.getArtifact(P.signed, REPO, attTag(img)))).status, 404);
    const e = await harborError(() => new RegistryApi(pullConn).headManifest(P.signed, REPO, img));
    assert.deepEqual([e.status, e.harborMessage], [412, 'The image is not signed by cosign.']);
    const v = await cosign.verifyAttestation(t.admin, repoOf(P.signed), img, VSA);
    tc.diagnostic(`verify-attestation on the copy: exit ${v.code}: ${v.stderr.trim().split('\n').pop()}`);
    assert.equal(v.code, 1, 'the copy has no attestation');
    assert.match(v.stderr, /no matching attestations/);

    // The .att is an ordinary artifact, so it can be copied by its tag on its own, and then verifies.
    await copyArtifact(admin, P.signed, REPO, `${repoOf(P.src)}:${attTag(img)}`);
    assert.equal((await admin.getArtifact(P.signed, REPO, attTag(img))).digest, att.digest);
    const va = await cosign.verifyAttestation(t.admin, repoOf(P.signed), img, VSA);
    assert.equal(va.code, 0, va.stderr);
    // But in a content-trust project the .att itself is an unsigned image: a pull-only account is refused
    // it (412), so verify-attestation fails there; a push-capable one passes by cosign's User-Agent bypass.
    const blocked = await harborError(() =>
      new RegistryApi(pullConn).headManifest(P.signed, REPO, attTag(img)),
    );
    assert.equal(blocked.status, 412);
    const vp = await cosign.verifyAttestation(puller, repoOf(P.signed), img, VSA);
    tc.diagnostic(
      `verify-attestation as a pull-only robot: exit ${vp.code}: ${vp.stderr.trim().split('\n').pop()}`,
    );
    assert.equal(vp.code, 1);
    assert.match(vp.stderr, /PROJECTPOLICYVIOLATION: The image is not signed by cosign\./);

    // Attesting again appends a second envelope to the same tag; --replace swaps the one of that type.
    await cosign.attest(t.admin, repoOf(P.src), img, { type: VSA, predicate, format: 'legacy' });
    assert.equal((await attLayers(P.src, img)).length, 2);
    await cosign.attest(t.admin, repoOf(P.src), img, {
      type: VSA,
      predicate,
      format: 'legacy',
      replace: true,
    });
    assert.deepEqual(await attLayers(P.src, img), ['application/vnd.dsse.envelope.v1+json']);
    // Not an accessory, so deleting the image leaves the .att behind.
    await admin.deleteArtifact(P.src, REPO, img);
    assert.equal((await admin.getArtifact(P.src, REPO, attTag(img))).type, 'IMAGE');
  });

  it('bundle format (v3 default): a signature.cosign accessory; copy carries it; content trust lets it through', async (tc) => {
    const img = await pushImageTo(t, t.admin, repoOf(P.src), 'bundle', CLEAN);
    await cosign.attest(t.admin, repoOf(P.src), img, { type: VSA, predicate, format: 'bundle' });
    assert.equal((await cosign.verifyAttestation(t.admin, repoOf(P.src), img, VSA)).code, 0);

    const subject = await admin.getArtifact(P.src, REPO, img, { withTag: true, withAccessory: true });
    const accs = subject.accessories ?? [];
    tc.diagnostic(`accessories: ${JSON.stringify(accs.map((a) => ({ type: a.type, digest: a.digest })))}`);
    assert.deepEqual(
      accs.map((a) => a.type),
      ['signature.cosign'],
      'Harbor files any sigstore bundle referrer as a cosign signature',
    );
    assert.equal(
      (await harborError(() => admin.getArtifact(P.src, REPO, attTag(img)))).status,
      404,
      'no .att tag',
    );
    const refs = (await referrers(P.src, img)).manifests ?? [];
    tc.diagnostic(`referrers: ${JSON.stringify(refs)}`);
    assert.deepEqual(
      refs.map((r) => [r.digest, r.artifactType]),
      [[accs[0]!.digest, BUNDLE]],
    );
    assert.equal(refs[0]!.annotations?.['dev.sigstore.bundle.predicateType'], VSA);

    await copyArtifact(admin, P.signed, REPO, `${repoOf(P.src)}@${img}`);
    const copied = await admin.getArtifact(P.signed, REPO, img, { withTag: true, withAccessory: true });
    assert.deepEqual(
      (copied.accessories ?? []).map((a) => [a.type, a.digest]),
      [['signature.cosign', accs[0]!.digest]],
    );
    // Only an attestation, no signature, yet the cosign content-trust policy lets the pull through.
    assert.equal((await new RegistryApi(pullConn).headManifest(P.signed, REPO, img)).digest, img);
    const v = await cosign.verifyAttestation(puller, repoOf(P.signed), img, VSA);
    assert.equal(v.code, 0, v.stderr);
    // cosign v3.1.2 `verify` (no --type) accepts the attestation bundle as a signature too: its payload's
    // `critical.type` is the predicate type instead of "cosign container image signature".
    const s = await cosign.verify(puller, repoOf(P.signed), img);
    assert.equal(s.code, 0, s.stderr);

    // A second attest adds a second referrer (no replacement); a re-copy does not carry it (copy is deep
    // only the first time, harbor-api.md §4).
    await cosign.attest(t.admin, repoOf(P.src), img, { type: VSA, predicate, format: 'bundle' });
    assert.equal((await referrers(P.src, img)).manifests?.length, 2);
    await copyArtifact(admin, P.signed, REPO, `${repoOf(P.src)}@${img}`);
    assert.equal((await referrers(P.signed, img)).manifests?.length, 1);
    // An accessory goes with its subject.
    await admin.deleteArtifact(P.src, REPO, img);
    assert.equal((await harborError(() => admin.getArtifact(P.src, REPO, accs[0]!.digest))).status, 404);
  });

  it('legacy .att in a prevent_vul project: Harbor scans it; a signer read (push token, cosign UA) passes whatever its scan', async (tc) => {
    const img = await pushImageTo(t, t.admin, repoOf(P.vul), 'vul', CLEAN);
    await cosign.attest(t.admin, repoOf(P.vul), img, { type: VSA, predicate, format: 'legacy' });
    // The signer read works at once, while the .att's own auto-scan may still run (harbor-promote's
    // in-process check and `verify` read this way: RegistryApi.getManifestAsSigner).
    const signer = await new RegistryApi(adminConn).getManifestAsSigner(P.vul, REPO, attTag(img));
    assert.ok(signer, 'the signer read found the .att');
    assert.ok(JSON.parse(signer.bytes.toString('utf8')).layers.length >= 1);
    // Harbor scans the .att like an image: wait for its report to end and show it.
    let status: string | undefined;
    for (let i = 0; i < 120 && !['Success', 'Error', 'Stopped'].includes(status ?? ''); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 500));
      const a = await admin.getArtifact(P.vul, REPO, attTag(img), { withScanOverview: true });
      const o = Object.values(
        (a as { scan_overview?: Record<string, { scan_status?: string }> }).scan_overview ?? {},
      )[0];
      status = o?.scan_status;
    }
    tc.diagnostic(`scan of the .att in a prevent_vul project: ${status ?? 'no report'}`);
    const plain = await new RegistryApi(adminConn).getManifest(P.vul, REPO, attTag(img)).then(
      () => 'served',
      (e: { status?: number; harborMessage?: string }) => `${e.status} ${e.harborMessage ?? ''}`,
    );
    tc.diagnostic(`a basic-auth read of the .att after its scan: ${plain}`);
    if (status === 'Success') assert.equal(plain, 'served');
    else assert.match(plain, /^412 /);
    // Still readable by the signer after the scan, whatever it found.
    assert.ok(await new RegistryApi(adminConn).getManifestAsSigner(P.vul, REPO, attTag(img)));
    const v = await cosign.verifyAttestation(t.admin, repoOf(P.vul), img, VSA);
    assert.equal(v.code, 0, v.stderr);
  });

  it('a registry token asked only for pull carries every action the account holds on the project', async () => {
    const scope = `repository:${repoOf(P.signed)}:pull`;
    const res = await adminConn.request({
      method: 'GET',
      api: 'registry',
      template: `/service/token?service=harbor-registry&scope=${encodeURIComponent(scope)}`,
    });
    const { token } = z.object({ token: z.string() }).parse(JSON.parse(res.body));
    const claims = z
      .looseObject({ access: z.array(z.looseObject({ name: z.string(), actions: z.array(z.string()) })) })
      .parse(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')));
    assert.deepEqual(
      claims.access.map((a) => [a.name, [...a.actions].sort()]),
      [[repoOf(P.signed), ['delete', 'pull', 'push']]],
    );
  });
});
