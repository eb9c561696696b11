// The doctor's decisions from gathered facts: each mistake is one ✗ line with its fix; the good case passes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  diagnose,
  holds,
  operationsFor,
  renderReport,
  scanRules,
  type DoctorFacts,
  type ProjectFacts,
} from '../../../src/domain/doctor.js';
import { validatePipeline, type Pipeline } from '../../../src/domain/pipeline.js';

const READ = [
  'repository:pull',
  'artifact:read',
  'tag:list',
  'accessory:list',
  'project:read',
  'metadata:read',
];
const SCAN = ['scan:create', 'scan:read'];
const COPY = ['artifact:create', 'tag:create'];

function pipeline(edit?: (p: Record<string, unknown> & { environments: Record<string, unknown>[] }) => void) {
  const p = {
    apiVersion: 'harbor-promote/v1',
    name: 'myservice',
    registry: 'harbor.example.com',
    environments: [
      { name: 'dev', project: 'platform-dev' } as Record<string, unknown>,
      {
        name: 'staging',
        project: 'platform-staging',
        severityThreshold: 'high',
        overlay: { path: 'overlays/staging/kustomization.yaml' },
      },
      {
        name: 'production',
        project: 'platform-production',
        severityThreshold: 'high',
        overlay: { path: 'overlays/production/kustomization.yaml' },
      },
    ],
  };
  edit?.(p);
  return validatePipeline(p);
}

const project = (
  over: Partial<ProjectFacts> = {},
  perms = [...READ, ...SCAN, ...COPY, 'repository:push'],
) => ({
  exists: true,
  policy: { autoScan: true, preventVulnerable: false, severity: 'none' as const, cosignRequired: false },
  permissions: perms,
  scanner: 'Trivy',
  ...over,
});

function goodFacts(p: Pipeline): DoctorFacts {
  return {
    harbor: { url: 'https://harbor.example.com', username: 'robot$promoter', version: 'v2.15.2' },
    projects: Object.fromEntries(p.environments.map((e) => [e.project, project()])),
    gitops: {
      url: 'https://git.example.com/gitops.git',
      branch: 'main',
      files: Object.fromEntries(p.environments.flatMap((e) => (e.overlay ? [[e.overlay.path, true]] : []))),
    },
    cosign: { match: true },
    tools: [
      { name: 'cosign', bin: 'cosign', version: 'v3.1.2' },
      { name: 'skopeo', bin: 'skopeo', version: 'skopeo version 1.19.0' },
      { name: 'git', bin: 'git', version: 'git version 2.43.0' },
    ],
  };
}

const byId = (r: ReturnType<typeof diagnose>, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
};

