/**
 * Determinism and history size.
 * - Replay: every recorded history in test/fixtures/histories/ must replay against today's workflow code;
 *   an incompatible change (reordered or added activities/timers without patched()) fails here.
 * - Size: polling a long scan must not grow the history. A three-environment promotion is a fixed number
 *   of events whatever the number of poll rounds; the bound asserted below is 150 events. The scans run
 *   the production ensureScanned (it polls inside one heartbeating attempt) over a fake Harbor, so the
 *   path checked is the one production takes, not a retry-by-failure stand-in.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { startTestEnv } from './helpers.js';
import { scenarios } from './scenarios.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'histories');
const HISTORY_BOUND = 150;
const ROUNDS = 5;

let ctx: Awaited<ReturnType<typeof startTestEnv>>;
before(async () => {
  ctx = await startTestEnv();
});
after(async () => {
  await ctx?.env.teardown();
});

describe('workflow history', () => {
  it('replays every recorded history deterministically', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    assert.ok(
      files.length >= 3,
      `expected recorded histories in ${FIXTURES}; run test/workflows/record-histories.ts`,
    );
    const histories = files.map((f) => ({
      workflowId: f,
      history: historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'))),
    }));
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: ctx.bundle }, histories))
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    assert.deepEqual(failures, []);
  });

  it(`stays at a fixed size (≤ ${HISTORY_BOUND} events) however many rounds the scans poll`, async () => {
    // Both runs use the production ensureScanned, which polls inside one attempt (pollingScans).
    const quick = await scenarios.happy(ctx, 0);
    const slow = await scenarios.happy(ctx, ROUNDS);
    assert.equal(quick.error, undefined, String(quick.error));
    assert.equal(slow.error, undefined, String(slow.error));
    // The path production uses ran: every scan in one attempt, and the slow one really polled.
    const scans = [...slow.scanStats!.reads.values()];
    assert.ok(scans.length >= 3, `one scan per environment at least, got ${scans.length}`);
    assert.deepEqual(
      slow.scanStats!.attempts,
      scans.map(() => 1),
      'each scan completes in its first attempt (no retry-by-failure)',
    );
    assert.deepEqual(
      scans,
      scans.map(() => ROUNDS + 1),
      `each scan read Running ${ROUNDS} times, then Success`,
    );
    assert.deepEqual(
      [...quick.scanStats!.reads.values()],
      scans.map(() => 1),
    );
    const events = async (r: typeof quick) => (await r.handle.fetchHistory()).events!;
    const [q, s] = [await events(quick), await events(slow)];
    console.log(
      `history events: ${q.length} without polling, ${s.length} with ${scans.length * ROUNDS} poll rounds`,
    );
    assert.deepEqual(
      s.map((e) => e.eventType),
      q.map((e) => e.eventType),
      'poll rounds must not add events',
    );
    assert.ok(s.length <= HISTORY_BOUND, `${s.length} events > ${HISTORY_BOUND}`);
  });
});
