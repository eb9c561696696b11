/**
 * Records what the pinned cosign, skopeo and git really print on stderr for each case the classifier
 * table (src/activities/tool-output.ts) must tell apart, into test/unit/activities/fixtures/tool-output.json.
 * Every image is built so its digest contains 401, 403 or 412: the transient cases then carry those numbers
 * inside digests, which is exactly what issue 15's classifiers misread.
 *
 *   npm run stack -- up && eval "$(npm run -s stack -- env)" && npx tsx test/support/record-tool-output.ts
 *
 * The argv comes from the activities' own builders, so the output is what the worker would see.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signArgs, verifyArgs } from '../../src/activities/cosign';
import { sigstoreRegistriesYaml, skopeoCopyArgs } from '../../src/activities/copy';
import { authFileContent } from '../../src/activities/secrets';
import type { OutputKind } from '../../src/activities/tool-output';
import { activityFixture, DEV, PROD, STAGING } from '../integration/activities/helpers';

export interface ToolOutputFixture {
  name: string;
  tool: 'cosign' | 'skopeo' | 'git';
  /** What the case is; the argv is the activity's, minus paths. */
  what: string;
  exitCode: number | null;
  stderr: string;
  /** The classification the activities must reach; null = none of the table's kinds (retryable). */
  expect: OutputKind | null;
}

const OUT = join(__dirname, '../unit/activities/fixtures/tool-output.json');
const { env, cfg, api, sim, ci, repo, connection } = activityFixture('record');
const host = new URL(env.HARBOR_URL!).host;
const password = (name: string) => env[name] ?? readFileSync(env[`${name}_FILE`]!, 'utf8').trim();
const promoter = { user: env.HARBOR_USERNAME!, pass: password('HARBOR_PASSWORD') };
const guest = { user: env.HARBOR_GUEST_USERNAME!, pass: env.HARBOR_GUEST_PASSWORD! };
type Creds = typeof promoter;

function privateDir(creds: Creds): string {
  const dir = mkdtempSync(join(tmpdir(), 'hp-record-'));
  writeFileSync(join(dir, 'config.json'), authFileContent(host, creds.user, creds.pass), { mode: 0o600 });
  writeFileSync(join(dir, 'auth.json'), authFileContent(host, creds.user, creds.pass), { mode: 0o600 });
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  writeFileSync(join(dir, 'sigstore.yaml'), sigstoreRegistriesYaml(host));
  return dir;
}

function run(bin: string, args: string[], envx: Record<string, string>, cwd: string) {
  const r = spawnSync(bin, args, {
    cwd,
    env: { PATH: process.env.PATH!, LANG: 'C.UTF-8', ...envx },
    encoding: 'utf8',
    timeout: 180_000,
  });
  // The private dir's random name is noise in a fixture.
  return { exitCode: r.status, stderr: r.stderr.replaceAll(cwd, '<dir>').slice(-8000) };
}

function cosign(args: string[], creds: Creds) {
  const dir = privateDir(creds);
  return run(
    cfg.cosignBin,
    args,
    {
      HOME: dir,
      DOCKER_CONFIG: dir,
      COSIGN_PASSWORD: password('COSIGN_PASSWORD'),
      TUF_ROOT: join(dir, 'tuf'),
    },
    dir,
  );
}
const sign = (ref: string, creds = promoter) =>
  cosign(signArgs(ref, { keyFile: env.COSIGN_KEY_FILE!, recursive: false, plainHttp: true }), creds);
const verify = (ref: string, creds = promoter) =>
  cosign(verifyArgs(ref, { pubFile: env.COSIGN_PUBLIC_KEY_FILE!, plainHttp: true }), creds);

function skopeo(src: string, dst: string, creds = promoter) {
  const dir = privateDir(creds);
  const args = skopeoCopyArgs({
    policyFile: join(dir, 'policy.json'),
    registriesDir: dir,
    authFile: join(dir, 'auth.json'),
    digestFile: join(dir, 'digest'),
    src: `${host}/${src}`,
    dst: `${host}/${dst}`,
    plainHttp: true,
    all: true,
  });
  return run(
    cfg.skopeoBin,
    args,
    { HOME: dir, XDG_CONFIG_HOME: dir, REGISTRY_AUTH_FILE: join(dir, 'auth.json'), TMPDIR: dir },
    dir,
  );
}

