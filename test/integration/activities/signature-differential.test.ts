// The in-process signature check (signature.ts via verifySignature) against the real cosign v3.1.2 CLI with
// the project's offline flags (verifyArgs), on the same artifacts of harbor-sim: both must give the same
// verdict (valid / no signature / invalid) on every case but one, which is asserted as a difference: a
// payload of another `critical.type` (cosign does not check the type; the brief requires it). Also prints
// the time of each side per check.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { ArtifactRef } from '../../../src/activities/contract.js';
import { classifyVerify, verifyArgs } from '../../../src/activities/cosign.js';
import { buildActivities } from '../../../src/activities/index.js';
import { runProcess } from '../../../src/activities/process.js';
import { authFileContent } from '../../../src/activities/secrets.js';
import { OCI_MANIFEST, SIGNATURE_ANNOTATION, signatureTag } from '../../../src/activities/signature.js';
import { RegistryApi } from '../../../src/harbor/registry.js';
import { activity, activityFixture, configFromEnv, DEV, PROD, STAGING } from './helpers.js';

const { env, cfg, acts, connection, api, sim, ci, repo } = activityFixture('sigdiff');
const registry = new RegistryApi(connection);
const host = new URL(env.HARBOR_URL!).host;
const password = env.HARBOR_PASSWORD ?? readFileSync(env.HARBOR_PASSWORD_FILE!, 'utf8').trim();
const cosignDir = mkdtempSync(join(tmpdir(), 'hp-sigdiff-'));
writeFileSync(join(cosignDir, 'config.json'), authFileContent(host, cfg.harborUsername, password), {
  mode: 0o600,
});

type Verdict = 'valid' | 'none' | 'invalid';
/** Wall time per check, by expected verdict (a failing in-process verdict is read twice: confirm-once). */
const timings = {
  cli: [] as number[],
  inproc: [] as number[],
  cliValid: [] as number[],
  inprocValid: [] as number[],
};

/** The real cosign CLI, as the project ran it before (same flags, private DOCKER_CONFIG). */
async function cosignVerdict(a: ArtifactRef): Promise<string> {
  const t = performance.now();
  const r = await runProcess({
    bin: cfg.cosignBin,
    args: verifyArgs(`${host}/${a.project}/${a.repository}@${a.digest}`, {
      pubFile: env.COSIGN_PUBLIC_KEY_FILE!,
      plainHttp: true,
    }),
    env: { HOME: cosignDir, DOCKER_CONFIG: cosignDir, TUF_ROOT: join(cosignDir, 'tuf') },
    cwd: cosignDir,
    timeoutMs: 60_000,
    label: 'cosign verify',
  });
  timings.cli.push(performance.now() - t);
  return classifyVerify(r);
}

/** The worker's in-process check, read back from what verifySignature answers. */
async function inProcessVerdict(a: ArtifactRef): Promise<Verdict> {
  const t = performance.now();
  try {
    await activity(acts.verifySignature, { artifact: a });
    return 'valid';
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, 'SignatureInvalid', err.message);
    return /no cosign signature found/.test(err.message) ? 'none' : 'invalid';
  } finally {
    timings.inproc.push(performance.now() - t);
  }
}

async function agree(a: ArtifactRef, expected: Verdict, what: string): Promise<void> {
  const [inproc, cli] = [await inProcessVerdict(a), await cosignVerdict(a)];
  if (expected === 'valid') {
    timings.cliValid.push(timings.cli.at(-1)!);
    timings.inprocValid.push(timings.inproc.at(-1)!);
  }
  assert.deepEqual({ what, inproc, cli }, { what, inproc: expected, cli: expected });
}

