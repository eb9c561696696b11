/**
 * Determinism and history size.
 * - Replay: every recorded history in test/fixtures/histories/ must replay against today's workflow code;
 *   an incompatible change (reordered or added activities/timers without patched()) fails here.
 * - Size: polling a long scan must not grow the history. A three-environment promotion is a fixed number
 *   of events whatever the number of poll rounds; the bound asserted below is 150 events.
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
    const quick = await scenarios.happy(ctx, 0);
    // 5 NotReady rounds per scan, 3 scans. The server spaces retries ≥ 1s apart, so more rounds only cost time.
    const slow = await scenarios.happy(ctx, 5);
    assert.equal(quick.error, undefined, String(quick.error));
    assert.equal(slow.error, undefined, String(slow.error));
    const count = async (r: typeof quick) => (await r.handle.fetchHistory()).events!.length;
    const [q, s] = [await count(quick), await count(slow)];
    console.log(`history events: ${q} without polling, ${s} with 15 poll rounds`);
    assert.equal(s, q, 'poll rounds must not add events');
    assert.ok(s <= HISTORY_BOUND, `${s} events > ${HISTORY_BOUND}`);
  });
});
