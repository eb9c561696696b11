// attestEnvironment / verifyAttestations with the real cosign v3.1.2 against the stack: one VSA and one
// promotion-record envelope per environment however often it runs, and the in-process DSSE check
// (signature.ts via evidence.ts) next to `cosign verify-attestation` on the same artifacts: valid, wrong
// key, tampered payload, another digest's envelope, missing. Both verifiers must give the same verdict.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { ArtifactRef } from '../../../src/activities/contract.js';
import { countAttestations, readAttestation } from '../../../src/activities/evidence.js';
import { buildActivities } from '../../../src/activities/index.js';
import { runProcess } from '../../../src/activities/process.js';
import { authFileContent } from '../../../src/activities/secrets.js';
import { attestationTag, OCI_MANIFEST, parsePublicKey } from '../../../src/activities/signature.js';
import {
  RECORD_PREDICATE_TYPE,
  VSA_PREDICATE_TYPE,
  type EnvironmentEvidence,
} from '../../../src/domain/attestation.js';
import { PipelineSchema } from '../../../src/domain/pipeline.js';
import { runCli } from '../../../src/cli/program.js';
import { RegistryApi } from '../../../src/harbor/registry.js';
import { stringify } from 'yaml';
import { ImagePusher } from './images.js';
import { activity, activityFixture, DEV, failure, STAGING } from './helpers.js';

const { env, cfg, acts, connection, api, sim, ci, repo } = activityFixture('attest');
const registry = new RegistryApi(connection);
const host = new URL(env.HARBOR_URL!).host;
const password = env.HARBOR_PASSWORD ?? readFileSync(env.HARBOR_PASSWORD_FILE!, 'utf8').trim();
const dir = mkdtempSync(join(tmpdir(), 'hp-attest-'));
writeFileSync(join(dir, 'config.json'), authFileContent(host, cfg.harborUsername, password), { mode: 0o600 });
const ourKey = parsePublicKey(readFileSync(env.COSIGN_PUBLIC_KEY_FILE!, 'utf8'));

export const pipeline = PipelineSchema.parse({
  apiVersion: 'harbor-promote/v1',
  name: 'attest-it',
  registry: host,
  environments: [
    { name: 'dev', project: DEV },
    { name: 'staging', project: STAGING },
  ],
});

function evidence(digest: string): EnvironmentEvidence {
  return {
    promotionId: `promote-${repo}@it`,
    pipeline: 'attest-it',
    repository: repo,
    reference: 'it',
    digest,
    environment: 'staging',
    environments: ['dev', 'staging'],
    requestedBy: 'ci',
    startedAt: '2026-01-01T00:00:00.000Z',
    scans: {},
    copies: {},
    approvals: {},
    verifications: {},
    overlays: {},
    steps: [],
  };
}

/** `cosign verify-attestation` with the project's offline flags: 'valid' on exit 0, else its last line. */
async function cosignVerdict(
  a: ArtifactRef,
  type: string,
  pub = env.COSIGN_PUBLIC_KEY_FILE!,
): Promise<string> {
  const r = await runProcess({
    bin: cfg.cosignBin,
    args: [
      'verify-attestation',
      '--key',
      pub,
      '--insecure-ignore-tlog',
      '--type',
      type,
      '--allow-http-registry',
      `${host}/${a.project}/${a.repository}@${a.digest}`,
    ],
    env: { HOME: dir, DOCKER_CONFIG: dir, TUF_ROOT: join(dir, 'tuf') },
    cwd: dir,
    timeoutMs: 60_000,
    label: 'cosign verify-attestation',
  });
  return r.code === 0 ? 'valid' : `exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`;
}

/** Both verifiers agree: valid, or both refuse (cosign's reason is printed for the record). */
async function agree(a: ArtifactRef, type: string, expected: 'valid' | 'none' | 'invalid', pub?: string) {
  const key = pub ? parsePublicKey(readFileSync(pub, 'utf8')) : ourKey;
  const t0 = performance.now();
  const inproc = await readAttestation(registry, a, key, type, { signer: true });
  const t1 = performance.now();
  const cli = await cosignVerdict(a, type, pub);
  const t2 = performance.now();
  console.log(
    `# ${type.split('/').slice(-2).join('/')} ${expected}: in-process ${inproc.state} (${(t1 - t0).toFixed(0)} ms), cosign ${cli} (${(t2 - t1).toFixed(0)} ms)`,
  );
  assert.equal(inproc.state, expected, JSON.stringify(inproc));
  assert.equal(cli === 'valid', expected === 'valid', cli);
}

