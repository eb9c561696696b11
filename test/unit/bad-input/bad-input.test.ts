/**
 * Bad input corpus (issue 7 §3), the pure half: every row is refused with a message that names the field
 * and says what to do, before anything could be started. The rows are in ./corpus.ts; the stack-backed
 * half (the CLI and a live workflow refuse them and nothing changes: no workflow, no tag, no commit) is
 * test/integration/proof/bad-input-stack.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ImageReferenceError, parseImageReference } from '../../../src/domain/image-ref';
import { PipelineError, validatePipeline } from '../../../src/domain/pipeline';
import { parsePipelineYaml } from '../../../src/domain/pipeline-file';
import { checkPromotionInput } from '../../../src/domain/promotion';
import { approvalProblem } from '../../../src/workflows/approvals';
import type { PromotionState } from '../../../src/workflows/state';
import { promotionStartOptions } from '../../../src/workflows/start';
import { ConfigError, loadWorkerConfig } from '../../../src/worker/config';
import {
  GOOD_PIPELINE,
  IMAGE_REFERENCE_ROWS,
  MESSAGE_ROWS,
  PIPELINE_ROWS,
  PROMOTION_INPUT_ROWS,
  WORKER_ENV_ROWS,
  WORKER_TEST_SECRET,
} from './corpus';

const goodInput = () =>
  ({
    pipeline: JSON.parse(JSON.stringify(parsePipelineYaml(GOOD_PIPELINE))) as Record<string, unknown>,
    repository: 'myservice',
    reference: '1.4.2',
  }) as Record<string, unknown>;

describe('bad input: image references', () => {
  for (const row of IMAGE_REFERENCE_ROWS)
    it(`${row.name}: ${JSON.stringify(row.input).slice(0, 40)}`, () => {
      assert.throws(
        () => parseImageReference(row.input),
        (err: unknown) => {
          assert.ok(err instanceof ImageReferenceError, `expected ImageReferenceError, got ${String(err)}`);
          assert.equal(err.field, 'image');
          assert.match(err.message, row.expect);
          return true;
        },
      );
    });
});

describe('bad input: pipeline YAML', () => {
  it('the base pipeline of the corpus is valid (each row breaks one thing)', () => {
    parsePipelineYaml(GOOD_PIPELINE);
  });
  for (const row of PIPELINE_ROWS)
    it(row.name, () => {
      assert.throws(
        () => parsePipelineYaml(row.yaml, 'pipeline.yaml'),
        (err: unknown) => {
          assert.ok(err instanceof PipelineError, `expected PipelineError, got ${String(err)}`);
          assert.match(err.message, /^pipeline\.yaml is not a valid pipeline:/);
          for (const re of row.expect)
            assert.ok(
              err.problems.some((p) => re.test(p)),
              `no problem matches ${re}:\n${err.problems.join('\n')}`,
            );
          return true;
        },
      );
    });
});

describe('bad input: promotion input (the workflow validates it again, same messages)', () => {
  it('the base input is valid', () => {
    assert.equal(checkPromotionInput(goodInput()).ok, true);
  });
  for (const row of PROMOTION_INPUT_ROWS)
    it(row.name, () => {
      const input = goodInput();
      row.change(input);
      const r = checkPromotionInput(input);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.ok(
        r.problems.some((p) => row.expect.test(p)),
        `no problem matches ${row.expect}:\n${r.problems.join('\n')}`,
      );
      // The start helper (CLI, tests) refuses the same input before anything reaches Temporal.
      assert.throws(() => promotionStartOptions(input as never), /invalid promotion input/);
    });
  it('a pipeline object that skipped the YAML step is still checked', () => {
    assert.throws(
      () => validatePipeline({ apiVersion: 'harbor-promote/v1', registry: 'h', environments: [] }),
      PipelineError,
    );
  });
});

/** The workflow state as the approval validator sees it: staging's gate open, production's later. */
function gateState(
  overrides: {
    stagingApprovals?: string[];
    stagingDecision?: 'pending' | 'approved' | 'rejected';
    required?: number;
  } = {},
) {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    stage: 'awaiting-approval',
    currentEnvironment: 'staging',
    awaitingApprovalFor: 'staging',
    approvalRules: {}, // a gate without signatures or self-approval rules
    approvals: {
      staging: {
        environment: 'staging',
        approvers: ['alice', 'bob'],
        required: overrides.required ?? 1,
        decision: overrides.stagingDecision ?? 'pending',
        approvals: (overrides.stagingApprovals ?? []).map((approver) => ({
          approver,
          at,
          via: 'update' as const,
        })),
      },
      production: {
        environment: 'production',
        approvers: ['carol', 'dave'],
        required: 2,
        decision: 'pending',
        approvals: [],
      },
    },
  } as unknown as PromotionState;
}

