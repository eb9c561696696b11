/**
 * The webhook delivery activity against a receiver on 127.0.0.1: signing, secrets read from NOTIFY_*
 * variables (or their _FILE form), which answers are retried, and what the result may say (host only).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { notifyActivities } from '../../../src/activities/notify.js';
import type { NotificationBody } from '../../../src/domain/notify.js';
import { renderRecord } from '../../../src/cli/render.js';
import type { PromotionRecord } from '../../../src/domain/promotion.js';

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** Answers each POST with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]) {
  const got: { body: string; headers: Record<string, unknown>; path?: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, path: req.url });
      res.writeHead(statuses[Math.min(got.length - 1, statuses.length - 1)]!).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { base: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, got };
}

const body: NotificationBody = {
  event: 'waiting-approval',
  promotionId: 'promote-svc@1.0.0',
  repository: 'svc',
  reference: '1.0.0',
  environment: 'production',
  digest: `sha256:${'a'.repeat(64)}`,
  stage: 'awaiting-approval',
  command: 'harbor-promote approve promote-svc@1.0.0 --env production --as <name>',
  message: 'svc:1.0.0 waits for approval into production',
  text: 'svc:1.0.0 waits for approval into production',
  at: '2026-01-01T00:00:00.000Z',
};

describe('sendNotification', () => {
  it('signs the exact body with the secret from NOTIFY_*_FILE and links the promotion in the UI', async () => {
    const rx = await receiver([204]);
    const dir = mkdtempSync(join(tmpdir(), 'notify-'));
    writeFileSync(join(dir, 'secret'), 'from-a-file\n');
    const { sendNotification } = notifyActivities({
      env: { NOTIFY_SECRET_FILE: join(dir, 'secret'), TEMPORAL_ADDRESS: '127.0.0.1:7233' },
    });
    const [d] = await sendNotification({
      targets: [{ url: `${rx.base}/hook`, secretEnv: 'NOTIFY_SECRET', attempts: 1 }],
      body,
    });
    assert.deepEqual(
      { ok: d!.ok, status: d!.status, attempts: d!.attempts, signed: d!.signed, host: d!.host },
      { ok: true, status: 204, attempts: 1, signed: true, host: rx.host },
    );
    const g = rx.got[0]!;
    const expected = `sha256=${createHmac('sha256', 'from-a-file').update(g.body).digest('hex')}`;
    assert.equal(g.headers['x-harbor-promote-signature'], expected);
    assert.equal(g.headers['x-harbor-promote-event'], 'waiting-approval');
    assert.equal(
      (JSON.parse(g.body) as { ui: string }).ui,
      'http://127.0.0.1:8233/namespaces/default/workflows/promote-svc%401.0.0',
    );
  });

  it('reads a secret URL from urlEnv and keeps only its host; a 4xx is final, a 429 and a 5xx are retried', async () => {
    const rx = await receiver([429, 503, 400]);
    const { sendNotification } = notifyActivities({
      env: { NOTIFY_SLACK_URL: `${rx.base}/services/T000/B000/very-secret-token` },
    });
    const [d] = await sendNotification({ targets: [{ urlEnv: 'NOTIFY_SLACK_URL', attempts: 6 }], body });
    assert.equal(rx.got[0]!.path, '/services/T000/B000/very-secret-token');
    assert.equal(rx.got.length, 3);
    assert.equal(rx.got[0]!.headers['x-harbor-promote-signature'], undefined);
    assert.deepEqual(
      { ok: d!.ok, status: d!.status, attempts: d!.attempts, signed: d!.signed, error: d!.error },
      { ok: false, status: 400, attempts: 3, signed: false, error: 'answered 400' },
    );
    assert.ok(!JSON.stringify(d).includes('very-secret-token'));
  });

  it('an unreachable webhook is a failed delivery naming the host, not an error', async () => {
    const rx = await receiver([200]);
    servers.pop()!.close(); // nothing listens there any more
    await new Promise((r) => setTimeout(r, 50));
    const { sendNotification } = notifyActivities({ env: {} });
    const [d] = await sendNotification({ targets: [{ url: `${rx.base}/x`, attempts: 2 }], body });
    assert.equal(d!.ok, false);
    assert.equal(d!.attempts, 2);
    assert.match(d!.error!, new RegExp(`cannot reach ${rx.host.replace('.', '\\.')}`));
  });
});

describe('record', () => {
  it('shows freeze waits, who lifted a freeze, and each delivery', () => {
    const r = {
      promotionId: 'promote-svc@1.0.0',
      repository: 'svc',
      reference: '1.0.0',
      digest: body.digest,
      manifestMediaType: '',
      environments: ['dev', 'production'],
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T01:00:00.000Z',
      steps: [],
      scans: {},
      copies: {},
      approvals: {},
      verifications: {},
      overlays: {},
      proof: [],
      ignoredMessages: [],
      freezes: {
        production: {
          environment: 'production',
          waits: [{ reason: 'year-end', from: 'T1', until: 'T2', ended: 'unfrozen' }],
          unfrozen: { approver: 'bob', reason: 'hotfix', at: 'T1b', via: 'update' },
        },
      },
      notifications: [
        {
          event: 'completed',
          environment: 'production',
          host: 'hooks.test',
          ok: false,
          status: 500,
          attempts: 4,
          signed: true,
          error: 'answered 500',
          at: 'T3',
        },
      ],
    } satisfies PromotionRecord;
    const lines = renderRecord(r);
    assert.ok(lines.includes('  freeze production: held from T1 (year-end, until T2): unfrozen'));
    assert.ok(lines.includes('  freeze production: lifted by bob at T1b: hotfix'));
    assert.ok(
      lines.includes(
        '  notify completed (production) → hooks.test: not delivered (answered 500), 500, 4 attempts, signed',
      ),
    );
  });
});