function otherKeyPair(): { key: string; pub: string } {
  const d = mkdtempSync(join(tmpdir(), 'hp-otherkey-'));
  execFileSync(cfg.cosignBin, ['generate-key-pair', '--output-key-prefix', join(d, 'other')], {
    env: { ...process.env, COSIGN_PASSWORD: 'other-pw' },
    stdio: 'ignore',
  });
  return { key: join(d, 'other.key'), pub: join(d, 'other.pub') };
}

/** The `.att` manifest and its envelopes as stored. */
async function readAtt(a: ArtifactRef) {
  const m = await registry.getManifestAsSigner(a.project, a.repository, attestationTag(a.digest));
  assert.ok(m, `no .att for ${a.digest}`);
  const manifest = JSON.parse(m.bytes.toString('utf8')) as {
    layers: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[];
  };
  const envelopes = await Promise.all(
    manifest.layers.map((l) => registry.getBlob(a.project, a.repository, l.digest)),
  );
  return { manifest, envelopes };
}

/** CI pushes a hand-made `.att` for `digest` in dev. */
async function pushAtt(digest: string, layers: { envelope: Buffer; annotations: Record<string, string> }[]) {
  const config = Buffer.from('{}');
  const cd = await ci.blob(`${DEV}/${repo}`, config);
  const ls = [];
  for (const l of layers)
    ls.push({
      mediaType: 'application/vnd.dsse.envelope.v1+json',
      digest: await ci.blob(`${DEV}/${repo}`, l.envelope),
      size: l.envelope.length,
      annotations: l.annotations,
    });
  await ci.manifest(
    `${DEV}/${repo}`,
    attestationTag(digest),
    {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
      layers: ls,
    },
    OCI_MANIFEST,
  );
}

let attested: ArtifactRef;

