// The job state machine: queued → running → succeeded | failed, concurrency, retention, no kept credential.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScanRequest, type ScanRequest } from '../../../dev/scanner-adapter/api';
import { Jobs, QueueFull, type ScanOutcome } from '../../../dev/scanner-adapter/jobs';
import { harborRequest } from './fixtures';

const request = (): ScanRequest => {
  const r = parseScanRequest(JSON.stringify(harborRequest()));
  assert.ok(r.ok);
  return r.value;
};
const outcome: ScanOutcome = { findings: [], authMode: 'bearer-token', images: 1 };

/** A scan that finishes when the test says so. */
function gate() {
  const waiting: {
    resolve: (o: ScanOutcome) => void;
    reject: (e: Error) => void;
    cred: string | undefined;
  }[] = [];
  return {
    waiting,
    scan: (_r: ScanRequest, cred: string | undefined) =>
      new Promise<ScanOutcome>((resolve, reject) => waiting.push({ resolve, reject, cred })),
  };
}
const tick = () => new Promise((r) => setImmediate(r));

test('a job goes queued → running → succeeded, and its report is there only then', async () => {
  const g = gate();
  const finished: string[] = [];
  const jobs = new Jobs({ scan: g.scan, concurrency: 1, onFinished: (j) => finished.push(j.state) });
  const a = jobs.submit(request());
  const b = jobs.submit(request());
  assert.notEqual(a.id, b.id);
  assert.deepEqual(jobs.view(a.id), { kind: 'pending', state: 'running' });
  assert.deepEqual(jobs.view(b.id), { kind: 'pending', state: 'queued' }, 'concurrency 1: b waits');
  assert.equal(g.waiting.length, 1);
  assert.equal(g.waiting[0]!.cred, 'Basic cm9ib3Q6c2VjcmV0', 'the scan gets the credential');
  g.waiting[0]!.resolve(outcome);
  await tick();
  const v = jobs.view(a.id);
  assert.equal(v.kind, 'done');
  assert.deepEqual(v.kind === 'done' && v.job.outcome, outcome);
  assert.deepEqual(jobs.view(b.id), { kind: 'pending', state: 'running' }, 'b starts when a is done');
  g.waiting[1]!.reject(new Error('GET manifest: 412 PROJECTPOLICYVIOLATION'));
  await jobs.drained();
  assert.deepEqual(jobs.view(b.id), { kind: 'failed', error: 'GET manifest: 412 PROJECTPOLICYVIOLATION' });
  assert.deepEqual(finished, ['succeeded', 'failed']);
  assert.deepEqual(jobs.view('nope'), { kind: 'missing' });
});

test('the job keeps no credential once accepted', () => {
  const jobs = new Jobs({ scan: gate().scan });
  const j = jobs.submit(request());
  assert.doesNotMatch(JSON.stringify(j), /cm9ib3Q6c2VjcmV0/);
});

test('finished jobs are forgotten after the retention time; open ones never', async () => {
  let now = 1_000;
  const g = gate();
  const jobs = new Jobs({ scan: g.scan, retainMs: 100, now: () => now });
  const done = jobs.submit(request());
  g.waiting[0]!.resolve(outcome);
  await jobs.drained();
  const open = jobs.submit(request());
  now += 101;
  assert.deepEqual(jobs.view(done.id), { kind: 'missing' });
  assert.equal(jobs.view(open.id).kind, 'pending');
});

test('more open scans than allowed are refused', () => {
  const jobs = new Jobs({ scan: gate().scan, concurrency: 1, maxOpen: 2 });
  jobs.submit(request());
  jobs.submit(request());
  assert.throws(() => jobs.submit(request()), QueueFull);
});
