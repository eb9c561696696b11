/**
 * `watch` without a server: a fake handle walks a promotion through three states. On a terminal the board
 * is redrawn in place (cursor up + clear, lines cut to the width); in a pipe one plain line per change;
 * the result is the promotion's outcome (and so the exit code).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { renderStatus, retryingActivities, type RawPendingActivity } from '../../../src/cli/render';
import { watchPromotion } from '../../../src/cli/watch';
import type { PromotionStatus } from '../../../src/workflows/messages';

function status(
  stage: PromotionStatus['stage'],
  env: string,
  gate?: PromotionStatus['pendingGate'],
): PromotionStatus {
  return {
    promotionId: 'promote-myservice@1.4.2',
    repository: 'myservice',
    reference: '1.4.2',
    digest: `sha256:${'b'.repeat(64)}`,
    stage,
    currentEnvironment: env,
    environments: ['dev', 'staging', 'production'],
    steps: [
      {
        id: 'dev/sign',
        environment: 'dev',
        step: 'sign',
        state: 'running',
        detail: `signing ${'x'.repeat(80)}`,
      },
    ],
    ...(gate && { pendingGate: gate }),
    scans: {},
    approvals: {},
    verifications: {},
    ignoredMessages: [],
  };
}

/** A handle that answers RUNNING for each given status (one per poll), then closes with `end`. */
function fake(
  states: PromotionStatus[],
  end: { status: 'COMPLETED' | 'FAILED'; result?: unknown; error?: Error },
  /** describe()'s raw pendingActivities, one list per poll. */
  pending: RawPendingActivity[][] = [],
) {
  let polls = 0;
  const handle = {
    workflowId: 'promote-myservice@1.4.2',
    describe: async () => ({
      status: { name: polls < states.length ? 'RUNNING' : end.status },
      runId: 'r1',
      raw: { pendingActivities: pending[polls] ?? [] },
    }),
    query: async () => states[Math.min(polls++, states.length - 1)],
    result: async () => {
      if (end.error) throw end.error;
      return end.result;
    },
  } as unknown as WorkflowHandle;
  const client = {
    connection: { withDeadline: (_d: number, fn: () => Promise<unknown>) => fn() },
  } as unknown as Client;
  return { handle, client };
}

function capture(isTTY: boolean, columns?: number) {
  const chunks: string[] = [];
  return {
    chunks,
    io: {
      stdout: { write: (s: string) => chunks.push(s), isTTY, ...(columns && { columns }) },
      stderr: { write: () => true },
    },
  };
}

const ESC = String.fromCharCode(27);
/** "cursor up N lines, clear to the end of the screen" */
const REDRAW = new RegExp(`${ESC}\\[\\d+F${ESC}\\[J`, 'g');

const record = { promotionId: 'promote-myservice@1.4.2', digest: `sha256:${'b'.repeat(64)}` };
const states = [status('signing', 'dev'), status('signing', 'dev'), status('copying', 'staging')];

