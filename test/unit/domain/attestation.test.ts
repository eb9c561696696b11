// The predicates a promotion attests per environment (src/domain/attestation.ts) and the decisions of
// `harbor-promote verify` (src/domain/verify.ts): pure, no registry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  canonicalPipeline,
  environmentEvidence,
  recordPredicate,
  verifiedLevel,
  vsaPredicate,
  VsaPredicateSchema,
} from '../../../src/domain/attestation.js';
import { validatePipeline, type PipelineFile } from '../../../src/domain/pipeline.js';
import type { PromotionRecord } from '../../../src/domain/promotion.js';
import { verifyChecks, type VerifyInput } from '../../../src/domain/verify.js';

const DIGEST = 'sha256:' + 'd'.repeat(64);
const file = (): PipelineFile => ({
  apiVersion: 'harbor-promote/v1',
  name: 'myservice',
  registry: 'harbor.example.com',
  environments: [
    { name: 'dev', project: 'platform-dev' },
    { name: 'staging', project: 'platform-staging' },
    { name: 'production', project: 'platform-prod', approval: { approvers: ['alice', 'bob'], required: 2 } },
  ],
});

/** The same value with every object's keys in reverse order. */
const reverseKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(reverseKeys)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .reverse()
            .map(([k, x]) => [k, reverseKeys(x)]),
        )
      : v;

describe('canonical pipeline', () => {
  it('sorts keys at every level, keeps array order, drops undefined', () => {
    assert.equal(
      canonicalJson({ b: [2, { d: 1, c: undefined, a: 'x' }], a: null }),
      '{"a":null,"b":[2,{"a":"x","d":1}]}',
    );
  });

  it('is the same whatever the key order or written-out defaults, and differs for another rule', () => {
    const a = validatePipeline(file());
    const reordered = reverseKeys(file()) as PipelineFile;
    const explicit = file();
    explicit.environments[1]!.severityThreshold = 'critical'; // the default, written out
    assert.equal(canonicalPipeline(validatePipeline(reordered)), canonicalPipeline(a));
    assert.equal(canonicalPipeline(validatePipeline(explicit)), canonicalPipeline(a));
    const stricter = file();
    stricter.environments[2]!.approval!.required = 1;
    assert.notEqual(canonicalPipeline(validatePipeline(stricter)), canonicalPipeline(a));
  });
});

describe('predicates', () => {
  it('the VSA: PASSED, the environment as its level, the policy and inputs as given', () => {
    const policy = {
      uri: 'https://harbor-promote.dev/pipeline/myservice',
      digest: { sha256: 'ab'.repeat(32) },
    };
    const v = vsaPredicate({
      identity: 'robot$promoter',
      version: '0.1.0',
      timeVerified: '2026-01-01T00:00:00.000Z',
      environment: 'k8s-prod',
      resourceUri: `oci://harbor.example.com/platform-prod/myservice@${DIGEST}`,
      policy,
      inputAttestations: [],
    });
    assert.deepEqual(v.verifiedLevels, ['HARBOR_PROMOTE_ENV_K8S_PROD']);
    assert.equal(v.verificationResult, 'PASSED');
    assert.equal(v.verifier.id, 'https://harbor-promote.dev/verifier/robot%24promoter');
    assert.deepEqual(v.verifier.version, { 'harbor-promote': '0.1.0' });
    assert.ok(VsaPredicateSchema.safeParse(v).success);
    assert.equal(verifiedLevel('production'), 'HARBOR_PROMOTE_ENV_PRODUCTION');
  });

  it('the record of an environment holds that and the earlier environments only', () => {
    const rec = {
      promotionId: 'promote-myservice@1.0',
      repository: 'myservice',
      reference: '1.0',
      digest: DIGEST,
      manifestMediaType: '',
      environments: ['dev', 'staging', 'production'],
      requestedBy: 'ci',
      startedAt: 't0',
      finishedAt: 't9',
      steps: [
        { id: 'staging/soak', environment: 'staging', step: 'soak', state: 'succeeded' },
        { id: 'production/approvalGate', environment: 'production', step: 'approvalGate', state: 'running' },
        { id: 'proveFinalState', step: 'proveFinalState', state: 'pending' },
      ],
      scans: { dev: {}, staging: {}, production: {} },
      copies: { staging: {}, production: {} },
      approvals: { production: { environment: 'production' } },
      verifications: {},
      overlays: { staging: { path: 'o', commit: 'c1', changed: true } },
      proof: [],
      ignoredMessages: [],
      signature: { signed: true, signatureDigest: 'sha256:5' },
    } as unknown as PromotionRecord;
    const ev = environmentEvidence(rec, 'staging');
    assert.deepEqual(ev.environments, ['dev', 'staging']);
    assert.deepEqual(Object.keys(ev.scans), ['dev', 'staging']);
    assert.deepEqual(Object.keys(ev.approvals), []);
    assert.deepEqual(
      ev.steps.map((s) => s.id),
      ['staging/soak'],
    );
    assert.equal(ev.signatureDigest, 'sha256:5');
    const p = recordPredicate(ev, {
      policy: { uri: 'u', digest: { sha256: 'e'.repeat(64) } },
      attestedAt: 't5',
      resourceUri: 'r',
    });
    assert.equal(p.environment, 'staging');
    assert.equal(p.attestedAt, 't5');
    assert.throws(() => environmentEvidence(rec, 'qa'), /qa is not in this promotion/);
  });
});