before(async () => {
  await sim.clearFaults();
  const img = await ci.image(`${DEV}/${repo}`, 'one');
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${img.digest}`);
  await sim.completeScans();
  attested = { project: STAGING, repository: repo, digest: img.digest };
  await activity(acts.signImage, { artifact: attested });
});
after(() => connection.close());

describe('attestEnvironment', () => {
  it('a retried attempt leaves exactly one VSA and one record envelope; both verify', async () => {
    const input = { artifact: attested, pipeline, evidence: evidence(attested.digest) };
    const first = await activity(acts.attestEnvironment, input);
    assert.deepEqual(first.predicateTypes, [VSA_PREDICATE_TYPE, RECORD_PREDICATE_TYPE]);
    assert.match(first.policyDigest, /^[0-9a-f]{64}$/);
    const second = await activity(acts.attestEnvironment, input); // a retry after a crash
    assert.equal(second.policyDigest, first.policyDigest);
    // Harbor scans the `.att` like an image: staging (prevent_vul) refuses its manifest to an ordinary
    // read while that scan runs, but not to a signer's read (push token, cosign User-Agent).
    await assert.rejects(registry.getManifest(STAGING, repo, attestationTag(attested.digest)), /412/);
    assert.deepEqual(await activity(acts.verifyAttestations, { artifacts: [attested] }), [
      { project: STAGING, repository: repo, predicateTypes: [VSA_PREDICATE_TYPE, RECORD_PREDICATE_TYPE] },
    ]);
    assert.deepEqual(await countAttestations(registry, attested, { signer: true }), {
      [VSA_PREDICATE_TYPE]: 1,
      [RECORD_PREDICATE_TYPE]: 1,
    });
    await agree(attested, VSA_PREDICATE_TYPE, 'valid');
    await agree(attested, RECORD_PREDICATE_TYPE, 'valid');
    const v = await readAttestation(registry, attested, ourKey, VSA_PREDICATE_TYPE, { signer: true });
    assert.ok(v.state === 'valid');
    const p = v.statement.predicate as Record<string, unknown>;
    assert.deepEqual(p.verifiedLevels, ['HARBOR_PROMOTE_ENV_STAGING']);
    assert.equal(p.verificationResult, 'PASSED');
    assert.equal(p.resourceUri, `oci://${host}/${STAGING}/${repo}@${attested.digest}`);
    assert.deepEqual((p.policy as { digest: unknown }).digest, { sha256: first.policyDigest });
    assert.deepEqual(await activity(acts.verifyAttestations, { artifacts: [attested] }), [
      { project: STAGING, repository: repo, predicateTypes: [VSA_PREDICATE_TYPE, RECORD_PREDICATE_TYPE] },
    ]);
  });

  it('a crash between the two attestations: the retry leaves one of each', async () => {
    const img = await ci.image(`${DEV}/${repo}`, 'crash');
    await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${img.digest}`);
    await sim.completeScans();
    const a = { project: STAGING, repository: repo, digest: img.digest };
    await activity(acts.signImage, { artifact: a });
    // A cosign that dies (SIGKILL's 137) when asked for the record: the VSA is written, the record is not.
    const wrapper = join(dir, 'cosign-dies-on-record');
    writeFileSync(
      wrapper,
      `#!/bin/sh\ncase "$*" in *promotion-record*) exit 137;; esac\nexec '${cfg.cosignBin}' "$@"\n`,
      { mode: 0o700 },
    );
    const crashing = buildActivities({ ...cfg, cosignBin: wrapper });
    const input = { artifact: a, pipeline, evidence: evidence(a.digest) };
    await assert.rejects(
      activity(crashing.activities.attestEnvironment, input),
      (e: { nonRetryable?: boolean }) => e.nonRetryable === false,
    );
    await crashing.connection.close();
    assert.deepEqual(await countAttestations(registry, a, { signer: true }), { [VSA_PREDICATE_TYPE]: 1 });
    await activity(acts.attestEnvironment, input); // Temporal's retry
    assert.deepEqual(await countAttestations(registry, a, { signer: true }), {
      [VSA_PREDICATE_TYPE]: 1,
      [RECORD_PREDICATE_TYPE]: 1,
    });
  });

  it('a 5xx during a cosign attest run is retried within the attempt: one attempt, one of each', async () => {
    const img = await ci.image(`${DEV}/${repo}`, 'flaky');
    await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${img.digest}`);
    await sim.completeScans();
    const a = { project: STAGING, repository: repo, digest: img.digest };
    await activity(acts.signImage, { artifact: a });
    // Six blob-upload POSTs fail: go-containerregistry tries each upload 3 times (two uploads run side by
    // side), so the first cosign run fails, and the activity runs it again with the faults used up.
    await sim.resetCounters();
    await sim.faults({
      v2: { status: 503, errorRate: 0, failNext: 6, methods: ['POST'], pathIncludes: '/blobs/uploads/' },
    });
    try {
      await activity(acts.attestEnvironment, { artifact: a, pipeline, evidence: evidence(a.digest) });
      const counters = await sim.counters();
      assert.equal(counters.v2?.injected, 6, 'all six injected 503s were answered');
    } finally {
      await sim.clearFaults();
    }
    assert.deepEqual(await countAttestations(registry, a, { signer: true }), {
      [VSA_PREDICATE_TYPE]: 1,
      [RECORD_PREDICATE_TYPE]: 1,
    });
  });

  it('the final proof names a project without attestations', async () => {
    const dev = { ...attested, project: DEV };
    await assert.rejects(
      activity(acts.verifyAttestations, { artifacts: [attested, dev] }),
      failure('SignatureInvalid', `${DEV}/${repo}@${attested.digest}: no ${VSA_PREDICATE_TYPE} attestation`),
    );
  });
});

describe('in-process attestation check vs cosign verify-attestation', () => {
  it('missing', async () => {
    await agree({ ...attested, project: DEV }, VSA_PREDICATE_TYPE, 'none');
  });

  it('wrong key', async () => {
    await agree(attested, VSA_PREDICATE_TYPE, 'invalid', otherKeyPair().pub);
  });

  it('tampered payload (our envelope, one claim changed)', async () => {
    const { manifest, envelopes } = await readAtt(attested);
    const i = manifest.layers.findIndex((l) => l.annotations.predicateType === VSA_PREDICATE_TYPE);
    const e = JSON.parse(envelopes[i]!.toString('utf8')) as { payload: string };
    const payload = Buffer.from(e.payload, 'base64').toString('utf8').replace('"PASSED"', '"FAILED"');
    assert.match(payload, /"FAILED"/);
    const tampered = Buffer.from(JSON.stringify({ ...e, payload: Buffer.from(payload).toString('base64') }));
    await pushAtt(attested.digest, [{ envelope: tampered, annotations: manifest.layers[i]!.annotations }]);
    await agree({ ...attested, project: DEV }, VSA_PREDICATE_TYPE, 'invalid');
  });

  it("another digest's envelope", async () => {
    const { manifest, envelopes } = await readAtt(attested);
    const i = manifest.layers.findIndex((l) => l.annotations.predicateType === VSA_PREDICATE_TYPE);
    const other = await ci.image(`${DEV}/${repo}`, 'other');
    await pushAtt(other.digest, [{ envelope: envelopes[i]!, annotations: manifest.layers[i]!.annotations }]);
    await agree({ project: DEV, repository: repo, digest: other.digest }, VSA_PREDICATE_TYPE, 'invalid');
  });

  it('another predicate type asked for', async () => {
    await agree(attested, 'https://slsa.dev/provenance/v1', 'none');
  });
});

/** `harbor-promote verify …` in-process, as the promoter account, with the stack's public key. */
async function verifyCli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io = {
    stdout: { write: (x: string) => (out += x) },
    stderr: { write: (x: string) => (out += x) },
    env: {
      HARBOR_URL: env.HARBOR_URL,
      HARBOR_USERNAME: cfg.harborUsername,
      HARBOR_PASSWORD: password,
      COSIGN_PUBLIC_KEY_FILE: env.COSIGN_PUBLIC_KEY_FILE,
    },
  };
  return { code: await runCli(['verify', ...args], io), out };
}

describe('harbor-promote verify (registry alone)', () => {
  const file = join(dir, 'pipeline.yaml');
  before(() => writeFileSync(file, stringify(pipeline)));
  const ref = () => `${host}/${STAGING}/${repo}@${attested.digest}`;

  it('the attested digest in staging under its pipeline: exit 0, one line per check', async () => {
    const r = await verifyCli([ref(), '--env', 'staging', '--pipeline', file, '--require-approvals']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^✓ approvals: the pipeline requires no approval up to here$/m);
  });

  it('bad command lines: exit 2 naming the flag', async () => {
    const tag = await verifyCli([`${host}/${STAGING}/${repo}:one`, '--env', 'staging', '--pipeline', file]);
    assert.equal(tag.code, 2);
    assert.match(tag.out, /has no @sha256:<digest>/);
    const dev = await verifyCli([ref(), '--env', 'dev', '--pipeline', file]);
    assert.equal(dev.code, 2);
    assert.match(dev.out, /--env dev is not a destination/);
    const elsewhere = await verifyCli([
      `${DEV}/${repo}@${attested.digest}`,
      '--env',
      'staging',
      '--pipeline',
      file,
    ]);
    assert.equal(elsewhere.code, 2);
    assert.match(elsewhere.out, /IMAGE is in project platform-dev, but staging is project platform-staging/);
  });

  it('a tampered record: exit 1, naming the record check', async () => {
    const { manifest, envelopes } = await readAtt(attested);
    const i = manifest.layers.findIndex((l) => l.annotations.predicateType === RECORD_PREDICATE_TYPE);
    const e = JSON.parse(envelopes[i]!.toString('utf8')) as { payload: string };
    const payload = Buffer.from(e.payload, 'base64')
      .toString('utf8')
      .replace('"requestedBy":"ci"', '"requestedBy":"mallory"');
    assert.match(payload, /mallory/);
    const tampered = Buffer.from(JSON.stringify({ ...e, payload: Buffer.from(payload).toString('base64') }));
    // The promoter may push in staging: rewrite the `.att` with the VSA as it was and the record tampered.
    const promoter = new ImagePusher({ harborUrl: env.HARBOR_URL!, username: cfg.harborUsername, password });
    const layers = [];
    for (const [j, l] of manifest.layers.entries()) {
      const blob = j === i ? tampered : envelopes[j]!;
      layers.push({ ...l, digest: await promoter.blob(`${STAGING}/${repo}`, blob), size: blob.length });
    }
    const config = Buffer.from('{}');
    const cd = await promoter.blob(`${STAGING}/${repo}`, config);
    await promoter.manifest(
      `${STAGING}/${repo}`,
      attestationTag(attested.digest),
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
        layers,
      },
      OCI_MANIFEST,
    );
    const plain = await verifyCli([ref(), '--env', 'staging', '--pipeline', file]);
    assert.equal(plain.code, 0, `without --require-approvals the record is not read:\n${plain.out}`);
    const r = await verifyCli([
      ref(),
      '--env',
      'staging',
      '--pipeline',
      file,
      '--require-approvals',
      '--json',
    ]);
    assert.equal(r.code, 1, r.out);
    const j = JSON.parse(r.out) as { ok: boolean; checks: { name: string; ok: boolean; message: string }[] };
    assert.equal(j.ok, false);
    assert.deepEqual(
      j.checks.filter((c) => !c.ok).map((c) => c.name),
      ['record'],
    );
    assert.match(
      j.checks.find((c) => c.name === 'record')!.message,
      /no promotion record verifies with the key/,
    );
  });
});
