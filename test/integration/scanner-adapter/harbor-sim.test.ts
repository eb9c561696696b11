// The adapter (started as `tsx dev/scanner-adapter/main.ts`, as the real-Harbor stack starts it) scans
// images in harbor-sim's registry through harbor-sim's /v2, and reports exactly what harbor-sim's own
// scanner reports for the same digest: a vulnerable image, a clean one, an index and each of its children.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../../dev/harbor-sim/harness';
import { storedSeverity } from '../../../dev/harbor-sim/severity';
import { api, basic, completeScans, enc2, target, waitFor, V11, type Target } from '../harbor-sim/util';
import { adapterScan, comparable, type AdapterReport } from './drive';
import { apkImage, indexOf, pushImage } from './images';

const ROOT = join(__dirname, '../../..');
const PROJECT = 'platform-dev'; // auto_scan, no prevent_vul: harbor-sim grants no scanner-pull tokens
const run = randomBytes(3).toString('hex');

const VULNERABLE_TOP = [
  { name: 'openssl', version: '3.1.0-r0' }, // High + Medium
  { name: 'libssl3', version: '3.1.0-r0' }, // Low
  { name: 'zlib', version: '1.2.13-r0' }, // Critical, no fix
  { name: 'musl', version: '1.2.4-r0' }, // Unknown
  { name: 'expat', version: '2.5.0-r0' }, // Negligible
  { name: 'busybox', version: '1.36.1-r20' },
];
const BASE = [{ name: 'busybox', version: '1.30.0-r0' }]; // replaced by the top layer's database
const CLEAN = [
  { name: 'busybox', version: '1.36.1-r20' },
  { name: 'openssl', version: '3.3.2-r1' },
];

let t: Target;
let adapter: ChildProcess;
let adapterUrl = '';
let stderr = '';
let robot: { id: number; name: string; secret: string };
let robotAuth = '';

