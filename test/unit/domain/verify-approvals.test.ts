// `verify --require-approvals` re-checks signed approvals from the signed promotion record alone
// (src/domain/verify.ts over sshsig.ts): signatures made by the real `ssh-keygen -Y sign`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  APPROVAL_NAMESPACE,
  approvalStatement,
  canonicalApprovalStatement,
} from '../../../src/domain/approval-statement.js';
import type { ParsedRecordPredicate } from '../../../src/domain/attestation.js';
import { validatePipeline } from '../../../src/domain/pipeline.js';
import { approvalCheck } from '../../../src/domain/verify.js';

const DIGEST = `sha256:${'d1'.repeat(32)}`;
const ID = 'promote-myservice@1.4.2';
let dir: string;
let seq = 0;
const keys: Record<string, { path: string; pub: string }> = {};

function newKey(name: string) {
  const path = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  keys[name] = { path, pub: readFileSync(`${path}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ') };
}

function signed(approver: string, key: string, over: { digest?: string; environment?: string } = {}) {
  const statement = canonicalApprovalStatement(
    approvalStatement({
      promotionId: ID,
      environment: over.environment ?? 'production',
      digest: over.digest ?? DIGEST,
      approver,
      decision: 'approve',
      comment: '',
      time: '2026-01-01T00:00:00.000Z',
      nonce: '0f3c6a52-7f0e-4c7b',
    }),
  );
  const file = join(dir, `statement-${++seq}`); // ssh-keygen does not overwrite an existing .sig
  writeFileSync(file, statement);
  const r = spawnSync(
    'ssh-keygen',
    ['-Y', 'sign', '-q', '-f', keys[key]!.path, '-n', APPROVAL_NAMESPACE, file],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return { approver, at: 't', signature: { statement, signature: readFileSync(`${file}.sig`, 'utf8') } };
}

const pipeline = () =>
  validatePipeline({
    apiVersion: 'harbor-promote/v1',
    registry: 'harbor.example.com',
    environments: [
      { name: 'dev', project: 'p-dev' },
      {
        name: 'production',
        project: 'p-prod',
        approval: {
          approvers: ['alice', 'bob'],
          required: 1,
          allowedSigners: [`alice ${keys.alice!.pub}`, `bob ${keys.bob!.pub}`],
        },
      },
    ],
  });

const record = (approvals: unknown[]): ParsedRecordPredicate =>
  ({
    promotionId: ID,
    digest: DIGEST,
    environment: 'production',
    policy: { uri: 'u', digest: { sha256: 'ab'.repeat(32) } },
    approvals: { production: { environment: 'production', required: 1, decision: 'approved', approvals } },
  }) as ParsedRecordPredicate;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hp-verify-sig-'));
  newKey('alice');
  newKey('bob');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('verify: signed approvals in the record', () => {
  const check = (approvals: unknown[]) => approvalCheck(pipeline().environments.slice(1), record(approvals));

  it("alice's own signature over this promotion, environment and digest: passes", () => {
    const c = check([signed('alice', 'alice')]);
    assert.equal(c.ok, true, c.message);
    assert.match(c.message, /production by alice \(1\/1, signatures verified\)/);
  });

  const refusals: [string, () => unknown[], RegExp][] = [
    [
      'unsigned where the pipeline lists keys',
      () => [{ approver: 'alice', at: 't' }],
      /alice's approval is not signed/,
    ],
    [
      "signed with bob's key as alice",
      () => [signed('alice', 'bob')],
      /alice's signature does not verify: the signing key .* is not an allowed signer/,
    ],
    [
      'signed for another digest',
      () => [signed('alice', 'alice', { digest: `sha256:${'e'.repeat(64)}` })],
      /signed statement is for digest "sha256:e+"/,
    ],
    [
      'signed for another environment',
      () => [signed('alice', 'alice', { environment: 'staging' })],
      /signed statement is for environment "staging"/,
    ],
    [
      'a statement changed after signing',
      () => {
        const a = signed('alice', 'alice');
        return [
          {
            ...a,
            signature: {
              ...a.signature,
              statement: a.signature.statement.replace('"comment":""', '"comment":"x"'),
            },
          },
        ];
      },
      /does not match the statement/,
    ],
  ];
  for (const [what, approvals, why] of refusals)
    it(`${what}: fails naming the approver`, () => {
      const c = check(approvals());
      assert.equal(c.ok, false);
      assert.equal(c.name, 'approvals');
      assert.match(c.message, why);
    });
});
