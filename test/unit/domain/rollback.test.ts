/** Which digest `rollback --previous` goes back to, decided from the deployments the records describe. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineSchema, type PipelineFile } from '../../../src/domain/pipeline.js';
import type { PromotionRecord } from '../../../src/domain/promotion.js';
import {
  checkRollbackInput,
  currentDeployment,
  deploymentFromRecord,
  deploymentFromStatus,
  findPrevious,
  lastDeploymentOf,
  rollbackEnvironment,
  rollbackWorkflowId,
  type Deployment,
} from '../../../src/domain/rollback.js';

const D = (n: number) => `sha256:${String(n).repeat(64)}`;
const where = { repository: 'myservice', environment: 'production' };
let seq = 0;
const dep = (digest: string, extra: Partial<Deployment> = {}): Deployment => ({
  workflowId: `promote-myservice@${digest.slice(7, 10)}-${++seq}`,
  kind: 'promotion',
  digest,
  at: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`,
  completed: true,
  ...extra,
});

describe('findPrevious', () => {
  it('after two promotions, the previous is the first', () => {
    const a = dep(D(1), { tag: '1.0.1' });
    const b = dep(D(2), { tag: '1.0.2' });
    const r = findPrevious([b, a], where); // order of the visibility list does not matter
    assert.ok(r.ok);
    assert.equal(r.current.digest, D(2));
    assert.equal(r.previous.digest, D(1));
    assert.equal(r.previous.tag, '1.0.1');
  });

  it('repeated --previous walks back through promotions instead of forward again', () => {
    const a = dep(D(1));
    const b = dep(D(2));
    const c = dep(D(3));
    const back = dep(D(2), { kind: 'rollback' });
    const r = findPrevious([a, b, c, back], where);
    assert.ok(r.ok);
    assert.equal(r.current.digest, D(2));
    assert.equal(r.previous.digest, D(1));
    // At the oldest build there is nothing further back.
    const r2 = findPrevious([a, b, c, back, dep(D(1), { kind: 'rollback' })], where);
    assert.equal(r2.ok, false);
    assert.match(!r2.ok ? r2.problem : '', /no previous digest to roll back to; give the digest with --to/);
  });

  it('a promotion that wrote the overlay and then failed is current, but never a target', () => {
    const a = dep(D(1));
    const b = dep(D(2));
    const failed = dep(D(3), { completed: false });
    const r = findPrevious([a, b, failed], where);
    assert.ok(r.ok);
    assert.equal(r.current.digest, D(3));
    assert.equal(r.previous.digest, D(2));
    // A later good promotion: the failed build is skipped as a target.
    const r2 = findPrevious([a, b, failed, dep(D(4))], where);
    assert.ok(r2.ok);
    assert.equal(r2.previous.digest, D(2));
  });

  it('the same digest promoted twice is not its own previous', () => {
    const r = findPrevious([dep(D(1)), dep(D(2)), dep(D(2))], where);
    assert.ok(r.ok);
    assert.equal(r.previous.digest, D(1));
  });

  it('explains when there is nothing recorded, or only one digest', () => {
    const none = findPrevious([], where);
    assert.equal(none.ok, false);
    assert.match(!none.ok ? none.problem : '', /no promotion of myservice into production is recorded/);
    const one = findPrevious([dep(D(1))], where);
    assert.equal(one.ok, false);
    assert.match(!one.ok ? one.problem : '', new RegExp(`production of myservice points at ${D(1)}`));
  });

  it('--to finds the tag and promotion of its digest, and the current one', () => {
    const a = dep(D(1), { tag: '1.0.1' });
    const b = dep(D(2), { tag: '1.0.2' });
    assert.equal(lastDeploymentOf([a, b], D(1))?.workflowId, a.workflowId);
    assert.equal(lastDeploymentOf([a, b], D(9)), undefined);
    assert.equal(currentDeployment([b, a])?.digest, D(2));
  });
});

describe('deployments from records and status', () => {
  const record = (over: Partial<PromotionRecord>): PromotionRecord => ({
    promotionId: 'promote-myservice@1.0.2',
    repository: 'myservice',
    reference: '1.0.2',
    digest: D(2),
    manifestMediaType: '',
    environments: ['dev', 'staging', 'production'],
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T01:00:00.000Z',
    steps: [
      {
        id: 'production/updateOverlay',
        environment: 'production',
        step: 'updateOverlay',
        state: 'succeeded',
        finishedAt: '2026-01-01T00:30:00.000Z',
      },
    ],
    scans: {},
    copies: {},
    approvals: {},
    verifications: {},
    overlays: { production: { changed: true, commit: 'c1', path: 'p/kustomization.yaml' } },
    proof: [],
    ignoredMessages: [],
    ...over,
  });

  it('a completed promotion counts where it wrote the overlay, at the time it wrote it', () => {
    const d = deploymentFromRecord(record({}), 'production');
    assert.deepEqual(d, {
      workflowId: 'promote-myservice@1.0.2',
      kind: 'promotion',
      digest: D(2),
      tag: '1.0.2',
      at: '2026-01-01T00:30:00.000Z',
      completed: true,
    });
    assert.equal(deploymentFromRecord(record({}), 'staging'), undefined);
    assert.equal(deploymentFromRecord(record({ kind: 'rollback' }), 'production')?.kind, 'rollback');
    assert.equal(deploymentFromRecord(record({ reference: D(2) }), 'production')?.tag, undefined);
  });

  it('an unfinished one counts only when its overlay step succeeded', () => {
    const steps = record({}).steps;
    const st = { digest: D(3), reference: '1.0.3', steps };
    assert.equal(deploymentFromStatus(st, 'production', 'p3', 'promotion')?.completed, false);
    const notYet = { ...st, steps: [{ ...steps[0]!, state: 'pending' as const }] };
    assert.equal(deploymentFromStatus(notYet, 'production', 'p3', 'promotion'), undefined);
  });
});

describe('rollback input', () => {
  const pipeline = (edit?: (p: PipelineFile) => void): PipelineFile => {
    const p: PipelineFile = {
      apiVersion: 'harbor-promote/v1',
      registry: 'harbor.test',
      environments: [
        { name: 'dev', project: 'platform-dev' },
        { name: 'staging', project: 'platform-staging' },
        {
          name: 'production',
          project: 'platform-production',
          approval: { approvers: ['alice'] },
          overlay: { path: 'prod/kustomization.yaml' },
        },
      ],
    };
    edit?.(p);
    return p;
  };
  const input = { repository: 'myservice', environment: 'production', to: D(1) };

  it('names the environment problem and the fix', () => {
    const bad = (environment: string) => {
      const r = checkRollbackInput({ ...input, pipeline: pipeline(), environment });
      return r.ok ? '' : r.problems.join('\n');
    };
    assert.match(
      bad('qa'),
      /^environment: "qa" is not an environment of this pipeline; use one of production$/,
    );
    assert.match(bad('dev'), /source environment/);
    assert.match(bad('staging'), /"staging" has no overlay in the pipeline.*use one of production/);
    const same = checkRollbackInput({ ...input, pipeline: pipeline(), from: D(1) });
    assert.match(same.ok ? '' : same.problems.join(), /^to: production already points at/);
    assert.ok(checkRollbackInput({ ...input, pipeline: pipeline() }).ok);
  });

  it('`rollback: { approval: false }` leaves the approval gate out; the schema checks the key', () => {
    const off = PipelineSchema.parse(pipeline((p) => (p.rollback = { approval: false })));
    assert.equal(rollbackEnvironment(off, 'production').env.approval, undefined);
    assert.equal(rollbackEnvironment(off, 'production').index, 2);
    const on = PipelineSchema.parse(pipeline());
    assert.deepEqual(rollbackEnvironment(on, 'production').env.approval?.approvers, ['alice']);
    const typo = PipelineSchema.safeParse(
      pipeline((p) => Object.assign(p, { rollback: { aproval: false } })),
    );
    assert.equal(typo.success, false);
    const wrong = PipelineSchema.safeParse(
      pipeline((p) => Object.assign(p, { rollback: { approval: 'no' } })),
    );
    assert.match(JSON.stringify(wrong.error?.issues), /must be true or false/);
  });

  it('the id names environment, repository and digest unambiguously', () => {
    assert.equal(rollbackWorkflowId('production', 'team/app', D(1)), `rollback-production/team/app@${D(1)}`);
  });
});