before(async () => {
  t = await target({ useRunning: true });
  const port = await freePort();
  adapter = spawn(process.execPath, ['--import', 'tsx', 'dev/scanner-adapter/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SCANNER_ADAPTER_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  adapter.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(async () => stderr.includes('listening on'), 20_000);
  adapterUrl = `http://127.0.0.1:${port}`;
  // what Harbor's scan job creates: a robot that may pull the repository
  const r = await api(t, 'POST', '/robots', {
    body: {
      name: `sa-scan-${run}`,
      level: 'system',
      duration: -1,
      permissions: [
        { kind: 'project', namespace: PROJECT, access: [{ resource: 'repository', action: 'pull' }] },
      ],
    },
  });
  assert.equal(r.status, 201, r.text);
  robot = r.json as typeof robot;
  robotAuth = basic({ username: robot.name, password: robot.secret });
});

after(async () => {
  if (robot) await api(t, 'DELETE', `/robots/${robot.id}`);
  if (adapter && adapter.exitCode === null) {
    const gone = new Promise((r) => adapter.once('exit', r));
    adapter.kill('SIGTERM');
    await gone;
  }
  await t?.stop();
});

const ciAuth = () => basic(t.ci);

async function push(repo: string, layers: (typeof CLEAN)[]): Promise<string> {
  return pushImage(t.url, `${PROJECT}/${repo}`, 'v1', apkImage(layers), ciAuth());
}

/** harbor-sim's own report of `digest` (scanning it when no scan was started by the push). */
async function simVulns(repo: string, digest: string): Promise<AdapterReport['vulnerabilities']> {
  const path = `/projects/${PROJECT}/repositories/${enc2(repo)}/artifacts/${digest}`;
  const overview = async () =>
    (
      (await api(t, 'GET', `${path}?with_scan_overview=true`)).json as {
        scan_overview?: Record<string, { scan_status: string }>;
      }
    ).scan_overview?.[V11];
  if (!(await overview())) await api(t, 'POST', `${path}/scan`);
  await completeScans(t);
  await waitFor(async () => (await overview())?.scan_status === 'Success');
  const r = await api(t, 'GET', `${path}/additions/vulnerabilities`, {
    headers: { 'X-Accept-Vulnerabilities': V11 },
  });
  assert.equal(r.status, 200, r.text);
  return (r.json as Record<string, AdapterReport>)[V11]!.vulnerabilities;
}

/** A scanner's finding as Harbor's report converter stores it (Negligible becomes None), as harbor-sim shows it. */
const asStored = (vs: AdapterReport['vulnerabilities']) =>
  vs.map((v) => ({ ...v, severity: storedSeverity(v.severity) }));

async function adapterVulns(repo: string, digest: string): Promise<AdapterReport> {
  const r = await adapterScan(adapterUrl, {
    registryUrl: t.url,
    authorization: robotAuth,
    repository: `${PROJECT}/${repo}`,
    digest,
  });
  assert.ok(r.ok, JSON.stringify(r));
  return r.report;
}

test('a vulnerable image: the adapter reports what harbor-sim reports, every severity as Harbor stores it', async () => {
  const repo = `sa-vuln-${run}`;
  const digest = await push(repo, [BASE, VULNERABLE_TOP]);
  const t0 = Date.now();
  const mine = await adapterVulns(repo, digest);
  const ms = Date.now() - t0;
  const sim = await simVulns(repo, digest);
  assert.deepEqual(comparable(asStored(mine.vulnerabilities)), comparable(sim));
  assert.deepEqual([...new Set(mine.vulnerabilities.map((v) => v.severity))].sort(), [
    'Critical',
    'High',
    'Low',
    'Medium',
    'Negligible',
    'Unknown',
  ]);
  assert.ok(
    !mine.vulnerabilities.some((v) => v.package === 'busybox'),
    "the base layer's database is replaced",
  );
  assert.equal(mine.severity, 'Critical');
  assert.equal(mine.artifact.digest, digest);
  // harbor-sim's /v2/ answers an anonymous probe with a Bearer challenge: the adapter used its token service
  assert.match(
    stderr,
    new RegExp(`${repo}@${digest} succeeded: 6 vulnerabilities in 1 image\\(s\\), auth bearer-token`),
  );
  console.log(`# adapter scan of a 2-layer image through harbor-sim: ${ms} ms`);
});

test('a clean image: no findings from either', async () => {
  const repo = `sa-clean-${run}`;
  const digest = await push(repo, [CLEAN]);
  const mine = await adapterVulns(repo, digest);
  assert.deepEqual(mine.vulnerabilities, []);
  assert.deepEqual(await simVulns(repo, digest), []);
  assert.equal(mine.severity, 'Unknown');
});

test('an index: each child scanned as Harbor scans it, and the index itself, match harbor-sim', async () => {
  const repo = `sa-index-${run}`;
  const amd = apkImage([VULNERABLE_TOP], 'amd64');
  const arm = apkImage([[{ name: 'curl', version: '8.5.0-r0' }, ...CLEAN]], 'arm64');
  const full = `${PROJECT}/${repo}`;
  await pushImage(t.url, full, amd.digest, amd, ciAuth());
  await pushImage(t.url, full, arm.digest, arm, ciAuth());
  const idx = indexOf([
    { image: amd, arch: 'amd64' },
    { image: arm, arch: 'arm64' },
  ]);
  await pushImage(t.url, full, 'v1', idx, ciAuth());
  for (const child of [amd, arm]) {
    const mine = await adapterVulns(repo, child.digest);
    assert.ok(mine.vulnerabilities.length > 0);
    assert.deepEqual(
      comparable(asStored(mine.vulnerabilities)),
      comparable(await simVulns(repo, child.digest)),
    );
  }
  const whole = await adapterVulns(repo, idx.digest);
  assert.deepEqual(comparable(asStored(whole.vulnerabilities)), comparable(await simVulns(repo, idx.digest)));
  assert.ok(whole.vulnerabilities.some((v) => v.package === 'curl'));
  assert.ok(whole.vulnerabilities.some((v) => v.package === 'zlib'));
  assert.match(stderr, new RegExp(`${repo}@${idx.digest} succeeded: \\d+ vulnerabilities in 2 image\\(s\\)`));
});

test('the log has one line per scan and no credential', () => {
  const lines = stderr.split('\n').filter((l) => / scan [0-9a-f-]{36} /.test(l));
  assert.equal(lines.length, 1 + 1 + 3);
  for (const secret of [robot.secret, robotAuth.slice(6), t.ci.password])
    assert.ok(!stderr.includes(secret), 'a credential reached the log');
});