/** A dev image whose digest contains `needle`, copied server-side to staging and scanned. */
async function inStaging(tag: string, needle: string): Promise<string> {
  const { digest } = await ci.image(`${DEV}/${repo}`, tag, { digestContains: needle });
  await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${digest}`);
  await sim.completeScans();
  return digest;
}

function gitRace(): { exitCode: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hp-record-git-'));
  const g = (cwd: string, ...a: string[]) =>
    spawnSync('git', a, {
      cwd,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH!,
        HOME: dir,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_AUTHOR_NAME: 'r',
        GIT_AUTHOR_EMAIL: 'r@example.invalid',
        GIT_COMMITTER_NAME: 'r',
        GIT_COMMITTER_EMAIL: 'r@example.invalid',
      },
    });
  g(dir, 'init', '--quiet', '--bare', '-b', 'main', 'remote.git');
  for (const c of ['a', 'b']) {
    g(dir, 'clone', '--quiet', 'remote.git', c);
    mkdirSync(join(dir, c), { recursive: true });
  }
  writeFileSync(join(dir, 'a/f'), 'a');
  g(join(dir, 'a'), 'add', 'f');
  g(join(dir, 'a'), 'commit', '--quiet', '-m', 'a');
  g(join(dir, 'a'), 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  writeFileSync(join(dir, 'b/f'), 'b');
  g(join(dir, 'b'), 'add', 'f');
  g(join(dir, 'b'), 'commit', '--quiet', '-m', 'b');
  const r = g(join(dir, 'b'), 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  return { exitCode: r.status, stderr: r.stderr.replaceAll(dir, '<dir>') };
}

async function main(): Promise<void> {
  const out: ToolOutputFixture[] = [];
  const add = (
    name: string,
    tool: ToolOutputFixture['tool'],
    what: string,
    expect: OutputKind | null,
    r: { exitCode: number | null; stderr: string },
  ) => {
    console.log(`${name}: exit ${r.exitCode}\n${r.stderr.trim().split('\n').slice(-3).join('\n')}\n`);
    out.push({ name, tool, what, exitCode: r.exitCode, expect, stderr: r.stderr });
  };
  const ref = (project: string, digest: string) => `${host}/${project}/${repo}@${digest}`;
  await sim.clearFaults();
  try {
    // cosign sign: a 5xx on the signature's blob upload and on its manifest PUT.
    const d401 = await inStaging('d401', '401');
    const d403 = await inStaging('d403', '403');
    const d412 = await inStaging('d412', '412');
    await sim.faults({
      v2: { status: 503, errorRate: 1, methods: ['POST'], pathIncludes: '/blobs/uploads/' },
    });
    add(
      'cosign-sign-503-blob-upload',
      'cosign',
      'cosign sign; every POST /blobs/uploads/ answers 503; digest contains 401',
      null,
      sign(ref(STAGING, d401)),
    );
    await sim.faults({ v2: { status: 500, errorRate: 1, methods: ['PUT'], pathIncludes: '/manifests/' } });
    add(
      'cosign-sign-500-manifest-put',
      'cosign',
      'cosign sign; every manifest PUT answers 500; digest contains 403',
      null,
      sign(ref(STAGING, d403)),
    );
    await sim.faults({
      v2: { status: 502, errorRate: 1, methods: ['GET', 'HEAD'], pathIncludes: '/manifests/' },
    });
    add(
      'cosign-verify-502-manifest-get',
      'cosign',
      'cosign verify; every manifest GET/HEAD answers 502; digest contains 403',
      null,
      verify(ref(STAGING, d403)),
    );
    await sim.clearFaults();
    add(
      'cosign-sign-guest-denied',
      'cosign',
      'cosign sign as the guest user (pull only); digest contains 412',
      'denied',
      sign(ref(STAGING, d412), guest),
    );

    // Quarantine: production requires a cosign signature; an unsigned copy there is blocked on pull.
    await api.copyArtifact(PROD, repo, `${DEV}/${repo}@${d412}`);
    await sim.completeScans();
    // cosign looks for the .sig tag first and exits 10 (no signatures) before the policy is reached.
    add(
      'cosign-verify-quarantined',
      'cosign',
      'cosign verify of an unsigned image in a project that requires cosign signatures (exit 10)',
      null,
      verify(ref(PROD, d412)),
    );
    add(
      'skopeo-copy-quarantined',
      'skopeo',
      'skopeo copy from a project whose policy blocks the unsigned source',
      'policy-violation',
      skopeo(`${PROD}/${repo}@${d412}`, `${STAGING}/${repo}-q:x`),
    );

    // Scan still running in staging (prevent_vul): blocked, but only until the scan ends.
    const previous = (await sim.call('GET', '/_sim/scan-duration')) as { ms: number };
    await sim.scanDuration(-1);
    const dPending = (await ci.image(`${DEV}/${repo}`, 'pending', { digestContains: '401' })).digest;
    await api.copyArtifact(STAGING, repo, `${DEV}/${repo}@${dPending}`);
    await new Promise((r) => setTimeout(r, 1000)); // let the auto-scan start: Pending, not "without scanning"
    add(
      'skopeo-copy-scan-pending',
      'skopeo',
      'skopeo copy from a prevent_vul project while the source scan is running',
      'scan-pending',
      skopeo(`${STAGING}/${repo}@${dPending}`, `${PROD}/${repo}-p:x`),
    );
    add(
      'cosign-sign-scan-pending',
      'cosign',
      'cosign sign while the auto-scan of a prevent_vul project is running',
      'scan-pending',
      sign(ref(STAGING, dPending)),
    );
    await sim.completeScans();
    await sim.scanDuration(previous.ms);

    // skopeo copy staging → production: 5xx on the destination's blob upload, and on the source manifest.
    await sim.faults({
      v2: { status: 503, errorRate: 1, methods: ['POST'], pathIncludes: '/blobs/uploads/' },
    });
    add(
      'skopeo-copy-503-blob-upload',
      'skopeo',
      'skopeo copy; every POST /blobs/uploads/ answers 503 (skopeo names no digest here)',
      null,
      skopeo(`${STAGING}/${repo}@${d412}`, `${PROD}/${repo}-c:x`),
    );
    await sim.faults({
      v2: { status: 500, errorRate: 1, methods: ['GET', 'HEAD'], pathIncludes: `/manifests/${d412}` },
    });
    add(
      'skopeo-copy-500-manifest-get',
      'skopeo',
      'skopeo copy; the source manifest GET answers 500; digest contains 412',
      null,
      skopeo(`${STAGING}/${repo}@${d412}`, `${PROD}/${repo}-c:y`),
    );
    await sim.clearFaults();
    add(
      'skopeo-copy-guest-denied',
      'skopeo',
      'skopeo copy as the guest user (no push on the destination); digest contains 403',
      'denied',
      skopeo(`${STAGING}/${repo}@${d403}`, `${PROD}/${repo}-g:x`, guest),
    );
    const missing = `sha256:${'0'.repeat(61)}412`;
    add(
      'skopeo-copy-not-found',
      'skopeo',
      'skopeo copy of a digest that does not exist (it contains 412)',
      'not-found',
      skopeo(`${STAGING}/${repo}@${missing}`, `${PROD}/${repo}-n:x`),
    );

    add(
      'git-push-non-fast-forward',
      'git',
      'git push after someone else pushed to the branch',
      'push-race',
      gitRace(),
    );
  } finally {
    await sim.clearFaults();
    await connection.close();
  }
  mkdirSync(join(OUT, '..'), { recursive: true });
  const versions = {
    cosign: spawnSync(cfg.cosignBin, ['version', '--json'], { encoding: 'utf8' }).stdout.match(
      /"gitVersion":\s*"([^"]+)"/,
    )?.[1],
    skopeo: spawnSync(cfg.skopeoBin, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    git: spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim(),
  };
  writeFileSync(OUT, `${JSON.stringify({ recordedWith: versions, cases: out }, null, 2)}\n`);
  console.log(`wrote ${out.length} cases to ${OUT}`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
