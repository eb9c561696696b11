import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parsePipelineYaml } from '../../../src/domain/pipeline-file.js';
import { PipelineError } from '../../../src/domain/pipeline.js';
import { checkPromotionInput } from '../../../src/domain/promotion.js';

const base = (envs: string, head = 'apiVersion: harbor-promote/v1\nregistry: harbor.example.com\n') =>
  `${head}environments:\n${envs}`;
const DEV = '  - { name: dev, project: platform-dev }\n';
const STG = '  - { name: staging, project: platform-staging }\n';

function problems(yaml: string): string[] {
  try {
    parsePipelineYaml(yaml, 'p.yaml');
  } catch (e) {
    assert.ok(e instanceof PipelineError, String(e));
    return e.problems;
  }
  assert.fail('expected the pipeline to be rejected');
}

describe('the example pipeline', () => {
  it('parses, with defaults filled in', () => {
    const p = parsePipelineYaml(readFileSync('pipelines/myservice.yaml', 'utf8'));
    assert.deepEqual(
      p.environments.map((e) => e.project),
      ['platform-dev', 'platform-staging', 'platform-production'],
    );
    assert.equal(p.environments[1]!.copyStrategy, 'harbor');
    assert.deepEqual(p.environments[2]!.approval, {
      approvers: ['alice', 'bob', 'carol'],
      required: 2,
      expiry: '72h',
    });
    assert.deepEqual(p.environments[0]!.scan, { timeout: '30m', pollInterval: '15s' });
    assert.equal(p.environments[2]!.verification?.external, true);
  });
});

// Each broken file, and the exact line a user sees: the path, what is wrong, and the fix.
const broken: [string, string, string][] = [
  [
    'required > approvers',
    base(
      DEV +
        STG +
        '  - { name: production, project: platform-production, approval: { approvers: [alice, bob], required: 3 } }\n',
    ),
    'environments[2].approval.required: 3 exceeds the 2 approvers listed; lower it or add approvers',
  ],
  [
    'duplicate environment name',
    base(DEV + '  - { name: dev, project: platform-staging }\n'),
    'environments[1].name: "dev" is already used by environments[0]; give each environment its own name',
  ],
  [
    'duplicate project',
    base(DEV + '  - { name: staging, project: platform-dev }\n'),
    'environments[1].project: "platform-dev" is already used by environments[0]; each environment needs its own Harbor project',
  ],
  [
    'unknown key with a suggestion',
    base(DEV + '  - { name: staging, project: platform-staging, aproval: {} }\n'),
    'environments[1].aproval: unknown key; did you mean "approval"?',
  ],
  [
    'Harbor URL in the file',
    base(DEV + STG, 'apiVersion: harbor-promote/v1\nregistry: h.example.com\nharborUrl: https://h\n'),
    'harborUrl: unknown key; the Harbor URL and credentials come from the worker environment (HARBOR_URL, HARBOR_USERNAME, HARBOR_PASSWORD_FILE), remove it',
  ],
  [
    'password in an environment',
    base(DEV + '  - { name: staging, project: platform-staging, password: x }\n'),
    'environments[1].password: unknown key; the Harbor URL and credentials come from the worker environment (HARBOR_URL, HARBOR_USERNAME, HARBOR_PASSWORD_FILE), remove it',
  ],
  [
    'bad severity',
    base(DEV + '  - { name: staging, project: platform-staging, severityThreshold: severe }\n'),
    'environments[1].severityThreshold: must be one of none, negligible, low, medium, high, critical',
  ],
  [
    'bad copy strategy',
    base(DEV + '  - { name: staging, project: platform-staging, copyStrategy: rsync }\n'),
    'environments[1].copyStrategy: must be "harbor" (server-side copy) or "skopeo"',
  ],
  [
    'upper case project',
    base(DEV + '  - { name: staging, project: Platform-Staging }\n'),
    'environments[1].project: "Platform-Staging" is not a valid Harbor project name; use lower case letters, digits, ".", "_" or "-" (e.g. "platform-dev")',
  ],
  ['missing project', base(DEV + '  - { name: staging }\n'), 'environments[1].project: is required'],
  [
    'bad duration',
    base(DEV + '  - { name: staging, project: platform-staging, soak: 5 minutes }\n'),
    'environments[1].soak: is not a duration; write e.g. "30s", "15m", "72h" or "1h30m"',
  ],
  [
    'two verification kinds',
    base(
      DEV +
        '  - { name: staging, project: platform-staging, verification: { command: [x], external: true } }\n',
    ),
    'environments[1].verification: gives command and external; give exactly one of `command`, `webhook` or `external: true`',
  ],
  [
    'no verification kind',
    base(DEV + '  - { name: staging, project: platform-staging, verification: { timeout: 5m } }\n'),
    'environments[1].verification: says nothing to run; give exactly one of `command`, `webhook` or `external: true`',
  ],
  [
    'credentials in a webhook',
    base(
      DEV +
        '  - { name: staging, project: platform-staging, verification: { webhook: "https://u:p@ci.example.com/h" } }\n',
    ),
    'environments[1].verification.webhook: contains credentials; remove them (secrets live in the worker environment, never in the pipeline)',
  ],
  [
    'overlay outside the repo',
    base(
      DEV + '  - { name: staging, project: platform-staging, overlay: { path: ../x/kustomization.yaml } }\n',
    ),
    'environments[1].overlay.path: must be a relative path to a kustomization.yaml inside the GitOps repository (no leading "/" or "..")',
  ],
  [
    'approval on the source',
    base('  - { name: dev, project: platform-dev, approval: { approvers: [a] } }\n' + STG),
    'environments[0].approval: the first environment is the source (the image is resolved, scanned and signed there); move `approval` to a later environment',
  ],
  [
    'approver listed twice',
    base(DEV + '  - { name: staging, project: platform-staging, approval: { approvers: [alice, alice] } }\n'),
    'environments[1].approval.approvers[1]: "alice" is listed twice; list each approver once',
  ],
  [
    'one environment only',
    base(DEV),
    'environments: needs at least two environments: the source and one destination',
  ],
  [
    'wrong apiVersion',
    base(DEV + STG, 'apiVersion: v2\nregistry: h.example.com\n'),
    'apiVersion: must be "harbor-promote/v1"',
  ],
  [
    'registry with a scheme',
    base(DEV + STG, 'apiVersion: harbor-promote/v1\nregistry: https://h.example.com\n'),
    'registry: must be a registry host such as "harbor.example.com" (no scheme, path or credentials)',
  ],
  [
    'duplicate YAML key',
    'apiVersion: harbor-promote/v1\napiVersion: harbor-promote/v1\n',
    'line 2, column 1: Map keys must be unique; fix the YAML syntax',
  ],
  [
    'not a mapping',
    '- a\n- b\n',
    '(top level): expected a mapping with apiVersion, registry and environments',
  ],
  [
    'a poll interval of 0s (it would poll Harbor in a tight loop)',
    base(DEV.replace('}', ', scan: { pollInterval: 0s } }') + STG),
    'environments[0].scan.pollInterval: "0s" is under the shortest poll interval of 1s; give 1s or more (e.g. "15s")',
  ],
  [
    'a poll interval under a second',
    base(DEV + STG.replace('}', ', scan: { pollInterval: 999ms } }')),
    'environments[1].scan.pollInterval: "999ms" is under the shortest poll interval of 1s; give 1s or more (e.g. "15s")',
  ],
  [
    'a timeout beyond what a Temporal timer can wait',
    base(DEV.replace('}', ', scan: { timeout: 99999999d } }') + STG),
    'environments[0].scan.timeout: "99999999d" is longer than the longest wait harbor-promote allows (3650d, about 10 years; Temporal timers end at about 100 years); give a shorter duration',
  ],
  [
    'an approval expiry, verification timeout or soak beyond the limit',
    base(
      DEV +
        '  - { name: staging, project: platform-staging, soak: 3651d, approval: { approvers: [a], expiry: 87601h }, verification: { external: true, timeout: 5256001m } }\n',
    ),
    'environments[1].soak: "3651d" is longer than the longest wait harbor-promote allows (3650d, about 10 years; Temporal timers end at about 100 years); give a shorter duration',
  ],
];

