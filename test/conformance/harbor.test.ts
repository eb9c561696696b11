// Conformance suite: drives every operation the Harbor client (src/harbor) can send, and the Harbor
// behaviours the promotion workflow relies on, against the Harbor named by HARBOR_URL + admin credentials
// (harbor-sim or a real Harbor v2.15.2). Every 2xx body the client reads goes through the client's own zod
// schemas (the calls are made through the client), and every error answer must be Harbor's envelope.
// It creates and deletes only its own uniquely named projects and robots (fixture.ts).
//   HARBOR_URL=… HARBOR_ADMIN_USERNAME=… HARBOR_ADMIN_PASSWORD=… npm run test:conformance
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  HarborApi,
  HarborHttpError,
  RegistryApi,
  type HarborConnection,
  type NativeReportSummary,
  type RecordedRequest,
} from '../../src/harbor/index';
import { clientOperations, opKey, registryTemplate } from '../support/client-operations';
import { PROMOTER_READ, PROMOTER_WRITE } from '../../dev/robot-access';
import { copyArtifact, Fixture, harborError, type Access } from './fixture';
import { CLEAN, Cosign, pushImageTo, pushIndexTo, removeWorkDir, VULNERABLE } from './images';
import { connect, resolveTarget, type ConformanceTarget, type Creds } from './target';