describe('verify checks', () => {
  const pipeline = validatePipeline(file());
  const prod = pipeline.environments[2]!;
  const policyDigest = 'ab'.repeat(32);
  const vsa = {
    verifier: { id: 'https://harbor-promote.dev/verifier/x' },
    timeVerified: 't',
    resourceUri: `oci://harbor.example.com/platform-prod/myservice@${DIGEST}`,
    policy: { uri: 'u', digest: { sha256: policyDigest } },
    verificationResult: 'PASSED',
    verifiedLevels: ['HARBOR_PROMOTE_ENV_PRODUCTION'],
  };
  const approval = (names: string[], decision = 'approved') => ({
    environment: 'production',
    required: 2,
    decision,
    approvals: names.map((approver) => ({ approver, at: 't' })),
  });
  const record = (names: string[], over: object = {}) => ({
    promotionId: 'p',
    digest: DIGEST,
    environment: 'production',
    policy: { uri: 'u', digest: { sha256: policyDigest } },
    approvals: { production: approval(names) },
    ...over,
  });
  const input = (over: Partial<VerifyInput> = {}): VerifyInput => ({
    pipeline,
    policyDigest,
    environment: prod,
    upTo: pipeline.environments.slice(1),
    project: 'platform-prod',
    repository: 'myservice',
    digest: DIGEST,
    signature: { state: 'valid', value: undefined },
    vsa: { state: 'valid', value: vsa },
    ...over,
  });
  const failed = (i: VerifyInput) =>
    verifyChecks(i)
      .filter((c) => !c.ok)
      .map((c) => `${c.name}: ${c.message}`);

  it('all pass: one line per check', () => {
    const checks = verifyChecks(input({ record: { state: 'valid', value: record(['alice', 'bob']) } }));
    assert.deepEqual(
      checks.map((c) => [c.name, c.ok]),
      ['signature', 'vsa', 'resource', 'policy', 'result', 'level', 'record', 'approvals'].map((n) => [
        n,
        true,
      ]),
    );
  });

  const cases: [string, Partial<VerifyInput>, RegExp][] = [
    ['no signature', { signature: { state: 'none', reasons: ['x'] } }, /^signature: no cosign signature/],
    ['no VSA', { vsa: { state: 'none', reasons: ['x'] } }, /^vsa: no verification summary/],
    ['another pipeline', { policyDigest: 'cd'.repeat(32) }, /^policy: .*promoted under another pipeline$/],
    [
      'FAILED',
      { vsa: { state: 'valid', value: { ...vsa, verificationResult: 'FAILED' } } },
      /^result: verificationResult is FAILED/,
    ],
    [
      'a staging VSA copied to production',
      { vsa: { state: 'valid', value: { ...vsa, verifiedLevels: ['HARBOR_PROMOTE_ENV_STAGING'] } } },
      /^level: .*lacks HARBOR_PROMOTE_ENV_PRODUCTION/,
    ],
    ['a VSA about another project', { project: 'platform-staging' }, /^resource: the VSA is about/],
    [
      'a tampered record',
      { record: { state: 'invalid', reasons: ['no signature verifies'] } },
      /^record: no promotion record verifies/,
    ],
    [
      'one approval of two',
      { record: { state: 'valid', value: record(['alice']) } },
      /^approvals: production: 1 approval, the pipeline requires 2$/,
    ],
    [
      'an unlisted approver',
      { record: { state: 'valid', value: record(['alice', 'mallory']) } },
      /^approvals: production: approved by mallory, not listed/,
    ],
    [
      'a record for another environment',
      { record: { state: 'valid', value: record(['alice', 'bob'], { environment: 'staging' }) } },
      /^record: the promotion record: it is for staging, not production$/,
    ],
  ];
  for (const [what, over, pattern] of cases)
    it(`${what}: fails, naming the check`, () => {
      const f = failed(input(over));
      assert.equal(f.length, 1, f.join('\n'));
      assert.match(f[0]!, pattern);
    });
});
