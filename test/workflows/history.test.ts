/**
 * Determinism and history size.
 * - Replay: every recorded history in test/fixtures/histories/ must replay against today's workflow code;
 *   an incompatible change (reordered or added activities/timers without patched()) fails here.
 *   The rule: a change that alters recorded histories is versioned with patched() (the old branch stays
 *   for promotions still running), and record-histories.ts then adds new fixtures next to the old ones
 *   (<scenario>-v<N>.json). Old fixtures are never re-recorded or deleted: fixtures.sha256 lists every
 *   fixture with its hash, and this test fails when one is missing, changed or unlisted.
 * - Size: polling a long scan must not grow the history. A three-environment promotion is a fixed number
 *   of events whatever the number of poll rounds; the bound asserted below is 240 events (150 before the
 *   environment locks, which add 48 for staging and production, and the per-environment attestations). The scans run
 *   the production ensureScanned (it polls inside one heartbeating attempt) over a fake Harbor, so the
 *   path checked is the one production takes, not a retry-by-failure stand-in.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { startTestEnv } from './helpers.js';
import { REPLAY_WORKFLOW_IDS, scenarios } from './scenarios.js';
import { FIXTURES, MANIFEST, readManifest, scenarioOf } from './fixtures.js';

const HISTORY_BOUND = 240;
const ROUNDS = 5;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let ctx: Awaited<ReturnType<typeof startTestEnv>>;
before(async () => {
  ctx = await startTestEnv();
});
after(async () => {
  await ctx?.env.teardown();
});

describe('workflow history', () => {
  it('keeps every recorded fixture, unchanged, and has one for every scenario', () => {
    const listed = readManifest();
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    const problems: string[] = [];
    for (const [file, hash] of listed) {
      if (!files.includes(file)) problems.push(`${file} was removed (old fixtures stay; see the header)`);
      else if (sha256(join(FIXTURES, file)) !== hash)
        problems.push(`${file} was changed (record a new version instead; see the header)`);
    }
    for (const f of files) if (!listed.has(f)) problems.push(`${f} is not listed in ${MANIFEST}`);
    for (const name of Object.keys(scenarios))
      if (!files.some((f) => scenarioOf(f) === name))
        problems.push(`no fixture for scenario ${name}; run test/workflows/record-histories.ts`);
    assert.deepEqual(problems, []);
  });

  it('replays every recorded history deterministically', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    assert.ok(
      files.length >= Object.keys(scenarios).length,
      `expected recorded histories in ${FIXTURES}; run test/workflows/record-histories.ts`,
    );
    const histories = files.map((f) => ({
      workflowId: REPLAY_WORKFLOW_IDS[scenarioOf(f)] ?? f,
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
    // Activities that run side by side (parallel-checks.test.ts) may complete in one workflow task or in
    // two, so workflow tasks are compared with that slack; every other kind of event is counted exactly.
    const isTask = (e: (typeof q)[number]) =>
      Boolean(
        e.workflowTaskScheduledEventAttributes ??
        e.workflowTaskStartedEventAttributes ??
        e.workflowTaskCompletedEventAttributes,
      );
    // Sorted: two activities side by side may start and complete in either order.
    const kinds = (ev: typeof q) =>
      ev
        .filter((e) => !isTask(e))
        .map((e) => String(e.eventType))
        .sort();
    const tasks = (ev: typeof q) => ev.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    assert.deepEqual(kinds(s), kinds(q), 'poll rounds must not add events');
    const sideBySide = 3; // policy ‖ HEAD in staging and production, digests ‖ attestations
    assert.ok(
      Math.abs(tasks(s) - tasks(q)) <= sideBySide,
      `workflow tasks: ${tasks(q)} without polling, ${tasks(s)} with`,
    );
    assert.ok(s.length <= HISTORY_BOUND, `${s.length} events > ${HISTORY_BOUND}`);
  });
});