/** Our key's signature over arbitrary payload bytes, made by cosign itself (sign-blob, offline flags). */
function signBlob(payload: Buffer): string {
  const file = join(cosignDir, 'payload.json');
  writeFileSync(file, payload);
  const pw = env.COSIGN_PASSWORD ?? readFileSync(env.COSIGN_PASSWORD_FILE!, 'utf8');
  return execFileSync(
    cfg.cosignBin,
    [
      'sign-blob',
      '--key',
      env.COSIGN_KEY_FILE!,
      '--tlog-upload=false',
      '--use-signing-config=false',
      '--new-bundle-format=false',
      '--yes',
      file,
    ],
    {
      env: { PATH: process.env.PATH, HOME: cosignDir, COSIGN_PASSWORD: pw },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  )
    .toString()
    .trim();
}

function otherKeyPair(): { key: string; pub: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hp-otherkey-'));
  execFileSync(cfg.cosignBin, ['generate-key-pair', '--output-key-prefix', join(dir, 'other')], {
    env: { ...process.env, COSIGN_PASSWORD: 'other-pw' },
    stdio: 'ignore',
  });
  return { key: join(dir, 'other.key'), pub: join(dir, 'other.pub') };
}

/** An image pushed to dev by CI and copied server-side to staging, where the promoter may sign. */
async function inStaging(tag: string): Promise<ArtifactRef> {
  const img = await ci.image(`${DEV}/${repo}`, tag);
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${img.digest}`);
  await sim.completeScans();
  return { project: STAGING, repository: repo, digest: img.digest };
}

/** The `.sig` manifest and its first payload, as stored. */
async function readSignature(a: ArtifactRef) {
  const m = await registry.getManifest(a.project, a.repository, signatureTag(a.digest));
  assert.ok(m, `no .sig for ${a.digest}`);
  const manifest = JSON.parse(m.bytes.toString('utf8')) as {
    layers: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[];
  };
  const layer = manifest.layers[0]!;
  const payload = await registry.getBlob(a.project, a.repository, layer.digest);
  return { manifest, layer, payload };
}

/** CI pushes a hand-made `.sig` for `digest` in dev: one simple-signing layer per entry. */
async function pushSig(
  digest: string,
  layers: { payload: Buffer; annotations: Record<string, string> }[],
): Promise<void> {
  const config = Buffer.from('{}');
  const cd = await ci.blob(`${DEV}/${repo}`, config);
  const ls = [];
  for (const l of layers) {
    const d = await ci.blob(`${DEV}/${repo}`, l.payload);
    ls.push({
      mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      digest: d,
      size: l.payload.length,
      annotations: l.annotations,
    });
  }
  const m = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
    layers: ls,
  };
  await ci.manifest(`${DEV}/${repo}`, signatureTag(digest), m, OCI_MANIFEST);
}

before(async () => {
  await sim.clearFaults();
});
after(() => connection.close());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

describe('in-process signature check agrees with cosign verify', () => {
  let signed: ArtifactRef;
  after(() => {
    const m = (xs: number[]) => median(xs).toFixed(1);
    console.log(
      `# per check, median wall time: cosign CLI ${m(timings.cli)} ms, in-process ${m(timings.inproc)} ms, ratio ${(median(timings.cli) / median(timings.inproc)).toFixed(1)}x (${timings.cli.length} checks each); valid only: ${m(timings.cliValid)} ms vs ${m(timings.inprocValid)} ms, ratio ${(median(timings.cliValid) / median(timings.inprocValid)).toFixed(1)}x (${timings.cliValid.length})`,
    );
  });

  it('valid signature', async () => {
    signed = await inStaging('valid');
    assert.equal((await activity(acts.signImage, { artifact: signed })).signed, true);
    await agree(signed, 'valid', 'valid');
  });

  it('no signature', async () => {
    const img = await ci.image(`${DEV}/${repo}`, 'unsigned');
    await agree({ project: DEV, repository: repo, digest: img.digest }, 'none', 'unsigned');
  });

  it('signed with another key only', async () => {
    const other = otherKeyPair();
    const foreign = buildActivities(
      configFromEnv(env, {
        cosignKey: { file: other.key },
        cosignPublicKey: { file: other.pub },
        cosignPassword: { value: 'other-pw' },
      }),
    );
    const a = await inStaging('wrongkey');
    assert.equal((await activity(foreign.activities.signImage, { artifact: a })).signed, true);
    await agree(a, 'invalid', 'wrong key');
    // two signatures, the foreign one first and ours appended: one valid is enough
    assert.equal((await activity(acts.signImage, { artifact: a })).signed, true);
    assert.equal((await readSignature(a)).manifest.layers.length, 2);
    await agree(a, 'valid', 'two signatures, one valid');
    await foreign.connection.close();
  });

  it('tampered payload (our signature, one byte of the payload changed)', async () => {
    const { layer, payload } = await readSignature(signed);
    const tampered = Buffer.from(payload.toString('utf8').replace('"critical"', '"critical" '));
    assert.notDeepEqual(tampered, payload);
    // the same digest exists in dev (CI pushed it there before the copy), unsigned there
    await pushSig(signed.digest, [{ payload: tampered, annotations: layer.annotations }]);
    await agree({ ...signed, project: DEV }, 'invalid', 'tampered');
  });

  it('a valid signature for another digest', async () => {
    const { layer, payload } = await readSignature(signed);
    const img = await ci.image(`${DEV}/${repo}`, 'other-digest');
    await pushSig(img.digest, [{ payload, annotations: layer.annotations }]);
    await agree(
      { project: DEV, repository: repo, digest: img.digest },
      'invalid',
      'payload for another digest',
    );
  });

  it('our signature over a payload of another critical.type: in-process refuses it, cosign accepts it', async () => {
    // cosign's claim check (SimpleClaimVerifier) compares only the digest; this promoter signs only
    // `cosign container image signature` payloads, so anything else is not its signature. The one case
    // where the two verifiers differ on purpose.
    const img = await ci.image(`${DEV}/${repo}`, 'other-type');
    const p = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': `${host}/${DEV}/${repo}` },
          image: { 'docker-manifest-digest': img.digest },
          type: 'something else',
        },
        optional: null,
      }),
    );
    await pushSig(img.digest, [{ payload: p, annotations: { [SIGNATURE_ANNOTATION]: signBlob(p) } }]);
    const a = { project: DEV, repository: repo, digest: img.digest };
    assert.deepEqual([await inProcessVerdict(a), await cosignVerdict(a)], ['invalid', 'valid']);
  });

  it('our signature made outside cosign sign (sign-blob) over a well-formed payload: both valid', async () => {
    const img = await ci.image(`${DEV}/${repo}`, 'sign-blob');
    const p = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': `${host}/${DEV}/${repo}` },
          image: { 'docker-manifest-digest': img.digest },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    );
    await pushSig(img.digest, [{ payload: p, annotations: { [SIGNATURE_ANNOTATION]: signBlob(p) } }]);
    await agree({ project: DEV, repository: repo, digest: img.digest }, 'valid', 'sign-blob payload');
  });

  it('an index and each child (recursive signature)', async () => {
    const idx = await ci.index(`${DEV}/${repo}`, 'multi');
    await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${idx.digest}`);
    await sim.completeScans();
    const a = { project: STAGING, repository: repo, digest: idx.digest };
    assert.equal((await activity(acts.signImage, { artifact: a })).signed, true);
    for (const d of [idx.digest, ...idx.children]) await agree({ ...a, digest: d }, 'valid', `index ${d}`);
    // the same index in dev is unsigned there, and so is each child
    for (const d of [idx.digest, ...idx.children])
      await agree({ project: DEV, repository: repo, digest: d }, 'none', `unsigned index ${d}`);
  });

  it('unsigned in a project that blocks pulls of unsigned images (production): none', async () => {
    // Harbor answers the worker's manifest read with 412 "not signed by cosign"; cosign itself is let
    // through (push rights and a cosign User-Agent, harbor-api.md §6) and finds no signature. Before the
    // fix the in-process check called this Quarantined, and signImage would have stopped there.
    const img = await ci.image(`${DEV}/${repo}`, 'prod-unsigned');
    await api.copyArtifact(PROD, repo, `${DEV}/${repo}@${img.digest}`);
    await sim.completeScans();
    await agree(
      { project: PROD, repository: repo, digest: img.digest },
      'none',
      'unsigned, signature required',
    );
  });

  it('a signature copied by Harbor (server-side copy into another project)', async () => {
    await api.copyArtifact(PROD, repo, `${STAGING}/${repo}@${signed.digest}`);
    await sim.completeScans();
    const copied = { project: PROD, repository: repo, digest: signed.digest };
    assert.ok((await api.listAccessories(PROD, repo, signed.digest, 'signature.cosign')).length > 0);
    await agree(copied, 'valid', 'copied by Harbor');
  });

  it('side by side, 10 rounds on the same signed image: both valid every time (timing printed)', async () => {
    const cli: number[] = [];
    const inproc: number[] = [];
    for (let i = 0; i < 10; i++) {
      const [c, p] = [timings.cli.length, timings.inproc.length];
      await agree(signed, 'valid', `round ${i}`);
      cli.push(timings.cli[c]!);
      inproc.push(timings.inproc[p]!);
    }
    console.log(
      `# 10 rounds, valid image, median wall time per check: cosign verify ${median(cli).toFixed(1)} ms, in-process ${median(inproc).toFixed(1)} ms, ratio ${(median(cli) / median(inproc)).toFixed(1)}x`,
    );
  });
});

describe('the public key the in-process check reads', () => {
  const art = { project: DEV, repository: repo, digest: 'sha256:' + '1'.repeat(64) };
  for (const [what, content, pattern] of [
    ['missing file', undefined, /COSIGN_PUBLIC_KEY_FILE .*missing\.pub: cannot read the public key file/],
    ['not a PEM', 'hello', /COSIGN_PUBLIC_KEY_FILE .*: not a PEM public key/],
  ] as const) {
    it(`${what} → InvalidInput naming the setting`, async () => {
      const file = join(cosignDir, content === undefined ? 'missing.pub' : 'bad.pub');
      if (content !== undefined) writeFileSync(file, content);
      const bad = buildActivities(configFromEnv(env, { cosignPublicKey: { file } }));
      await assert.rejects(activity(bad.activities.verifySignature, { artifact: art }), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'InvalidInput');
        assert.match(err.message, pattern);
        return true;
      });
      await bad.connection.close();
    });
  }
});