const POLICY = `configured policy in 'Prevent images with vulnerability severity of "High" or higher from running.'`;
const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** What the promotion robot needs (the seed's promoter, README): read everywhere, write where it copies to. */
const READ: Access[] = [...PROMOTER_READ];
const WRITE: Access[] = [...PROMOTER_WRITE];

let t: ConformanceTarget;
let fx: Fixture;
let adminConn: HarborConnection;
let robotConn: HarborConnection;
let admin: HarborApi;
/** The client as the promotion worker uses it: a robot with exactly the permissions above. */
let api: HarborApi;
let registry: RegistryApi;
let robot: Creds;
let cosign: Cosign;
const log: RecordedRequest[] = [];
const P = { src: '', gate: '', signed: '', unscanned: '' };
const REPO = 'team/app';

const repoOf = (project: string, repo = REPO): string => `${project}/${repo}`;

/** The scan overview under whichever report mime type Harbor chose (one key, harbor-api.md §5). */
function overview(a: {
  scan_overview?: Record<string, NativeReportSummary>;
}): NativeReportSummary | undefined {
  return Object.values(a.scan_overview ?? {})[0];
}

/** Polls until the digest's scan finished with Success (and, if given, is a newer report than `notReport`). */
async function scanned(project: string, digest: string, notReport?: string): Promise<NativeReportSummary> {
  const end = Date.now() + t.scanTimeoutMs;
  let last: NativeReportSummary | undefined;
  for (;;) {
    last = overview(await api.getArtifact(project, REPO, digest, { withScanOverview: true }));
    if (last?.scan_status === 'Success' && last.report_id !== notReport) return last;
    if (last?.scan_status === 'Error')
      throw new Error(`scan of ${project}@${digest} ended in Error: ${await scanLog(project, digest, last)}`);
    if (Date.now() > end)
      throw new Error(
        `scan of ${project}@${digest} not done after ${t.scanTimeoutMs} ms: ${JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The end of a scan job's log (the scanner's own words on why it failed), for the failure message. */
async function scanLog(project: string, digest: string, o: NativeReportSummary): Promise<string> {
  try {
    const res = await adminConn.request({
      method: 'GET',
      template:
        '/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/scan/{report_id}/log',
      params: {
        project_name: project,
        repository_name: REPO,
        reference: digest,
        report_id: o.report_id ?? '',
      },
    });
    return res.body.trim().slice(-800) || '(empty scan log)';
  } catch (err) {
    return `(scan log unavailable: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/** `scanned` when there is a scanner; nothing to wait for otherwise. */
async function scannedIf(project: string, digest: string, notReport?: string): Promise<void> {
  if (t.scanner) await scanned(project, digest, notReport);
}

/** The report id of a digest right now (copy's auto-scan replaces it; harbor-api.md §10.6). */
async function reportId(project: string, digest: string): Promise<string | undefined> {
  return overview(await api.getArtifact(project, REPO, digest, { withScanOverview: true }))?.report_id;
}

/** Tests that need a scanner; skipped (and said so) with HARBOR_CONFORMANCE_SCANNER=none. */
const scannerIt = (name: string, fn: () => Promise<void>): void => {
  const none = process.env.HARBOR_CONFORMANCE_SCANNER === 'none';
  it(name, { skip: none ? 'HARBOR_CONFORMANCE_SCANNER=none' : false }, fn);
};

/** Every refusal the suite provokes; each must have come in Harbor's `{errors:[{code,message}]}` envelope. */
const refusals: HarborHttpError[] = [];
async function refused(fn: () => Promise<unknown>): Promise<HarborHttpError> {
  const e = await harborError(fn);
  refusals.push(e);
  return e;
}

before(async () => {
  t = await resolveTarget();
  adminConn = connect(t, t.admin, log);
  admin = new HarborApi(adminConn);
  fx = new Fixture(t, adminConn);
  cosign = new Cosign(t);
  P.src = await fx.project('src', { auto_scan: 'true' });
  P.gate = await fx.project('gate', { auto_scan: 'true', prevent_vul: 'true', severity: 'high' });
  P.signed = await fx.project('signed', { enable_content_trust_cosign: 'true' });
  P.unscanned = await fx.project('unscanned', { prevent_vul: 'true', severity: 'high' });
  robot = await fx.robot('promoter', {
    [P.src]: [...READ, 'repository:pull', 'repository:push', 'scan:create'],
    [P.gate]: [...READ, ...WRITE],
    [P.signed]: [...READ, ...WRITE],
    [P.unscanned]: [...READ, ...WRITE],
  });
  robotConn = connect(t, robot, log);
  api = new HarborApi(robotConn);
  registry = new RegistryApi(robotConn);
});

after(async () => {
  const problems = fx ? await fx.cleanup() : [];
  await robotConn?.close();
  await adminConn?.close();
  removeWorkDir();
  if (problems.length === 0) return;
  // harbor-sim may lack DELETE /projects and /robots; its state is thrown away with the stack, so there this
  // is reported, not fatal. Against a real Harbor, leftovers are a failure the user must know about.
  const text = `conformance cleanup left objects behind on ${t.url}:\n  ${problems.join('\n  ')}`;
  if (t.isSim) console.warn(`warning (harbor-sim ${t.version}): ${text}`);
  else throw new Error(text);
});

describe(`Harbor conformance`, () => {
  let clean = '';
  let vuln = '';

  it('reads projects, their metadata as strings, and the system CVE allowlist', async () => {
    const p = await api.getProject(P.gate);
    assert.equal(p.name, P.gate);
    assert.deepEqual(
      {
        auto_scan: p.metadata?.auto_scan,
        prevent_vul: p.metadata?.prevent_vul,
        severity: p.metadata?.severity,
      },
      { auto_scan: 'true', prevent_vul: 'true', severity: 'high' },
    );
    assert.equal((await api.getProject(P.signed)).metadata?.enable_content_trust_cosign, 'true');
    const allow = await api.getSystemCveAllowlist();
    assert.ok(allow.items === null || allow.items === undefined || Array.isArray(allow.items));
  });

  it('resolves a pushed tag by REST and /v2 (HEAD), lists artifacts and tags, tags a digest', async () => {
    clean = await pushImageTo(t, t.admin, repoOf(P.src), '1.0', CLEAN);
    const a = await api.getArtifact(P.src, REPO, '1.0', { withTag: true, withAccessory: true });
    assert.equal(a.digest, clean);
    assert.equal(a.repository_name, repoOf(P.src));
    assert.deepEqual(
      (a.tags ?? []).map((x) => x.name),
      ['1.0'],
    );
    assert.deepEqual(a.accessories ?? [], []);
    const head = await registry.headManifest(P.src, REPO, '1.0');
    assert.equal(head.digest, clean);
    assert.match(head.mediaType ?? '', new RegExp(MANIFEST.replace(/[.+]/g, '\\$&')));
    const listed = await api.listArtifacts(P.src, REPO, `digest=${clean}`);
    assert.deepEqual(
      listed.map((x) => x.digest),
      [clean],
    );
    assert.equal(await admin.createTag(P.src, REPO, clean, '1.0-extra'), 'created');
    assert.equal(await admin.createTag(P.src, REPO, clean, '1.0-extra'), 'exists'); // 409 → exists
    assert.deepEqual((await api.listTags(P.src, REPO, clean)).map((x) => x.name).sort(), [
      '1.0',
      '1.0-extra',
    ]);
  });

  it('401 for bad credentials (anonymous), 403 without permission, 404 only for the admin', async () => {
    const wrong = connect(t, { username: robot.username, password: 'not-the-secret' }, log);
    const other = await fx.robot('reader', { [P.src]: ['project:read', 'artifact:read', 'repository:pull'] });
    const reader = connect(t, other, log);
    try {
      const e401 = await refused(() => new HarborApi(wrong).getProject(P.src));
      assert.deepEqual([e401.status, e401.code, e401.harborMessage], [401, 'UNAUTHORIZED', 'unauthorized']);
      const e403 = await refused(() => new HarborApi(reader).getProject(P.gate));
      assert.deepEqual([e403.status, e403.code], [403, 'FORBIDDEN']);
      const copy403 = await refused(() =>
        new HarborApi(reader).copyArtifact(P.gate, REPO, `${repoOf(P.src)}@${clean}`),
      );
      assert.deepEqual([copy403.status, copy403.code], [403, 'FORBIDDEN']);
      const missing = `${fx.id}-missing`;
      assert.equal((await refused(() => new HarborApi(reader).getProject(missing))).status, 403);
      const e404 = await refused(() => admin.getProject(missing));
      assert.deepEqual([e404.status, e404.harborMessage], [404, `project ${missing} not found`]);
      // /v2 never says 403: a registry refusal is 401 (harbor-api.md §8)
      assert.equal(
        (await refused(() => new RegistryApi(wrong).headManifest(P.src, REPO, '1.0'))).status,
        401,
      );
    } finally {
      await wrong.close();
      await reader.close();
    }
  });

  it('robots: unknown permissions are refused with a 400 naming them', async () => {
    const e = await refused(() =>
      adminConn.request({
        method: 'POST',
        template: '/robots',
        body: fx.robotBody('bogus', { [P.src]: ['artifact:read', 'nonsense:fly'] }),
      }),
    );
    assert.equal(e.status, 400);
    assert.match(e.harborMessage, /bad request permission: nonsense:fly/);
  });

  it('422 UNPROCESSABLE_ENTITY for page_size above 100', async () => {
    const e = await refused(() =>
      robotConn.request({
        method: 'GET',
        template: '/projects/{project_name}/repositories/{repository_name}/artifacts',
        params: { project_name: P.src, repository_name: REPO },
        query: { page: 1, page_size: 101 },
      }),
    );
    assert.equal(e.status, 422);
    assert.equal(e.code, 'UNPROCESSABLE_ENTITY');
    assert.match(e.harborMessage, /page_size in query should be less than or equal to 100/);
  });

  it('copy carries the cosign signature; content trust then lets it through; cosign verifies the copy', async () => {
    await cosign.sign(t.admin, repoOf(P.src), clean);
    const srcSigs = await api.listAccessories(P.src, REPO, clean, 'signature.cosign');
    assert.equal(srcSigs.length, 1);
    await copyArtifact(api, P.signed, REPO, `${repoOf(P.src)}@${clean}`);
    const copied = await api.getArtifact(P.signed, REPO, clean, { withTag: true, withAccessory: true });
    assert.deepEqual((copied.tags ?? []).map((x) => x.name).sort(), ['1.0', '1.0-extra']);
    const accs = (copied.accessories ?? []).filter((x) => x.type === 'signature.cosign');
    assert.equal(accs.length, 1);
    assert.equal(accs[0]!.digest, srcSigs[0]!.digest);
    assert.equal((await api.listAccessories(P.signed, REPO, clean, 'signature.cosign')).length, 1);
    assert.equal((await registry.headManifest(P.signed, REPO, clean)).digest, clean);
    // What the worker's in-process signature check reads: the `.sig` manifest and its payload blob, exact bytes.
    const sigTag = `${clean.replace(':', '-')}.sig`;
    const sig = await registry.getManifest(P.signed, REPO, sigTag);
    assert.ok(sig, `no ${sigTag} manifest in ${P.signed}`);
    const layer = (JSON.parse(sig.bytes.toString('utf8')) as { layers: { digest: string }[] }).layers[0]!;
    const payload = await registry.getBlob(P.signed, REPO, layer.digest);
    assert.equal(`sha256:${createHash('sha256').update(payload).digest('hex')}`, layer.digest);
    assert.equal(await registry.getManifest(P.signed, REPO, 'sha256-0000.sig'), undefined); // 404: unsigned
    const v = await cosign.verify(robot, repoOf(P.signed), clean);
    assert.equal(v.code, 0, v.stderr);
  });

  it('re-copy answers 201, adds the new tags, carries no second signature', async () => {
    assert.equal(await admin.createTag(P.src, REPO, clean, '1.1'), 'created');
    await copyArtifact(api, P.signed, REPO, `${repoOf(P.src)}@${clean}`);
    const again = await api.getArtifact(P.signed, REPO, clean, { withTag: true, withAccessory: true });
    assert.deepEqual((again.tags ?? []).map((x) => x.name).sort(), ['1.0', '1.0-extra', '1.1']);
    assert.equal((again.accessories ?? []).filter((x) => x.type === 'signature.cosign').length, 1);
  });

  it('content trust (cosign) refuses an unsigned image with 412 and its message; REST still reads it', async () => {
    const unsigned = await pushImageTo(t, t.admin, repoOf(P.src), 'unsigned', CLEAN);
    await copyArtifact(api, P.signed, REPO, `${repoOf(P.src)}:unsigned`);
    assert.equal((await api.getArtifact(P.signed, REPO, unsigned)).digest, unsigned);
    const e = await refused(() => registry.headManifest(P.signed, REPO, 'unsigned'));
    assert.deepEqual(
      [e.status, e.code, e.harborMessage],
      [412, 'PROJECTPOLICYVIOLATION', 'The image is not signed by cosign.'],
    );
    // Harbor lets a signer through (a push-scoped token and a cosign User-Agent): how the worker and
    // `verify` read attestations in such a project (RegistryApi.getManifestAsSigner).
    const asSigner = await registry.getManifestAsSigner(P.signed, REPO, unsigned);
    assert.ok(asSigner, 'the signer read found no manifest');
    assert.equal(`sha256:${createHash('sha256').update(asSigner.bytes).digest('hex')}`, unsigned);
  });

  it('prevent_vul without a scan: 412 "without vulnerability scanning" (allowed when there is no scanner)', async () => {
    // Reports are shared by digest across projects (harbor-api.md §10.6): only a digest never scanned
    // anywhere is "without scanning", so push a fresh one straight into the project without auto-scan.
    const fresh = await pushImageTo(t, t.admin, repoOf(P.unscanned), 'fresh', CLEAN);
    if (!t.scanner) {
      assert.equal((await registry.headManifest(P.unscanned, REPO, fresh)).digest, fresh);
      return;
    }
    const e = await refused(() => registry.headManifest(P.unscanned, REPO, fresh));
    assert.deepEqual([e.status, e.code], [412, 'PROJECTPOLICYVIOLATION']);
    assert.equal(
      e.harborMessage,
      `current image without vulnerability scanning cannot be pulled due to ${POLICY} To continue with pull, please contact your project administrator for help.`,
    );
  });

  scannerIt('scan lifecycle: 202 then 409 while running, Pending/Running → Success, report ids', async () => {
    const done = await scanned(P.src, clean); // auto-scan on push
    assert.equal(await api.scanArtifact(P.src, REPO, clean), 'started'); // 202
    const now = overview(await api.getArtifact(P.src, REPO, clean, { withScanOverview: true }));
    assert.ok(
      ['Pending', 'Scheduled', 'Running', 'Success'].includes(now?.scan_status ?? ''),
      JSON.stringify(now),
    );
    assert.notEqual(now?.report_id, done.report_id, 'a new scan replaces the report');
    if (now?.scan_status === 'Pending' || now?.scan_status === 'Scheduled') {
      // 409 while a scan is queued, which the client reports as already running. (A very fast scanner can
      // finish between the two requests, so this is checked only while the job has not started.)
      const second = await api.scanArtifact(P.src, REPO, clean);
      if (second === 'started') assert.equal((await reportId(P.src, clean)) !== now.report_id, true);
      else assert.equal(second, 'already-running');
    }
    if (now?.scan_status !== 'Success')
      assert.ok(!('severity' in now!) && !('summary' in now!), 'pending holds no summary');
    const rescanned = await scanned(P.src, clean, done.report_id);
    assert.notEqual(rescanned.report_id, done.report_id);
    assert.equal(rescanned.summary?.total ?? 0, 0);
    assert.deepEqual(await api.getVulnerabilityIds(P.src, REPO, clean), []);
  });

  scannerIt(
    'prevent_vul: a vulnerable copy is refused with 412 naming the count; a clean one passes',
    async () => {
      vuln = await pushImageTo(t, t.admin, repoOf(P.src), 'vuln', VULNERABLE);
      const atSrc = await scanned(P.src, vuln);
      assert.equal(atSrc.severity, 'High');
      assert.deepEqual((await api.getVulnerabilityIds(P.src, REPO, vuln)).length, 2);
      await copyArtifact(api, P.gate, REPO, `${repoOf(P.src)}:vuln`);
      // The copy's auto-scan gives the digest a new report; until it is Success the status itself blocks.
      const during = await refused(() => registry.headManifest(P.gate, REPO, vuln));
      assert.equal(during.status, 412);
      assert.match(
        during.harborMessage,
        /^current image with (2 vulnerabilities|"(Pending|Scheduled|Running)" status of vulnerability scanning) cannot be pulled/,
      );
      await scanned(P.gate, vuln, atSrc.report_id);
      const e = await refused(() => registry.headManifest(P.gate, REPO, vuln));
      assert.deepEqual([e.status, e.code], [412, 'PROJECTPOLICYVIOLATION']);
      assert.equal(
        e.harborMessage,
        `current image with 2 vulnerabilities cannot be pulled due to ${POLICY} To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.`,
      );
      assert.equal((await api.getArtifact(P.gate, REPO, vuln)).digest, vuln); // REST reads are not blocked
      const before = await reportId(P.src, clean);
      await copyArtifact(api, P.gate, REPO, `${repoOf(P.src)}@${clean}`);
      await scanned(P.gate, clean, before);
      assert.equal((await registry.headManifest(P.gate, REPO, clean)).digest, clean);
    },
  );

  it('multi-arch: a two-platform index copies with its children and, once they are scanned, HEADs as an index', async () => {
    const idx = await pushIndexTo(t, t.admin, repoOf(P.src), 'multi');
    const a = await api.getArtifact(P.src, REPO, 'multi');
    assert.equal(a.digest, idx.digest);
    assert.deepEqual((a.references ?? []).map((r) => r.child_digest).sort(), [...idx.children].sort());
    const before = t.scanner ? await Promise.all(idx.children.map((c) => scanned(P.src, c))) : [];
    await copyArtifact(api, P.gate, REPO, `${repoOf(P.src)}:multi`);
    const copied = await api.getArtifact(P.gate, REPO, idx.digest);
    assert.deepEqual((copied.references ?? []).map((r) => r.child_digest).sort(), [...idx.children].sort());
    for (const child of idx.children)
      assert.equal((await api.getArtifact(P.gate, REPO, child)).digest, child);
    // prevent_vul: an index with no report yet counts as "without vulnerability scanning" (the not-found
    // check comes first in Harbor's vulnerable middleware); once its children are scanned, an IMAGE index
    // itself is skipped and each child is judged when pulled.
    for (const [i, child] of idx.children.entries()) await scannedIf(P.gate, child, before[i]?.report_id);
    const head = await registry.headManifest(P.gate, REPO, 'multi');
    assert.equal(head.digest, idx.digest);
    assert.equal(head.mediaType?.split(';')[0], INDEX);
    for (const child of idx.children)
      assert.equal((await registry.headManifest(P.gate, REPO, child)).digest, child);
  });

  it('deletes an artifact (admin); it is gone afterwards', async () => {
    const d = await pushImageTo(t, t.admin, repoOf(P.src), 'deleteme', CLEAN);
    await admin.deleteArtifact(P.src, REPO, d);
    const e = await refused(() => admin.getArtifact(P.src, REPO, d));
    assert.equal(e.status, 404);
  });

  it("every operation the client knows was exercised, and every refusal came in Harbor's error envelope", async () => {
    const seen = new Set(
      log.map((r) =>
        opKey({ method: r.method, template: r.api === 'rest' ? r.template : registryTemplate(r.path) }),
      ),
    );
    const ops = await clientOperations();
    const skipped = t.scanner
      ? []
      : ops.filter((o) => /\/scan$|additions\/vulnerabilities$/.test(o.template));
    const missing = ops.filter((o) => !seen.has(opKey(o)) && !skipped.includes(o)).map(opKey);
    assert.deepEqual(missing, []);
    assert.ok(refusals.length >= 8, `only ${refusals.length} refusals seen`);
    // A HEAD has no body (harbor-api.md §6); every other refusal names Harbor's code, not a bare HTTP status.
    const bare = refusals.filter((e) => e.ctx.method !== 'HEAD' && e.code.startsWith('HTTP_'));
    assert.deepEqual(
      bare.map((e) => e.message),
      [],
    );
  });
});