describe('watch', () => {
  it('on a terminal: redraws the board in place, each line cut to the width; completed → exit 0', async () => {
    const { handle, client } = fake(states, { status: 'COMPLETED', result: record });
    const out = capture(true, 60);
    const outcome = await watchPromotion(client, handle, out.io, {
      json: false,
      url: 'http://ui',
      taskQueue: 'q',
      intervalMs: 1,
    });
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.status, 'COMPLETED');
    const text = out.chunks.join('');
    assert.ok(out.chunks.length >= 3, 'one draw per poll');
    assert.ok(out.chunks[1]!.search(REDRAW) === 0, 'second draw moves the cursor up and clears');
    const lines = text.replace(REDRAW, '').split('\n');
    assert.ok(
      lines.every((l) => [...l].length <= 59),
      `a line is wider than the terminal:\n${lines.find((l) => [...l].length > 59)}`,
    );
  });

  it('in a pipe: one plain line per change, no escape codes; failed → exit 1 with the failure type', async () => {
    const failure = ApplicationFailure.create({
      type: 'Quarantined',
      message: 'blocked by the project policy',
      nonRetryable: true,
    });
    const { handle, client } = fake(states, {
      status: 'FAILED',
      error: new WorkflowFailedError('Workflow execution failed', failure, 'NON_RETRYABLE_FAILURE'),
    });
    const out = capture(false);
    const outcome = await watchPromotion(client, handle, out.io, {
      json: false,
      url: 'http://ui',
      taskQueue: 'q',
      intervalMs: 1,
    });
    assert.equal(outcome.exitCode, 1);
    assert.equal(
      outcome.status === 'FAILED' && outcome.failure,
      'Quarantined: blocked by the project policy',
    );
    const text = out.chunks.join('');
    assert.ok(!text.includes(ESC), 'escape codes in a pipe');
    const lines = text.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, `expected one line per change (signing, copying):\n${text}`);
    assert.match(lines[0]!, /signing +dev +sign: signing x+/);
    assert.match(lines[1]!, /copying +staging/);
  });

  it('--until-waiting returns as soon as a person is needed, with the gate', async () => {
    const gate = {
      kind: 'approval' as const,
      environment: 'production',
      needs: '1 more approval',
      command: 'harbor-promote approve …',
    };
    const { handle, client } = fake(
      [
        status('signing', 'dev'),
        status('awaiting-approval', 'production', gate),
        status('copying', 'production'),
      ],
      {
        status: 'COMPLETED',
        result: record,
      },
    );
    const out = capture(false);
    const outcome = await watchPromotion(client, handle, out.io, {
      json: false,
      url: 'u',
      taskQueue: 'q',
      intervalMs: 1,
      untilWaiting: true,
    });
    assert.deepEqual(outcome, { status: 'WAITING', exitCode: 0, gate });
  });

  it('--json: one JSON object per change', async () => {
    const { handle, client } = fake(states, { status: 'COMPLETED', result: record });
    const out = capture(true);
    await watchPromotion(client, handle, out.io, { json: true, url: 'u', taskQueue: 'q', intervalMs: 1 });
    const events = out.chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; status: PromotionStatus });
    assert.deepEqual(
      events.map((e) => [e.event, e.status.stage]),
      [
        ['status', 'signing'],
        ['status', 'copying'],
      ],
    );
  });

  it('while an activity is retrying: its attempt and last failure (not "Activity task failed")', async () => {
    const retrying: RawPendingActivity = {
      activityType: { name: 'resolveDigest' },
      attempt: 3,
      nextAttemptScheduleTime: { seconds: Date.parse('2026-11-29T05:12:03Z') / 1000 },
      lastFailure: {
        message: 'resolve platform-dev/myservice:1.4.2: Harbor GET /api/v2.0/x answered 503 UNKNOWN',
        applicationFailureInfo: { type: 'Transient' },
      },
    };
    const { handle, client } = fake(
      [status('resolving', 'dev'), status('resolving', 'dev'), status('resolving', 'dev')],
      { status: 'COMPLETED', result: record },
      [[], [retrying], [retrying]],
    );
    const out = capture(false);
    await watchPromotion(client, handle, out.io, { json: false, url: 'u', taskQueue: 'q', intervalMs: 1 });
    const lines = out.chunks.join('').split('\n').filter(Boolean);
    assert.equal(
      lines.length,
      2,
      `a new line when the retry starts, none while it stays the same:\n${lines.join('\n')}`,
    );
    assert.match(
      lines[1]!,
      /retrying resolveDigest \(attempt 3\): Transient: resolve platform-dev\/myservice:1\.4\.2: Harbor GET \/api\/v2\.0\/x answered 503 UNKNOWN$/,
    );
  });
});

describe('retrying activities on the status board', () => {
  it('show the cause chain and the next attempt; not once the promotion failed', () => {
    const r = retryingActivities([
      { activityType: { name: 'copyArtifact' }, attempt: 1 }, // running, never failed: not retrying
      {
        activityType: { name: 'copyArtifact' },
        attempt: 4,
        nextAttemptScheduleTime: { seconds: { toNumber: () => Date.parse('2026-11-29T05:12:03Z') / 1000 } },
        lastFailure: {
          message: 'activity StartToClose timeout',
          cause: {
            message: 'copy x: Harbor POST … answered 502',
            applicationFailureInfo: { type: 'Transient' },
          },
        },
      },
    ]);
    assert.equal(r.length, 1);
    const board = renderStatus(status('copying', 'staging'), { retrying: r, url: 'http://ui' });
    assert.ok(
      board.includes(
        '  retrying copyArtifact (attempt 4, next at 05:12:03): activity StartToClose timeout ← Transient: copy x: Harbor POST … answered 502',
      ),
      board.join('\n'),
    );
    assert.equal(board.at(-1), '  UI: http://ui', 'the UI link stays last');
    const failed = { ...status('failed', 'staging'), failure: 'HarborIncompatible: …' };
    assert.ok(!renderStatus(failed, { retrying: r }).some((l) => l.includes('retrying')));
  });
});
