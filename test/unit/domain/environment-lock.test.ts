/**
 * The environment lock's decisions without Temporal: who is newer (push time in the source project, then
 * start order), who is queued, granted or superseded, and whether an overlay move would go backwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  admit,
  decideOverlayMove,
  environmentLockId,
  isNewer,
  nextHolder,
  release,
  type LockQueue,
  type LockRequest,
} from '../../../src/domain/environment-lock.js';
import { concurrencyOf, validatePipeline } from '../../../src/domain/pipeline.js';

const req = (tag: string, pushTime: string | undefined, over: Partial<LockRequest> = {}): LockRequest => ({
  promotionId: `promote-myservice@${tag}`,
  runId: `run-${tag}`,
  environment: 'staging',
  repository: 'myservice',
  reference: tag,
  digest: `sha256:${tag.replace(/\D/g, '').padEnd(64, '0')}`,
  ...(pushTime && { pushTime }),
  startedAt: '2026-01-01T10:00:00.000Z',
  policy: 'supersede',
  ...over,
});
const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 9, 0, s)).toISOString();
const ids = (q: LockQueue) => ({ holder: q.holder?.reference, waiting: q.waiting.map((w) => w.reference) });

describe('isNewer', () => {
  it('orders by push time in the source project, whatever the start order', () => {
    const older = req('1.0.1', T(1), { startedAt: T(50) });
    const newer = req('1.0.2', T(2), { startedAt: T(40) });
    assert.equal(isNewer(newer, older), true);
    assert.equal(isNewer(older, newer), false);
  });
  it('a rollback ranks by when it started, not by the push time of the build it restores', () => {
    const rollback = req('1.0.0', T(0), { startedAt: T(30), rollback: true });
    assert.equal(isNewer(rollback, req('1.0.2', T(20), { startedAt: T(25) })), true);
    assert.equal(isNewer(req('1.0.3', T(40), { startedAt: T(41) }), rollback), true);
    const waiting: LockQueue = { holder: req('0.9.0', T(0)), waiting: [req('1.0.2', T(20))] };
    assert.deepEqual(ids(admit(waiting, rollback).queue), { holder: '0.9.0', waiting: ['1.0.0'] });
  });

  it('equal or unknown push times fall back to start order, then to the promotion id', () => {
    assert.equal(isNewer(req('a', T(1), { startedAt: T(9) }), req('b', T(1), { startedAt: T(8) })), true);
    assert.equal(
      isNewer(req('a', undefined, { startedAt: T(9) }), req('b', T(5), { startedAt: T(8) })),
      true,
    );
    assert.equal(isNewer(req('b', T(1)), req('a', T(1))), true);
    assert.equal(isNewer(req('a', T(1)), req('b', T(1))), false);
  });
});

describe('admit / release / nextHolder', () => {
  it('a free lock: the first request is granted, later ones wait behind it', () => {
    let q: LockQueue = { waiting: [] };
    q = admit(q, req('1.0.1', T(1))).queue;
    const g = nextHolder(q);
    assert.equal(g.granted?.reference, '1.0.1');
    q = admit(g.queue, req('1.0.2', T(2))).queue;
    assert.deepEqual(ids(q), { holder: '1.0.1', waiting: ['1.0.2'] });
  });

  it('supersede: a waiting promotion leaves when a newer one arrives; the holder never does', () => {
    const q0: LockQueue = { holder: req('1.0.0', T(0)), waiting: [req('1.0.1', T(1))] };
    const r = admit(q0, req('1.0.2', T(2)));
    assert.deepEqual(ids(r.queue), { holder: '1.0.0', waiting: ['1.0.2'] });
    assert.deepEqual(
      r.superseded.map((s) => [s.request.reference, s.by.reference]),
      [['1.0.1', '1.0.2']],
    );
  });

  it('supersede: an older newcomer gives way at once to the newer one already waiting', () => {
    const q0: LockQueue = { holder: req('1.0.0', T(0)), waiting: [req('1.0.2', T(2))] };
    const r = admit(q0, req('1.0.1', T(1)));
    assert.deepEqual(ids(r.queue), { holder: '1.0.0', waiting: ['1.0.2'] });
    assert.deepEqual(
      r.superseded.map((s) => [s.request.reference, s.by.reference]),
      [['1.0.1', '1.0.2']],
    );
  });

  it('queue: everyone waits in arrival order, nobody is superseded', () => {
    const queue = { policy: 'queue' as const };
    let q: LockQueue = { holder: req('1.0.0', T(0), queue), waiting: [] };
    for (const [tag, t] of [
      ['1.0.2', 2],
      ['1.0.1', 1],
    ] as const) {
      const r = admit(q, req(tag, T(t), queue));
      assert.deepEqual(r.superseded, []);
      q = r.queue;
    }
    assert.deepEqual(ids(q), { holder: '1.0.0', waiting: ['1.0.2', '1.0.1'] });
    q = release(q, 'promote-myservice@1.0.0');
    assert.deepEqual(ids(nextHolder(q).queue), { holder: '1.0.2', waiting: ['1.0.1'] });
  });

  it('a repeated request from the same run (an activity retry) changes nothing', () => {
    const q0: LockQueue = { holder: req('1.0.0', T(0)), waiting: [req('1.0.1', T(1))] };
    assert.equal(admit(q0, req('1.0.0', T(0))).queue, q0);
    assert.equal(admit(q0, req('1.0.1', T(1))).queue, q0);
  });

  it('release removes the promotion as holder or waiter, and only that run', () => {
    const q0: LockQueue = { holder: req('1.0.0', T(0)), waiting: [req('1.0.1', T(1))] };
    assert.deepEqual(ids(release(q0, 'promote-myservice@1.0.1')), { holder: '1.0.0', waiting: [] });
    assert.deepEqual(ids(release(q0, 'promote-myservice@1.0.0', 'another-run')), ids(q0));
    assert.deepEqual(ids(release(q0, 'promote-myservice@1.0.0', 'run-1.0.0')), {
      holder: undefined,
      waiting: ['1.0.1'],
    });
  });
});

describe('decideOverlayMove', () => {
  const opts = { overlay: 'staging overlay', sourceProject: 'platform-dev' };
  const a = { digest: `sha256:${'a'.repeat(64)}`, pushTime: T(1) };
  const b = { digest: `sha256:${'b'.repeat(64)}`, pushTime: T(2) };
  it('forward to a newer artifact, unchanged for the same digest, forward into an empty overlay', () => {
    assert.equal(decideOverlayMove(a, b, opts).kind, 'forward');
    assert.equal(decideOverlayMove(b, { digest: b.digest }, opts).kind, 'same');
    assert.equal(decideOverlayMove(undefined, a, opts).kind, 'forward');
  });
  it('refuses an older artifact, naming both digests', () => {
    const m = decideOverlayMove(b, a, opts);
    assert.equal(m.kind, 'regress');
    assert.match(m.reason, new RegExp(a.digest));
    assert.match(m.reason, new RegExp(b.digest));
  });
  it('a rollback may go back; an unknown push time cannot be compared and is allowed', () => {
    assert.equal(decideOverlayMove(b, a, { ...opts, rollback: true }).kind, 'forward');
    assert.equal(decideOverlayMove({ digest: b.digest }, a, opts).kind, 'forward');
    assert.equal(decideOverlayMove(b, { digest: a.digest }, opts).kind, 'forward');
  });
});

describe('pipeline: concurrency', () => {
  const pipeline = (staging: Record<string, unknown>, dev: Record<string, unknown> = {}) => ({
    apiVersion: 'harbor-promote/v1',
    registry: 'harbor.test',
    environments: [
      { name: 'dev', project: 'platform-dev', ...dev },
      { name: 'staging', project: 'platform-staging', ...staging },
    ],
  });
  it('defaults to supersede, accepts queue', () => {
    assert.equal(concurrencyOf(validatePipeline(pipeline({})).environments[1]!), 'supersede');
    assert.equal(
      concurrencyOf(validatePipeline(pipeline({ concurrency: 'queue' })).environments[1]!),
      'queue',
    );
  });
  it('anything else is refused, naming the field and the choices', () => {
    assert.throws(
      () => validatePipeline(pipeline({ concurrency: 'parallel' })),
      /environments\[1\]\.concurrency: must be "supersede" .* or "queue"/,
    );
    assert.throws(
      () => validatePipeline(pipeline({}, { concurrency: 'queue' })),
      /environments\[0\]\.concurrency: the first environment is the source/,
    );
  });
  it('lock ids separate project, repository and overlay file', () => {
    assert.equal(
      environmentLockId(
        'harbor-promote',
        'platform-staging',
        'myservice',
        'overlays/staging/kustomization.yaml',
      ),
      'environment-lock:harbor-promote:platform-staging/myservice:overlays/staging/kustomization.yaml',
    );
    assert.notEqual(environmentLockId('q', 'p', 'a', undefined), environmentLockId('q', 'p', 'b', undefined));
  });
});
