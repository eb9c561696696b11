// The real skopeo and cosign against harbor-sim: push, sign, verify, copy with the .sig, 412s on pull.
// Uses the running stack when HARBOR_URL is set (npm test), else starts its own registry + sim.
import { binaryPath } from '../../../scripts/tools';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  api,
  call,
  completeScans,
  pushTestImage,
  target,
  waitFor,
  CLEAN,
  VULNERABLE,
  V11,
  type Creds,
  type Target,
} from './util';

const COSIGN = process.env.COSIGN_BIN || binaryPath('cosign');
let t: Target;
let keys: string;
const suffix = `${Date.now().toString(36)}`;
const repo = `rb-${suffix}`;

function run(
  bin: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, args, {
      env: { PATH: process.env.PATH ?? '', HOME: keys, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A private DOCKER_CONFIG (0600 config.json) so credentials never reach argv. */
function dockerConfig(creds: Creds): string {
  const dir = mkdtempSync(join(keys, 'dc-'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      auths: { [t.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } },
    }),
    { mode: 0o600 },
  );
  return dir;
}

before(async () => {
  t = await target({ useRunning: true });
  keys = mkdtempSync(join(tmpdir(), 'hsim-cosign-'));
  const g = await run(COSIGN, ['generate-key-pair', '--output-key-prefix', join(keys, 'k')], {
    COSIGN_PASSWORD: 'test-pass',
  });
  assert.equal(g.code, 0, g.stderr);
});
after(async () => {
  rmSync(keys, { recursive: true, force: true });
  await t?.stop();
});

test('skopeo pushes into platform-dev; cosign signs and verifies there; a copy to staging carries the .sig; production blocks unsigned', async () => {
  const digest = await pushTestImage(t, `platform-dev/${repo}`, '1.0.0', CLEAN);
  assert.match(digest, /^sha256:[a-f0-9]{64}$/);
  const a = await api(t, 'GET', `/projects/platform-dev/repositories/${repo}/artifacts/1.0.0`);
  assert.equal((a.json as { digest: string }).digest, digest);

  const ref = `${t.host}/platform-dev/${repo}@${digest}`;
  const env = { COSIGN_PASSWORD: 'test-pass', DOCKER_CONFIG: dockerConfig(t.ci) };
  const sign = await run(
    COSIGN,
    [
      'sign',
      '--key',
      join(keys, 'k.key'),
      '--use-signing-config=false',
      '--tlog-upload=false',
      '--new-bundle-format=false',
      '--allow-http-registry',
      '-y',
      ref,
    ],
    env,
  );
  assert.equal(sign.code, 0, sign.stderr);
  const verify = await run(
    COSIGN,
    ['verify', '--key', join(keys, 'k.pub'), '--insecure-ignore-tlog', '--allow-http-registry', ref],
    env,
  );
  assert.equal(verify.code, 0, verify.stderr);
  const accs = await api(
    t,
    'GET',
    `/projects/platform-dev/repositories/${repo}/artifacts/${digest}/accessories`,
  );
  assert.deepEqual(
    (accs.json as { type: string }[]).map((x) => x.type),
    ['signature.cosign'],
  );

  await completeScans(t).catch(() => undefined);
  const copy = await api(
    t,
    'POST',
    `/projects/platform-staging/repositories/${repo}/artifacts?from=platform-dev/${repo}@${digest}`,
    { creds: t.promoter },
  );
  assert.equal(copy.status, 201, copy.text);
  const dst = await api(
    t,
    'GET',
    `/projects/platform-staging/repositories/${repo}/artifacts/${digest}?with_accessory=true`,
  );
  const dstAcc = (dst.json as { accessories?: { type: string }[] }).accessories ?? [];
  assert.deepEqual(
    dstAcc.map((x) => x.type),
    ['signature.cosign'],
  );
  // the copied signature verifies in staging with cosign (pulled by the guest account, read-only)
  const stagingRef = `${t.host}/platform-staging/${repo}@${digest}`;
  const v2 = await run(
    COSIGN,
    ['verify', '--key', join(keys, 'k.pub'), '--insecure-ignore-tlog', '--allow-http-registry', stagingRef],
    { DOCKER_CONFIG: dockerConfig(t.guest) },
  );
  assert.equal(v2.code, 0, v2.stderr);

  // an unsigned image copied to production: 412 with Harbor's message
  const unsigned = await pushTestImage(t, `platform-dev/${repo}`, 'unsigned', CLEAN);
  assert.equal(
    (
      await api(
        t,
        'POST',
        `/projects/platform-production/repositories/${repo}/artifacts?from=platform-dev/${repo}@${unsigned}`,
        { creds: t.promoter },
      )
    ).status,
    201,
  );
  const pull = await call(t, 'GET', `/v2/platform-production/${repo}/manifests/${unsigned}`, {
    creds: t.admin,
  });
  assert.equal(pull.status, 412);
  assert.deepEqual(pull.json, {
    errors: [{ code: 'PROJECTPOLICYVIOLATION', message: 'The image is not signed by cosign.' }],
  });
});

test('a pull of an image with a HIGH finding from platform-staging answers 412 with Harbor’s message', async () => {
  const digest = await pushTestImage(t, `platform-dev/${repo}-vuln`, '2.0.0', VULNERABLE);
  const copy = await api(
    t,
    'POST',
    `/projects/platform-staging/repositories/${repo}-vuln/artifacts?from=platform-dev/${repo}-vuln:2.0.0`,
    { creds: t.promoter },
  );
  assert.equal(copy.status, 201);
  await waitFor(async () => {
    const r = await api(
      t,
      'GET',
      `/projects/platform-staging/repositories/${repo}-vuln/artifacts/${digest}?with_scan_overview=true`,
    );
    const ov = (r.json as { scan_overview?: Record<string, { scan_status: string; report_id: string }> })
      .scan_overview?.[V11];
    return ov?.scan_status === 'Success' && ov;
  }, 30_000);
  const pull = await call(t, 'GET', `/v2/platform-staging/${repo}-vuln/manifests/2.0.0`, { creds: t.admin });
  assert.equal(pull.status, 412);
  assert.deepEqual(pull.json, {
    errors: [
      {
        code: 'PROJECTPOLICYVIOLATION',
        message:
          'current image with 2 vulnerabilities cannot be pulled due to configured policy in \'Prevent images with vulnerability severity of "High" or higher from running.\' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.',
      },
    ],
  });
});
