/**
 * The real-Harbor stack's promises (`npm run stack -- up --harbor real`): every service runs, `stack env`
 * prints the same variables as with harbor-sim, it is Harbor v2.15.2 answering, the seeded projects carry
 * the seed's policies, the robots and the guest log in with the stack's secrets (and a wrong secret does
 * not), a second `up` is a no-op, and `down` stops everything while the data survives the next `up`.
 * Runs only on a real-Harbor stack: scripts/test-real-harbor.sh starts one (npm test never sees this file).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stackConfig } from '../../dev/stack/config';
import { stackEnv } from '../../dev/stack/stack';
import { SEED_PROJECTS } from '../../dev/harbor-real/seed-data';
import { testEnv, need } from '../support/env';

const run = promisify(execFile);
const config = stackConfig();
const skip = config.harbor !== 'real' && 'needs a real-Harbor stack: run scripts/test-real-harbor.sh';
const env = testEnv(config);

const stackCli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'dev/stack/cli.ts', ...args], {
    env: process.env,
    maxBuffer: 16 << 20,
  }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? 1,
      out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    }),
  );

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function api(path: string, user: string, password: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${need(env, 'HARBOR_URL')}/api/v2.0${path}`, {
    headers: { authorization: basic(user, password), accept: 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** A registry token as `docker login` + push would ask for it: 200 with a token, or 401. */
async function registryToken(user: string, password: string, scope: string) {
  const url = `${need(env, 'HARBOR_URL')}/service/token?service=harbor-registry&scope=${encodeURIComponent(scope)}`;
  const res = await fetch(url, { headers: { authorization: basic(user, password) } });
  const body = (await res.json().catch(() => ({}))) as { token?: string };
  if (res.status !== 200 || !body.token) return { status: res.status, actions: [] as string[] };
  const claims = JSON.parse(Buffer.from(body.token.split('.')[1]!, 'base64url').toString()) as {
    access?: { actions: string[] }[];
  };
  return { status: res.status, actions: claims.access?.[0]?.actions ?? [] };
}

const admin = () => [need(env, 'HARBOR_ADMIN_USERNAME'), need(env, 'HARBOR_ADMIN_PASSWORD')] as const;