describe('doctor', () => {
  it('all good: every check passes and the report says so', () => {
    const p = pipeline();
    const r = diagnose(p, goodFacts(p));
    assert.equal(r.ok, true, JSON.stringify(r.checks.filter((c) => !c.ok)));
    assert.equal(r.harborVersion, 'v2.15.2');
    const lines = renderReport(r);
    assert.ok(
      lines.every((l, i) => i === lines.length - 1 || l.startsWith('✓')),
      lines.join('\n'),
    );
    assert.match(lines.at(-1)!, /^all \d+ checks passed$/);
  });

  it('one mistake of each kind: each is a ✗ with its fix', () => {
    const p = pipeline();
    const f = goodFacts(p);
    f.projects['platform-production'] = { exists: false };
    f.projects['platform-staging'] = project({}, [...READ, ...SCAN]); // no copy permission
    f.projects['platform-dev'] = project({ scanner: null }); // no scanner, scan required
    f.gitops!.files['overlays/staging/kustomization.yaml'] = false;
    f.cosign = { match: false };
    const r = diagnose(p, f);
    assert.equal(r.ok, false);
    const failed = r.checks.filter((c) => !c.ok).map((c) => c.id);
    assert.deepEqual(failed.sort(), [
      'cosign:keypair',
      'gitops:overlay:staging',
      'project:platform-dev:scanner',
      'project:platform-production:exists',
      'project:platform-staging:permissions',
    ]);
    assert.match(byId(r, 'project:platform-production:exists').fix!, /create project platform-production/);
    const perm = byId(r, 'project:platform-staging:permissions');
    assert.match(perm.message, /cannot copy into platform-staging \(needs artifact:create, tag:create\)/);
    assert.match(perm.fix!, /grant robot\$promoter artifact:create, tag:create on project platform-staging/);
    assert.match(
      byId(r, 'project:platform-dev:scanner').fix!,
      /Interrogation Services.*scan: \{ required: false \}/,
    );
    assert.match(byId(r, 'gitops:overlay:staging').fix!, /commit overlays\/staging\/kustomization\.yaml/);
    assert.match(byId(r, 'cosign:keypair').fix!, /COSIGN_PUBLIC_KEY_FILE/);
    const text = renderReport(r).join('\n');
    assert.equal(text.match(/^✗ /gm)?.length, 5);
    assert.equal(text.match(/^ {4}fix: /gm)?.length, 5);
    assert.match(text, /5 of \d+ checks failed$/);
  });

  it('cosign enforcement and prevent_vul: the consequence is spelled out', () => {
    const p = pipeline();
    const f = goodFacts(p);
    f.projects['platform-production'] = project({
      policy: { autoScan: true, preventVulnerable: true, severity: 'medium', cosignRequired: true },
    });
    const r = diagnose(p, f);
    const c = byId(r, 'project:platform-production:policy');
    assert.match(
      c.message,
      /^production \(platform-production\) enforces cosign: unsigned images cannot be pulled there; the pipeline signs in dev: OK; prevents pulls of images with Medium or higher, scans on push/,
    );
    // Harbor stricter than the gate: a warning (the promotion would stop, as quarantine), with the fix.
    assert.equal(c.ok, true);
    assert.equal(c.warning, true);
    assert.match(c.message, /Harbor blocks from Medium but the pipeline's gate only from High/);
    assert.match(c.fix!, /environments\[2\]\.severityThreshold: medium/);
  });

  it('scan rules per environment: required fails without a scanner, optional warns, off needs none', () => {
    const p = pipeline((x) => {
      x.environments[1]!.scan = { required: false };
      x.environments[2]!.scan = false;
    });
    const f = goodFacts(p);
    for (const e of p.environments) f.projects[e.project] = project({ scanner: null });
    const r = diagnose(p, f);
    assert.equal(byId(r, 'project:platform-dev:scanner').ok, false);
    const opt = byId(r, 'project:platform-staging:scanner');
    assert.equal(opt.ok, true);
    assert.equal(opt.warning, true);
    assert.match(opt.message, /scan\.required: false .*NOT scanned/);
    assert.match(byId(r, 'project:platform-production:scanner').message, /no scanner needed; scan: false/);
    assert.deepEqual(
      scanRules(p).map((x) => x.mode),
      ['required', 'optional', 'off'],
    );
    // A destination without scan needs no scan permission.
    assert.ok(!operationsFor(p, 2).some((o) => o.what === 'scan'));
  });

  it('scan: false into a project that blocks unscanned images and never scans them fails', () => {
    const p = pipeline((x) => (x.environments[2]!.scan = false));
    const f = goodFacts(p);
    f.projects['platform-production'] = project({
      policy: { autoScan: false, preventVulnerable: true, severity: 'high', cosignRequired: false },
    });
    const c = byId(diagnose(p, f), 'project:platform-production:policy');
    assert.equal(c.ok, false);
    assert.match(c.fix!, /Automatically scan images on push/);
  });

  it('Harbor unreachable or the secret refused: no project checks, one ✗ with the fix', () => {
    const p = pipeline();
    const f = goodFacts(p);
    f.harbor.unreachable = 'ECONNREFUSED';
    let r = diagnose(p, f);
    assert.equal(byId(r, 'harbor:reachable').ok, false);
    assert.ok(!r.checks.some((c) => c.id.startsWith('project:')));
    delete f.harbor.unreachable;
    f.harbor.rejected = '401';
    r = diagnose(p, f);
    assert.match(byId(r, 'harbor:credentials').fix!, /HARBOR_PASSWORD_FILE/);
  });

  it('tools: a missing skopeo fails only when a destination copies with skopeo', () => {
    const f = (p: Pipeline) => {
      const x = goodFacts(p);
      x.tools![1] = { name: 'skopeo', bin: '/nope/skopeo', error: 'ENOENT' };
      return x;
    };
    const harbor = pipeline();
    assert.equal(byId(diagnose(harbor, f(harbor)), 'tool:skopeo').ok, true);
    const sk = pipeline((x) => (x.environments[1]!.copyStrategy = 'skopeo'));
    const c = byId(diagnose(sk, f(sk)), 'tool:skopeo');
    assert.equal(c.ok, false);
    assert.match(c.fix!, /SKOPEO_BIN/);
  });

  it('permissions listed relative to the project: the self resource counts as project', () => {
    assert.ok(holds(['.:read'], 'project:read'));
    assert.ok(holds([':read'], 'project:read'));
    assert.ok(holds(['artifact:*'], 'artifact:create'));
    assert.ok(!holds(['artifact:read'], 'artifact:create'));
  });
});