describe('broken pipeline files', () => {
  for (const [name, yaml, want] of broken)
    it(`rejects ${name}`, () => {
      const got = problems(yaml);
      assert.ok(got.includes(want), `expected\n  ${want}\namong\n  ${got.join('\n  ')}`);
    });

  it('names every duration beyond the limit, and accepts the limits themselves', () => {
    const got = problems(
      base(
        DEV +
          '  - { name: staging, project: platform-staging, soak: 3651d, approval: { approvers: [a], expiry: 87601h }, verification: { external: true, timeout: 5256001m } }\n',
      ),
    );
    assert.deepEqual(
      got.map((l) => l.split(':')[0]),
      ['environments[1].approval.expiry', 'environments[1].verification.timeout', 'environments[1].soak'],
    );
    const p = parsePipelineYaml(
      base(
        DEV.replace('}', ', scan: { pollInterval: 1s, timeout: 3650d } }') +
          STG.replace('}', ', soak: 3650d }'),
      ),
    );
    assert.equal(p.environments[1]!.soak, '3650d');
  });

  it('reports every problem at once', () => {
    const got = problems(
      base('  - { name: dev, project: platform-dev }\n  - { name: Dev, project: x, soak: 1y }\n'),
    );
    assert.equal(got.length, 2, got.join('\n'));
  });
});

describe('promotion input', () => {
  const pipeline = parsePipelineYaml(readFileSync('pipelines/myservice.yaml', 'utf8'));
  it('accepts a tag or a digest', () => {
    assert.equal(
      checkPromotionInput({ pipeline, repository: 'myservice', reference: '1.4.2-a1b2c3d' }).ok,
      true,
    );
  });
  it('applies the duration limits to an input that did not come from a file', () => {
    const p = structuredClone(pipeline);
    p.environments[1]!.scan = { timeout: '30m', pollInterval: '0s' };
    const r = checkPromotionInput({ pipeline: p, repository: 'myservice', reference: '1.4.2' });
    assert.deepEqual(!r.ok && r.problems, [
      'pipeline.environments[1].scan.pollInterval: "0s" is under the shortest poll interval of 1s; give 1s or more (e.g. "15s")',
    ]);
    // The workflow's own check of promotions started before the limits (it applies them behind patched()).
    assert.equal(
      checkPromotionInput({ pipeline: p, repository: 'myservice', reference: '1.4.2' }, { limits: false }).ok,
      true,
    );
  });
  it('names the field and the fix', () => {
    const r = checkPromotionInput({
      pipeline,
      repository: 'MyService',
      reference: 'bad tag',
      targetEnvironment: 'qa',
    });
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.problems, [
      'repository: "MyService" has upper case letters; use "myservice" (Harbor repository names are lower case)',
      'reference: "bad tag" is not a valid tag; a tag starts with a letter, digit or "_" and continues with letters, digits, ".", "_" or "-" (Harbor\'s ^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$)',
      'targetEnvironment: "qa" is not a destination of this pipeline; use one of staging, production',
    ]);
  });
});
