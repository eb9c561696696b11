// Restart mid-scan: the sim resumes the unfinished scan from its state file and loses nothing.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { api, call, pushTestImage, target, waitFor, VULNERABLE, V11, type Target } from './util';

let t: Target;
before(async () => {
  t = await target({ scanDurationMs: 1500 });
});
after(async () => {
  await t?.stop();
});

type Ov = { report_id: string; scan_status: string; summary?: { total: number } };
const overview = async (path: string): Promise<Ov | undefined> =>
  ((await api(t, 'GET', `${path}?with_scan_overview=true`)).json as { scan_overview?: Record<string, Ov> })
    .scan_overview?.[V11];

test('a scan running when the sim restarts completes afterwards; artifacts, tags, robots and reports survive', async () => {
  const digest = await pushTestImage(t, 'platform-dev/restart', 'v1', VULNERABLE);
  await api(t, 'POST', '/projects/platform-dev/repositories/restart/artifacts/v1/tags', {
    body: { name: 'extra' },
  });
  const robot = await api(t, 'POST', '/robots', {
    body: {
      name: 'survivor',
      level: 'system',
      duration: -1,
      permissions: [
        { kind: 'project', namespace: 'platform-dev', access: [{ resource: 'repository', action: 'pull' }] },
      ],
    },
  });
  assert.equal(robot.status, 201);
  const secret = (robot.json as { secret: string }).secret;
  const path = `/projects/platform-dev/repositories/restart/artifacts/${digest}`;
  const running = await waitFor(async () => {
    const ov = await overview(path);
    return ov?.scan_status === 'Running' && ov;
  });
  await t.stack!.restartSim();
  assert.ok(readdirSync(t.stack!.dataDir).includes('state.json'));
  assert.ok(!readdirSync(t.stack!.dataDir).some((f) => f.endsWith('.tmp')), 'no temp files left behind');
  const after = await overview(path);
  assert.equal(after?.report_id, running.report_id);
  assert.equal(after?.scan_status, 'Running');
  const done = await waitFor(async () => {
    const ov = await overview(path);
    return ov?.scan_status === 'Success' && ov;
  });
  assert.equal(done.report_id, running.report_id);
  assert.equal(done.summary?.total, 2);
  const tags = await api(t, 'GET', `${path}/tags`);
  assert.deepEqual((tags.json as { name: string }[]).map((x) => x.name).sort(), ['extra', 'v1']);
  // The robot and its pull permission survived: a pull with its own credentials succeeds, and the same
  // pull with a wrong secret is refused, so the 200 is the robot's and not anonymous access.
  const robotPull = (password: string) =>
    call(t, 'HEAD', `/v2/platform-dev/restart/manifests/v1`, {
      creds: { username: 'robot$survivor', password },
    });
  assert.equal((await robotPull(secret)).status, 200, 'the robot created before the restart still pulls');
  assert.equal((await robotPull(`${secret}x`)).status, 401, 'a wrong robot secret is refused');
  const adminPull = await call(t, 'HEAD', `/v2/platform-dev/restart/manifests/v1`, { creds: t.admin });
  assert.equal(adminPull.status, 200);
});
