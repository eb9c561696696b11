// runVerification: command (argv, env, timeout, tail, cancellation kills it) and webhook (POST + poll).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { createActivities } from '../../../src/activities/index.js';
import { activity, offlineConfig, runActivity, waitFor } from './helpers.js';

const acts = createActivities(offlineConfig());
const base = {
  environment: 'staging',
  image: '127.0.0.1:8080/platform-staging/app',
  digest: 'sha256:' + 'b'.repeat(64),
};
const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z');
  } catch {
    return false;
  }
};

describe('runVerification: command', () => {
  it('passes IMAGE/DIGEST/ENVIRONMENT and not the worker secrets; keeps the output tail', async () => {
    process.env.HARBOR_PASSWORD = 'worker-secret-should-not-leak';
    const r = await activity(acts.runVerification, {
      ...base,
      verification: {
        kind: 'command',
        argv: [
          '/bin/sh',
          '-c',
          'for i in $(seq 1 100); do echo line $i; done; echo "$IMAGE@$DIGEST in $ENVIRONMENT"; echo "pw=${HARBOR_PASSWORD:-none}"',
        ],
        timeoutMs: 10_000,
      },
    });
    delete process.env.HARBOR_PASSWORD;
    assert.equal(r.passed, true);
    assert.ok(r.outputTail!.includes(`${base.image}@${base.digest} in staging`));
    assert.ok(r.outputTail!.includes('pw=none'));
    assert.ok(!r.outputTail!.includes('line 1\n'), 'only the tail is kept');
  });

  it('a failing command is a result with passed=false, and secrets in its output are redacted', async () => {
    const r = await activity(acts.runVerification, {
      ...base,
      verification: {
        kind: 'command',
        argv: ['/bin/sh', '-c', 'echo unused-cosign-pw >&2; exit 3'],
        timeoutMs: 10_000,
      },
    });
    assert.equal(r.passed, false);
    assert.equal(r.details, 'exit 3');
    assert.ok(!r.outputTail!.includes('unused-cosign-pw'));
  });

  it('times out', async () => {
    const r = await activity(acts.runVerification, {
      ...base,
      verification: { kind: 'command', argv: ['sleep', '30'], timeoutMs: 300 },
    });
    assert.equal(r.passed, false);
    assert.match(r.details!, /timed out/);
  });

  it('cancellation kills the running test command', async () => {
    const run = runActivity(acts.runVerification, {
      ...base,
      verification: { kind: 'command', argv: ['sleep', '60'], timeoutMs: 60_000 },
    });
    await waitFor(() => run.heartbeats.length > 0);
    const pid = (run.heartbeats[0] as { pid: number }).pid;
    assert.ok(alive(pid));
    run.env.cancel();
    await assert.rejects(run.result, (e) => e instanceof CancelledFailure);
    assert.ok(await waitFor(() => !alive(pid)), 'test command survived cancellation');
  });
});

describe('runVerification: webhook', () => {
  let server: Server;
  let url = '';
  let polls = 0;
  const posted: unknown[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.method === 'POST' && req.url === '/run') {
          posted.push(JSON.parse(body));
          res.statusCode = 202;
          return res.end(JSON.stringify({ statusUrl: '/status/1' }));
        }
        if (req.url === '/status/1') {
          polls++;
          return res.end(
            JSON.stringify(
              polls < 3
                ? { status: 'running' }
                : { status: 'passed', url: 'http://ci/run/1', details: '12 tests' },
            ),
          );
        }
        if (req.url === '/fail') return res.end(JSON.stringify({ passed: false, details: '3 failed' }));
        if (req.url === '/flaky') {
          polls++;
          res.statusCode = polls % 2 ? 503 : 200;
          return res.end(JSON.stringify({ status: 'passed' }));
        }
        res.statusCode = 404;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('POSTs image/digest/environment, then polls the status URL to a verdict', async () => {
    const r = await activity(acts.runVerification, {
      ...base,
      verification: { kind: 'webhook', url: `${url}/run`, timeoutMs: 10_000, pollIntervalMs: 20 },
    });
    assert.deepEqual(posted[0], { environment: 'staging', image: base.image, digest: base.digest });
    assert.deepEqual(
      { passed: r.passed, url: r.url, details: r.details },
      { passed: true, url: 'http://ci/run/1', details: '12 tests' },
    );
    assert.equal(polls, 3);
  });

  it('an immediate failed verdict is passed=false; a 5xx is a retryable failure', async () => {
    const r = await activity(acts.runVerification, {
      ...base,
      verification: { kind: 'webhook', url: `${url}/fail`, timeoutMs: 10_000 },
    });
    assert.equal(r.passed, false);
    polls = 0;
    await assert.rejects(
      activity(acts.runVerification, {
        ...base,
        verification: { kind: 'webhook', url: `${url}/flaky`, timeoutMs: 10_000 },
      }),
      (e: { type?: string; nonRetryable?: boolean }) => e.type === 'Transient' && e.nonRetryable === false,
    );
  });
});
