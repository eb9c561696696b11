/**
 * Notifications (issue 12, part 5): the real delivery activity (src/activities/notify.ts) posts to a
 * receiver on 127.0.0.1 in this process; the other activities are mocks. Each wired event arrives once,
 * signed with HMAC-SHA256 over the exact body; a receiver answering 500 does not stop the promotion and
 * the record shows the failed delivery.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { notifyActivities } from '../../src/activities/notify.js';
import type { PipelineFile } from '../../src/domain/pipeline.js';
import { approveUpdate, reportVerificationSignal, unfreezeUpdate } from '../../src/workflows/messages.js';
import {
  atGate,
  DIGEST,
  input,
  mockActivities,
  runPromotion,
  startTestEnv,
  testPipeline,
  waitForStatus,
} from './helpers.js';

const SECRET = 'test-signing-secret-0123456789';
const sendNotification = notifyActivities({
  env: { NOTIFY_TEST_SECRET: SECRET, TEMPORAL_UI_URL: 'http://ui.test/' },
}).sendNotification;

interface Received {
  body: string;
  json: Record<string, unknown>;
  signature?: string;
  event?: string;
}

/** A webhook receiver on 127.0.0.1 answering `status` to every POST. */
async function receiver(status: number): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      got.push({
        body,
        json: JSON.parse(body) as Record<string, unknown>,
        signature: req.headers['x-harbor-promote-signature'] as string | undefined,
        event: req.headers['x-harbor-promote-event'] as string | undefined,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server };
}

const hmac = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

let ctx: Awaited<ReturnType<typeof startTestEnv>>;
const servers: Server[] = [];
before(async () => {
  ctx = await startTestEnv();
});
after(async () => {
  for (const s of servers) s.close();
  await ctx?.env.teardown();
});

describe('notifications', () => {
  it('each event arrives at the receiver once, signed, with the command that moves it', async () => {
    const rx = await receiver(204);
    servers.push(rx.server);
    const notify: PipelineFile['notify'] = [
      {
        url: rx.url,
        events: ['waiting-approval', 'waiting-report', 'frozen', 'failed', 'completed'],
        secretEnv: 'NOTIFY_TEST_SECRET',
      },
    ];
    const pipeline = testPipeline((p) => {
      p.notify = notify;
      p.environments[2]!.freeze = [
        {
          start: new Date(Date.now() - 60_000).toISOString(),
          end: new Date(Date.now() + 3_600_000).toISOString(),
          reason: 'year-end',
        },
      ];
    });
    const { acts } = mockActivities({ sendNotification });
    const r = await runPromotion(ctx, acts, input(pipeline), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await waitForStatus(h, (s) => s.stage === 'frozen');
      await h.executeUpdate(unfreezeUpdate, {
        args: [{ environment: 'production', approver: 'bob', reason: 'hotfix' }],
      });
      await waitForStatus(h, atGate('verification', 'production'));
      await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
    });
    assert.equal(r.error, undefined, String(r.error));
    const id = r.handle.workflowId;

    assert.deepEqual(
      rx.got.map((g) => [g.event, g.json.event, g.json.environment]),
      [
        ['waiting-approval', 'waiting-approval', 'production'],
        ['frozen', 'frozen', 'production'],
        ['waiting-report', 'waiting-report', 'production'],
        ['completed', 'completed', 'production'],
      ],
    );
    for (const g of rx.got) {
      assert.equal(g.signature, hmac(g.body), `signature of ${g.event}`);
      assert.equal(g.json.promotionId, id);
      assert.equal(g.json.digest, DIGEST);
      assert.equal(g.json.ui, `http://ui.test/namespaces/default/workflows/${encodeURIComponent(id)}`);
      assert.equal(typeof g.json.text, 'string');
      assert.ok((g.json.text as string).includes('myservice:1.4.2-a1b2c3d'));
    }
    const byEvent = Object.fromEntries(rx.got.map((g) => [g.event, g.json]));
    assert.equal(
      byEvent['waiting-approval']!.command,
      `harbor-promote approve ${id} --env production --as <name>`,
    );
    assert.equal(
      byEvent.frozen!.command,
      `harbor-promote unfreeze ${id} --env production --as <name> --reason <text>`,
    );
    assert.equal(byEvent.frozen!.reason, 'year-end');
    assert.match(
      byEvent['waiting-report']!.command as string,
      new RegExp(
        `^harbor-promote report ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --env production --passed\\|--failed`,
      ),
    );
    assert.equal(byEvent.completed!.command, `harbor-promote record ${id}`);

    // The record lists every delivery by host; the secret is nowhere in the history.
    const host = new URL(rx.url).host;
    assert.deepEqual(
      r.result!.notifications!.map((d) => [d.event, d.host, d.ok, d.status, d.attempts, d.signed]),
      [
        ['waiting-approval', host, true, 204, 1, true],
        ['frozen', host, true, 204, 1, true],
        ['waiting-report', host, true, 204, 1, true],
        ['completed', host, true, 204, 1, true],
      ],
    );
    const history = JSON.stringify(await r.handle.fetchHistory());
    assert.ok(!history.includes(SECRET), 'the signing secret reached the workflow history');
  });

  it('a failed promotion notifies `failed` with the reason and the command to start again', async () => {
    const rx = await receiver(200);
    servers.push(rx.server);
    const { acts } = mockActivities({
      sendNotification,
      checkPullable: async ({ artifact }) => {
        if (artifact.project === 'platform-staging')
          throw ApplicationFailure.nonRetryable('The image is not signed by cosign.', 'Quarantined');
        return { pullable: true };
      },
    });
    const pipeline = testPipeline((p) => {
      p.notify = [{ url: rx.url, events: ['failed'], secretEnv: 'NOTIFY_TEST_SECRET' }];
    });
    const r = await runPromotion(ctx, acts, input(pipeline));
    assert.ok(r.error);
    assert.equal(rx.got.length, 1);
    const g = rx.got[0]!;
    assert.equal(g.signature, hmac(g.body));
    assert.equal(g.json.event, 'failed');
    assert.equal(g.json.environment, 'staging');
    assert.match(g.json.failure as string, /^Quarantined: /);
    assert.equal(g.json.command, 'harbor-promote start myservice:1.4.2-a1b2c3d --pipeline <file>');
    assert.equal(r.status.notifications?.[0]?.ok, true);
  });

  it('a receiver answering 500 still lets the promotion complete; the record shows the failed delivery', async () => {
    const rx = await receiver(500);
    servers.push(rx.server);
    const pipeline = testPipeline((p) => {
      p.notify = [
        { url: rx.url, events: ['completed'], attempts: 2 },
        { url: rx.url, events: ['completed'], secretEnv: 'NOTIFY_NOT_SET' },
      ];
    });
    const { acts } = mockActivities({ sendNotification });
    const r = await runPromotion(ctx, acts, input(pipeline, { targetEnvironment: 'staging' }));
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(rx.got.length, 2, 'two attempts of the first webhook, none of the one without its secret');
    const [five, unset] = r.result!.notifications!;
    assert.deepEqual(
      { ok: five!.ok, status: five!.status, attempts: five!.attempts, error: five!.error },
      { ok: false, status: 500, attempts: 2, error: 'answered 500' },
    );
    assert.equal(unset!.ok, false);
    assert.match(unset!.error!, /the worker has no NOTIFY_NOT_SET \(nor NOTIFY_NOT_SET_FILE\)/);
    assert.equal(
      r.result!.steps.every((s) => s.state === 'succeeded'),
      true,
    );
  });
});
