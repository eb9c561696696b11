// Contract test: every REST request the client sends (method, path template, query parameter names)
// exists in Harbor's swagger (shared/reference/harbor-swagger-v2.yaml, basePath /api/v2.0). The requests
// are recorded while the activities and every HarborApi method run against harbor-sim.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  HarborApi,
  HarborConnection,
  HarborHttpError,
  RegistryApi,
  type RecordedRequest,
} from '../../../src/harbor/index.js';
import { clientOperations, opKey, registryTemplate } from '../../support/client-operations.js';
import { buildActivities } from '../../../src/activities/index.js';
import { ImagePusher } from '../activities/images.js';
import {
  activity,
  configFromEnv,
  DEV,
  PROD,
  SimControl,
  STAGING,
  stackEnv,
  uniqueRepo,
} from '../activities/helpers.js';

const SPEC_PATH = [
  resolve(__dirname, '../../../../shared/reference/harbor-swagger-v2.yaml'),
  '/work/shared/reference/harbor-swagger-v2.yaml',
].find(existsSync)!;
interface Param {
  name: string;
  in: string;
  $ref?: string;
}
type Spec = {
  basePath: string;
  parameters: Record<string, Param>;
  paths: Record<string, Record<string, { parameters?: Param[] }> & { parameters?: Param[] }>;
};
const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;
const deref = (p: Param): Param => (p.$ref ? spec.parameters[p.$ref.replace('#/parameters/', '')]! : p);

/** Problems with one recorded request, empty when it matches the spec. */
export function checkAgainstSpec(r: RecordedRequest): string[] {
  const item = spec.paths[r.template];
  if (!item) return [`${r.method} ${r.template}: path not in the spec`];
  const op = item[r.method.toLowerCase()] as { parameters?: Param[] } | undefined;
  if (!op) return [`${r.method} ${r.template}: method not in the spec`];
  const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref);
  const problems: string[] = [];
  const query = new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
  for (const q of r.query)
    if (!query.has(q)) problems.push(`${r.method} ${r.template}: query parameter ${q} not declared`);
  for (const p of params.filter((x) => x.in === 'path'))
    if (!r.template.includes(`{${p.name}}`)) problems.push(`${r.template}: path param ${p.name} missing`);
  const rx = new RegExp('^' + spec.basePath + r.template.replace(/\{[^}]+\}/g, '[^/]+') + '$');
  if (!rx.test(r.path)) problems.push(`${r.path} does not match ${r.template}`);
  return problems;
}

const env = stackEnv();
const sim = new SimControl(env);
const recorded: RecordedRequest[] = [];
const { activities: acts, connection } = buildActivities(configFromEnv(env), {
  onHarborRequest: (r) => recorded.push(r),
});
const api = new HarborApi(connection);
const ci = new ImagePusher({
  harborUrl: env.HARBOR_URL!,
  username: env.HARBOR_CI_USERNAME!,
  password: env.HARBOR_CI_PASSWORD!,
});
const repo = uniqueRepo('contract');

before(() => sim.clearFaults());
after(() => connection.close());

describe('Harbor client ↔ swagger contract', () => {
  it('the checker itself rejects what is not in the spec', () => {
    assert.notDeepEqual(
      checkAgainstSpec({ method: 'GET', api: 'rest', template: '/nope', path: '/api/v2.0/nope', query: [] }),
      [],
    );
    assert.notDeepEqual(
      checkAgainstSpec({
        method: 'GET',
        api: 'rest',
        template: '/projects/{project_name_or_id}',
        path: '/api/v2.0/projects/x',
        query: ['bogus'],
      }),
      [],
    );
    assert.notDeepEqual(
      checkAgainstSpec({
        method: 'PATCH',
        api: 'rest',
        template: '/projects/{project_name_or_id}',
        path: '/api/v2.0/projects/x',
        query: [],
      }),
      [],
    );
  });

  it('every request sent by the activities and the API methods exists in the spec', async () => {
    const { digest } = await ci.image(`${DEV}/${repo}`, '1.0');
    await activity(acts.resolveDigest, { project: DEV, repository: repo, reference: '1.0' });
    await activity(acts.readProjectPolicy, { project: PROD });
    await activity(acts.copyArtifact, {
      from: { project: DEV, repository: repo, digest },
      to: { project: STAGING, repository: repo },
      tag: 'extra',
      strategy: 'harbor',
    });
    await activity(acts.ensureScanned, {
      artifact: { project: STAGING, repository: repo, digest },
      notBefore: new Date(Date.now() + 1500).toISOString(),
      pollIntervalMs: 100,
    });
    await activity(acts.signImage, { artifact: { project: STAGING, repository: repo, digest } });
    await activity(acts.verifyDigests, {
      digest,
      artifacts: [{ project: STAGING, repository: repo, digest }],
    });
    // The signer's read (a push-scoped token, a cosign User-Agent): how attestations are read in projects
    // that block plain pulls (the final proof and `verify`).
    const asSigner = await new RegistryApi(connection).getManifestAsSigner(STAGING, repo, digest);
    assert.ok(asSigner, 'the signer read found no manifest');
    await api.listArtifacts(STAGING, repo, `digest=${digest}`);
    await api.listTags(STAGING, repo, digest);
    await api.getVulnerabilityIds(STAGING, repo, digest);
    await api.getSystemCveAllowlist();
    await api.createTag(STAGING, repo, digest, 'temp');
    await api.scanArtifact(STAGING, repo, digest);
    await sim.completeScans();
    // An unsigned copy in production: the HEAD's 412 makes the client GET the manifest for Harbor's message.
    await api.copyArtifact(PROD, repo, `${DEV}/${repo}@${digest}`);
    await assert.rejects(
      new RegistryApi(connection).headManifest(PROD, repo, digest),
      (e: unknown) => e instanceof HarborHttpError && e.status === 412 && e.harborMessage !== '',
    );
    // Only an admin may delete (the promoter never does); record it through an admin connection.
    const admin = new HarborConnection({
      baseUrl: env.HARBOR_URL!,
      username: env.HARBOR_ADMIN_USERNAME!,
      password: env.HARBOR_ADMIN_PASSWORD!,
      onRequest: (r) => recorded.push(r),
    });
    await new HarborApi(admin).deleteArtifact(STAGING, repo, digest);
    await admin.close();

    const rest = recorded.filter((r) => r.api === 'rest');
    const problems = rest.flatMap(checkAgainstSpec);
    assert.deepEqual(problems, []);
    // Every operation the client knows was exercised. The list is derived from the client itself
    // (test/support/client-operations.ts), so a new operation cannot slip past this test.
    const seen = new Set(
      recorded.map((r) =>
        opKey({ method: r.method, template: r.api === 'rest' ? r.template : registryTemplate(r.path) }),
      ),
    );
    const known = await clientOperations();
    assert.ok(known.length >= 13, 'the derivation found too few operations to be trusted');
    assert.deepEqual(known.filter((o) => !seen.has(opKey(o))).map(opKey), []);
    // The registry side is not in the swagger; it only ever reads: HEAD/GET of manifests, GET of a blob by
    // digest (a signature payload, for the in-process signature check), and the token for the signer's read.
    for (const r of recorded.filter((x) => x.api === 'registry'))
      assert.match(
        `${r.method} ${r.path}`,
        /^((HEAD|GET) \/v2\/.+\/manifests\/[^/]+|GET \/v2\/.+\/blobs\/sha256:[0-9a-f]{64}|GET \/service\/token\?service=harbor-registry&scope=repository%3A[^&]+%3Apull%2Cpush)$/,
      );
  });
});
