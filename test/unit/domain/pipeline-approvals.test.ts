/**
 * The pipeline's approval rules of issue 11: signed approvals (`allowedSigners` inline or
 * `allowedSignersFile` in the GitOps repository), `allowSelfApproval` and `allowRequestedBy`. A bad
 * value is one line naming the path and the fix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose, type DoctorFacts } from '../../../src/domain/doctor.js';
import { parsePipelineYaml } from '../../../src/domain/pipeline-file.js';
import { PipelineError } from '../../../src/domain/pipeline.js';

// A well-formed ssh-ed25519 key blob (the key bytes do not matter to the schema).
const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIJ0o8E1qz7RV0a4pQzP0NyR3Y9Q6cGkqv3m8hJ2Xk3fW';
const pipeline = (approval: string, head = '') =>
  `apiVersion: harbor-promote/v1\nregistry: harbor.example.com\n${head}environments:\n` +
  '  - { name: dev, project: platform-dev }\n' +
  `  - name: production\n    project: platform-production\n    approval:\n${approval
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n`;

function problems(yaml: string): string[] {
  try {
    parsePipelineYaml(yaml, 'p.yaml');
  } catch (e) {
    assert.ok(e instanceof PipelineError, String(e));
    return e.problems;
  }
  assert.fail('expected the pipeline to be rejected');
}

describe('approval rules in the pipeline', () => {
  it('accepts inline keys, a keys file, allowSelfApproval and allowRequestedBy; absent fields stay absent', () => {
    const inline = parsePipelineYaml(
      pipeline(
        `approvers: [alice, bob]\nallowSelfApproval: true\nallowedSigners:\n  - alice ssh-ed25519 ${KEY} alice@laptop\n  - bob ssh-ed25519 ${KEY}`,
        'allowRequestedBy: true\n',
      ),
    );
    assert.equal(inline.allowRequestedBy, true);
    assert.equal(inline.environments[1]!.approval!.allowSelfApproval, true);
    assert.equal(inline.environments[1]!.approval!.allowedSigners!.length, 2);
    const file = parsePipelineYaml(pipeline('approvers: [alice]\nallowedSignersFile: approvers/production'));
    assert.equal(file.environments[1]!.approval!.allowedSignersFile, 'approvers/production');
    const plain = parsePipelineYaml(pipeline('approvers: [alice]'));
    assert.deepEqual(plain.environments[1]!.approval, { approvers: ['alice'], required: 1, expiry: '72h' });
    assert.equal('allowRequestedBy' in plain, false);
  });

  const cases: [string, string, string][] = [
    [
      'an approver without a key',
      `approvers: [alice, bob]\nallowedSigners: ["alice ssh-ed25519 ${KEY}"]`,
      'environments[1].approval.allowedSigners: no key for bob; every approver needs a line "<name> ssh-ed25519 AAAA…" (or remove them from approvers)',
    ],
    [
      'an RSA key',
      `approvers: [alice]\nallowedSigners: ["alice ssh-rsa ${KEY}"]`,
      'environments[1].approval.allowedSigners[0]: key type "ssh-rsa" is not supported; use ssh-ed25519 or ecdsa-sha2-nistp256 (ssh-keygen -t ed25519)',
    ],
    [
      'both inline and file',
      `approvers: [alice]\nallowedSigners: ["alice ssh-ed25519 ${KEY}"]\nallowedSignersFile: keys`,
      'environments[1].approval.allowedSignersFile: give the keys inline (`allowedSigners`) or in a file (`allowedSignersFile`), not both',
    ],
    [
      'a file outside the repository',
      'approvers: [alice]\nallowedSignersFile: ../keys',
      'environments[1].approval.allowedSignersFile: must be a relative path inside the GitOps repository (no leading "/" or "..")',
    ],
    [
      'allowSelfApproval not a boolean',
      'approvers: [alice]\nallowSelfApproval: "yes"',
      'environments[1].approval.allowSelfApproval: must be true or false',
    ],
    [
      'a misspelt key',
      'approvers: [alice]\nallowedSigner: []',
      'environments[1].approval.allowedSigner: unknown key; did you mean "allowedSigners"?',
    ],
  ];
  for (const [name, approval, line] of cases)
    it(name, () => assert.deepEqual(problems(pipeline(approval)), [line]));
});

describe('doctor: approvers keys in the GitOps repository', () => {
  const p = parsePipelineYaml(pipeline('approvers: [alice]\nallowedSignersFile: approvers/production'));
  const facts = (present: boolean): DoctorFacts => ({
    harbor: { url: 'https://harbor.example.com', username: 'robot$promoter', version: 'v2.15.2' },
    projects: {},
    gitops: {
      url: 'https://git.example.com/gitops.git',
      branch: 'main',
      files: { 'approvers/production': present },
    },
    tools: [{ name: 'git', bin: '/usr/bin/git', error: 'not found' }],
  });
  const check = (r: ReturnType<typeof diagnose>, id: string) => r.checks.find((c) => c.id === id);

  it('checks the file exists on the branch, and that git is there to read it', () => {
    const missing = diagnose(p, facts(false));
    const c = check(missing, 'gitops:allowed-signers:production');
    assert.equal(c?.ok, false);
    assert.equal(c?.message, "production: approvers' keys approvers/production do not exist on branch main");
    assert.match(
      c!.fix!,
      /^commit approvers\/production \(allowed_signers lines .*environments\[1\]\.approval\.allowedSignersFile$/,
    );
    assert.equal(check(missing, 'tool:git')?.ok, false, 'git is needed without any overlay');
    assert.equal(check(diagnose(p, facts(true)), 'gitops:allowed-signers:production')?.ok, true);
  });
});