describe('bad input: approve/reject messages (update validator refuses; the signal is ignored and listed)', () => {
  for (const row of MESSAGE_ROWS)
    it(`${row.kind}: ${row.name}`, () => {
      const problem = approvalProblem(gateState(), row.kind, row.args as never);
      assert.ok(problem, 'expected a refusal');
      assert.match(problem, row.expect);
    });
  it('approve: the same approver twice', () => {
    const problem = approvalProblem(gateState({ required: 2, stagingApprovals: ['alice'] }), 'approve', {
      environment: 'staging',
      approver: 'alice',
    });
    assert.match(problem ?? '', /"alice" already approved staging; 1 more from other approvers needed/);
  });
  it('approve: a decision already taken', () => {
    const problem = approvalProblem(gateState({ stagingDecision: 'rejected' }), 'approve', {
      environment: 'staging',
      approver: 'bob',
    });
    assert.match(problem ?? '', /the decision for staging is already taken: rejected/);
  });
  it('approve: not waiting for any approval yet', () => {
    const st = gateState();
    (st as { awaitingApprovalFor?: string }).awaitingApprovalFor = undefined;
    (st as { stage: string }).stage = 'scanning';
    (st as { currentEnvironment: string }).currentEnvironment = 'dev';
    assert.match(
      approvalProblem(st, 'approve', { environment: 'staging', approver: 'alice' }) ?? '',
      /not waiting for approval into staging yet \(stage: scanning in dev\)/,
    );
  });
  it('a valid approval is accepted (the rows above fail for their own reason only)', () => {
    assert.equal(
      approvalProblem(gateState(), 'approve', { environment: 'staging', approver: 'alice' }),
      undefined,
    );
  });
});

describe('bad input: worker environment (refused at start, naming the variable, never echoing a secret)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bad-worker-env-'));
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const base = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    HARBOR_URL: 'http://127.0.0.1:8080',
    HARBOR_USERNAME: 'robot$promoter',
    HARBOR_PASSWORD_FILE: file('promoter-secret', `${WORKER_TEST_SECRET}\n`),
    COSIGN_KEY_FILE: file('cosign.key', 'key'),
    COSIGN_PUBLIC_KEY_FILE: file('cosign.pub', 'pub'),
    COSIGN_PASSWORD_FILE: file('cosign-password', 'pw'),
    COSIGN_BIN: process.execPath, // any executable will do for the config check
    SKOPEO_BIN: process.execPath,
    GIT_BIN: process.execPath,
    GITOPS_REPO_URL: '/srv/gitops.git',
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the base environment is valid', () => {
    loadWorkerConfig(base());
  });
  for (const row of WORKER_ENV_ROWS)
    it(row.name, () => {
      const env = base();
      for (const [k, v] of Object.entries(row.env)) {
        if (v === undefined) delete env[k];
        else env[k] = v;
      }
      assert.throws(
        () => loadWorkerConfig(env),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
          assert.match(err.message, row.expect);
          assert.ok(!err.message.includes(WORKER_TEST_SECRET), 'the error echoes the secret');
          return true;
        },
      );
    });
});
