/**
 * `harbor-promote doctor` against real Harbor v2.15.2, through the bin and a worker process: with the stack's
 * promoter robot, keys and overlays every check passes (exit 0) and each reads what real Harbor says —
 * its version, the projects' policies, the default scanner, the robot's permissions. With a robot that may
 * only read in staging and production and a project that does not exist, those checks fail with their fix
 * (exit 8). Runs only under scripts/test-real-harbor.sh.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoPipeline } from '../../dev/demo/lib';
import type { DoctorReport } from '../../src/domain/doctor';
import { OVERLAY, setUp, skip, type E2e } from './e2e';

let good: E2e | undefined;
let bad: E2e | undefined;

const basicAdmin = (env: Record<string, string>) =>
  `Basic ${Buffer.from(`${env.HARBOR_ADMIN_USERNAME}:${env.HARBOR_ADMIN_PASSWORD}`).toString('base64')}`;

/** A system robot that reads everywhere and writes only in platform-dev: it cannot copy anywhere. */
async function readOnlyRobot(
  env: Record<string, string>,
  name: string,
  dir: string,
): Promise<{ username: string; secretFile: string }> {
  const access = (pairs: string[]) =>
    pairs.map((p) => ({ resource: p.split(':')[0], action: p.split(':')[1], effect: 'allow' }));
  const read = [
    'project:read',
    'metadata:read',
    'repository:pull',
    'artifact:read',
    'tag:list',
    'accessory:list',
    'scan:read',
    'scanner:read',
  ];
  const res = await fetch(`${env.HARBOR_URL}/api/v2.0/robots`, {
    method: 'POST',
    headers: { authorization: basicAdmin(env), 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      level: 'system',
      duration: -1,
      permissions: [
        { kind: 'project', namespace: '*', access: access(read) },
        {
          kind: 'project',
          namespace: 'platform-dev',
          access: access([...read, 'repository:push', 'artifact:create', 'tag:create', 'scan:create']),
        },
      ],
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const body = JSON.parse(text) as { name: string; secret: string };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretFile = join(dir, `${name}.secret`);
  writeFileSync(secretFile, `${body.secret}\n`, { mode: 0o600 });
  return { username: body.name, secretFile };
}

after(async () => {
  await good?.stop();
  await bad?.stop();
});

describe('real Harbor: harbor-promote doctor', { skip, timeout: 600_000 }, () => {
  before(async () => {
    good = await setUp('doctor');
  });

  it('all good with the stack’s robot, keys and overlays: every check ✓, exit 0', async () => {
    const e = good!;
    const file = e.pipeline('good', demoPipeline(e.env, 'happy'));
    const t0 = Date.now();
    const r = await e.cli(['doctor', '--pipeline', file]);
    console.log(`# doctor (all good) on real Harbor through the CLI: ${Date.now() - t0} ms`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /✗/);
    assert.match(r.stdout, /✓ Harbor at .* answers \(v2\.15\.2-/);
    assert.match(r.stdout, /✓ robot\$promoter is accepted by Harbor/);
    assert.match(
      r.stdout,
      /✓ production \(platform-production\) enforces cosign: unsigned images cannot be pulled there/,
    );
    assert.match(
      r.stdout,
      /✓ platform-staging: robot\$promoter may read artifacts, read policy, copy into platform-staging, scan/,
    );
    assert.match(r.stdout, new RegExp(`✓ staging: overlay ${OVERLAY('staging')} exists on main`));
    assert.match(r.stdout, /✓ cosign key pair matches/);
    assert.match(r.stdout, /all \d+ checks passed/);
    const json = await e.cli(['doctor', '--pipeline', file, '--json']);
    const report = JSON.parse(json.stdout) as DoctorReport;
    assert.equal(report.ok, true);
    // Real Harbor has the scanner adapter as its default scanner: no environment warns about scanning.
    const scanners = report.checks.filter((c) => /:scanner$/.test(c.id));
    assert.equal(scanners.length, 3, JSON.stringify(report.checks.map((c) => c.id)));
    for (const c of scanners) assert.ok(c.ok && !c.warning, `${c.id}: ${c.message}`);
  });

  it('a robot that cannot copy and a missing project: those checks ✗ with their fix, exit 8', async () => {
    const e = good!;
    const robot = await readOnlyRobot(e.env, `doctor-ro-${e.nonce}`, join(e.dir, 'secrets'));
    bad = await setUp('doctor-bad', {
      HARBOR_USERNAME: robot.username,
      HARBOR_PASSWORD_FILE: robot.secretFile,
    });
    const missing = `doctor-missing-${e.nonce}`;
    const file = bad.pipeline(
      'bad',
      demoPipeline(bad.env, 'happy').replace('project: platform-production', `project: ${missing}`),
    );
    const r = await bad.cli(['doctor', '--pipeline', file, '--json']);
    assert.equal(r.code, 8, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const failed = Object.fromEntries(report.checks.filter((c) => !c.ok).map((c) => [c.id, c]));
    assert.deepEqual(
      Object.keys(failed).sort(),
      [`project:${missing}:exists`, 'project:platform-staging:permissions'].sort(),
    );
    assert.match(failed[`project:${missing}:exists`]!.fix!, new RegExp(`create project ${missing}`));
    assert.match(
      failed['project:platform-staging:permissions']!.message,
      /cannot copy into platform-staging \(needs artifact:create, tag:create\)/,
    );
    assert.match(
      failed['project:platform-staging:permissions']!.fix!,
      new RegExp(`grant ${robot.username.replace(/\$/g, '\\$')} .* on project platform-staging`),
    );
  });
});