describe('real-Harbor stack', { skip }, () => {
  it('status lists every service of the real stack as running', async () => {
    const r = await stackCli('status');
    assert.equal(r.code, 0, r.out);
    for (const name of [
      'temporal',
      'postgres',
      'redis',
      'harbor-registry',
      'harbor-core',
      'harbor-jobservice',
    ])
      assert.match(r.out, new RegExp(`^${name}\\s+running \\(pid \\d+\\)`, 'm'), r.out);
    assert.doesNotMatch(r.out, /harbor-sim/);
  });

  it('stack env prints the same variables as a harbor-sim stack, so worker, CLI and demo run unchanged', async () => {
    const r = await stackCli('env');
    assert.equal(r.code, 0, r.out);
    const names = [...r.out.matchAll(/^export (\w+)=/gm)].map((m) => m[1]);
    const simNames = Object.keys(stackEnv({ ...config, harbor: 'sim' }));
    for (const n of simNames) assert.ok(names.includes(n), `stack env lacks ${n}`);
    assert.match(r.out, new RegExp(`^export HARBOR_URL='http://127\\.0\\.0\\.1:${config.harborPort}'$`, 'm'));
  });

  it('is Harbor v2.15.2 answering, not the stand-in', async () => {
    const r = await api('/systeminfo', ...admin());
    assert.equal(r.status, 200);
    assert.match((r.body as { harbor_version: string }).harbor_version, /^v2\.15\.2-/);
  });

  it('has the three seeded projects with the seed policies', async () => {
    for (const p of SEED_PROJECTS) {
      const r = await api(`/projects/${p.name}`, ...admin());
      assert.equal(r.status, 200, `${p.name}: ${JSON.stringify(r.body)}`);
      const metadata = (r.body as { metadata: Record<string, string> }).metadata;
      assert.deepEqual(metadata, { public: 'false', ...p.metadata }, p.name);
    }
    // The policies the demo's scenarios rely on, spelled out.
    const prod = await api('/projects/platform-production', ...admin());
    assert.equal(
      (prod.body as { metadata: Record<string, string> }).metadata.enable_content_trust_cosign,
      'true',
    );
  });

  it('the CI robot may push to platform-dev and nowhere else', async () => {
    const ci = [need(env, 'HARBOR_CI_USERNAME'), need(env, 'HARBOR_CI_PASSWORD')] as const;
    assert.equal(ci[0], 'robot$platform-dev+ci');
    const dev = await registryToken(...ci, 'repository:platform-dev/myservice:pull,push');
    assert.equal(dev.status, 200);
    assert.deepEqual([...dev.actions].sort(), ['pull', 'push']);
    const staging = await registryToken(...ci, 'repository:platform-staging/myservice:pull,push');
    assert.deepEqual(staging.actions, [], 'no access to platform-staging');
  });

  it('the promoter robot logs in with the secret from HARBOR_PASSWORD_FILE and may push to staging', async () => {
    const promoter = [
      need(env, 'HARBOR_USERNAME'),
      readFileSync(need(env, 'HARBOR_PASSWORD_FILE'), 'utf8').trim(),
    ] as const;
    assert.equal(promoter[0], 'robot$promoter');
    const r = await api('/projects/platform-production', ...promoter);
    assert.equal(r.status, 200);
    const t = await registryToken(...promoter, 'repository:platform-staging/myservice:pull,push');
    assert.deepEqual([...t.actions].sort(), ['pull', 'push']);
  });

  it('a wrong robot secret is refused with 401', async () => {
    const r = await api('/projects/platform-production', need(env, 'HARBOR_USERNAME'), 'Wrong-secret-1');
    assert.equal(r.status, 401);
  });

  it('the guest reads the platform projects but may not push', async () => {
    const guest = [need(env, 'HARBOR_GUEST_USERNAME'), need(env, 'HARBOR_GUEST_PASSWORD')] as const;
    const r = await api('/projects/platform-dev', ...guest);
    assert.equal(r.status, 200);
    const t = await registryToken(...guest, 'repository:platform-dev/myservice:pull,push');
    assert.deepEqual(t.actions, ['pull']);
  });

  it('refuses to start harbor-sim in the same stack directory while real Harbor runs', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'dev/stack/cli.ts', 'up'], {
      env: { ...process.env, STACK_HARBOR: 'sim' },
    }).then(
      () => ({ code: 0, out: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code ?? 1, out: e.stderr ?? '' }),
    );
    assert.equal(r.code, 1);
    assert.match(r.out, /runs Harbor kind "real", not "sim": run `npm run stack -- down` first/);
  });

  it('a second up starts nothing new; down stops every service; up again keeps the seeded data', async () => {
    const again = await stackCli('up');
    assert.equal(again.code, 0, again.out);
    for (const name of ['postgres', 'redis', 'harbor-registry', 'harbor-core', 'harbor-jobservice'])
      assert.match(again.out, new RegExp(`stack: ${name}: already running`), again.out);

    const down = await stackCli('down');
    assert.equal(down.code, 0, down.out);
    for (const name of [
      'harbor-jobservice',
      'harbor-core',
      'harbor-registry',
      'redis',
      'postgres',
      'temporal',
    ])
      assert.match(down.out, new RegExp(`stack: ${name}: stopped`), down.out);
    const status = await stackCli('status');
    assert.equal(status.code, 3, 'status exits 3 when services are stopped');
    assert.doesNotMatch(status.out, /running/);

    // No --harbor and no STACK_HARBOR: the stack directory remembers it runs real Harbor.
    const { STACK_HARBOR: _kind, ...withoutKind } = process.env;
    const up = await run(process.execPath, ['--import', 'tsx', 'dev/stack/cli.ts', 'up'], {
      env: withoutKind,
      maxBuffer: 16 << 20,
    });
    assert.match(up.stdout, /stack: harbor-core: healthy/);
    assert.doesNotMatch(up.stdout, /seed: project .* created/, 'projects were kept, not created again');
    const r = await api('/projects/platform-staging', ...admin());
    assert.equal(r.status, 200);
  });
});
