/**
 * End to end on the local stack (issue 12, parts 4 and 5): a pipeline whose production is frozen and
 * whose webhook wants every event. The worker runs as a process with the signing secret in its
 * environment; the promotion is driven through the `harbor-promote` bin: it waits for approval, is held
 * by the freeze, an approver lifts it with `unfreeze`, and it completes. The receiver (127.0.0.1, in this
 * process) checks each body's signature; the record shows the freeze and every delivery.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildAndPush,
  CLEAN_PACKAGES,
  demoPipeline,
  REPO_ROOT,
  runCliProcess,
  startWorker,
  writeFile,
  type WorkerProcess,
} from '../../../dev/demo/lib';
import type { PromotionRecord } from '../../../src/domain/promotion';

const nonce = randomBytes(3).toString('hex');
const tag = `1.5.0-fz${nonce}`;
const id = `promote-myservice@${tag}`;
const APPROVER = 'fz-approver';
const SECRET = `e2e-signing-${randomBytes(8).toString('hex')}`;
const workDir = join(REPO_ROOT, '.data', 'e2e', `fz-${nonce}`);

let env: Record<string, string>;
let worker: WorkerProcess | undefined;
let server: Server;
const got: { event?: string; body: string; signature?: string }[] = [];

const cli = (args: string[]) => runCliProcess(args, env, { timeoutMs: 300_000 });
const lines = (s: string) => s.split('\n').filter(Boolean);

before(async () => {
  assert.ok(process.env.TEMPORAL_ADDRESS && process.env.HARBOR_URL, 'run through scripts/test.sh');
  env = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    TEMPORAL_TASK_QUEUE: `e2e-fz-${nonce}`,
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        event: req.headers['x-harbor-promote-event'] as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
        signature: req.headers['x-harbor-promote-signature'] as string | undefined,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  await buildAndPush(env, { workDir, repository: 'myservice', tag, packages: CLEAN_PACKAGES, nonce });
  // demoPipeline ends with production's mapping: the freeze lines belong to it; notify is top level.
  const now = Date.now();
  writeFile(
    join(workDir, 'pipeline.yaml'),
    `${demoPipeline(env, 'happy', APPROVER)}    freeze:
      - { start: "${new Date(now - 60_000).toISOString()}", end: "${new Date(now + 3_600_000).toISOString()}", reason: "e2e change freeze" }
notify:
  - url: ${hook}
    events: [waiting-approval, waiting-report, frozen, failed, completed]
    secretEnv: NOTIFY_E2E_SECRET
`,
  );
  worker = await startWorker(env, join(workDir, 'worker.log'), { NOTIFY_E2E_SECRET: SECRET });
});

after(async () => {
  if (worker) await worker.stop();
  server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('e2e: a frozen environment and signed notifications', { timeout: 600_000 }, () => {
  it('starts, waits for approval, and is held by the freeze after the approval', async () => {
    const s = await cli(['start', `myservice:${tag}`, '--pipeline', join(workDir, 'pipeline.yaml')]);
    assert.equal(s.code, 0, s.stderr);
    const w = await cli(['watch', id, '--until-waiting', '--timeout', '300']);
    assert.equal(w.code, 0, w.stderr);
    const a = await cli(['approve', id, '--env', 'production', '--as', APPROVER]);
    assert.equal(a.code, 0, a.stderr);
    let st: { stage: string; steps: { id: string; detail?: string }[] } | undefined;
    for (let i = 0; i < 120 && st?.stage !== 'frozen'; i++) {
      const r = await cli(['status', id, '--json']);
      assert.equal(r.code, 0, r.stderr);
      st = (JSON.parse(r.stdout) as { promotion: typeof st }).promotion;
      if (st?.stage !== 'frozen') await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(st?.stage, 'frozen');
    const step = st.steps.find((x) => x.id === 'production/awaitFreezeWindow');
    assert.match(step?.detail ?? '', /^waiting: frozen until \S+ \(e2e change freeze\)$/);
  });

  it('unfreeze: refused for someone not on the list (exit 5), accepted for the approver', async () => {
    const no = await cli(['unfreeze', id, '--env', 'production', '--as', 'mallory', '--reason', 'x']);
    assert.equal(no.code, 5);
    assert.deepEqual(lines(no.stderr), [
      `harbor-promote: refused: "mallory" is not an approver for production; approvers: ${APPROVER}`,
    ]);
    const yes = await cli([
      'unfreeze',
      id,
      '--env',
      'production',
      '--as',
      APPROVER,
      '--reason',
      'INC-42 hotfix',
    ]);
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, /lifted the freeze of production as fz-approver: the promotion moves on/);
  });

  it('completes; the record shows the freeze, who lifted it, and each signed delivery', async () => {
    const w = await cli(['watch', id, '--timeout', '300']);
    assert.equal(w.code, 0, `${w.stdout}\n${w.stderr}`);
    const r = await cli(['record', id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout) as PromotionRecord;
    assert.equal(rec.freezes?.production?.unfrozen?.approver, APPROVER);
    assert.equal(rec.freezes?.production?.unfrozen?.reason, 'INC-42 hotfix');
    assert.deepEqual(
      rec.notifications?.map((n) => [n.event, n.ok, n.signed]),
      [
        ['waiting-approval', true, true],
        ['frozen', true, true],
        ['completed', true, true],
      ],
    );
    assert.deepEqual(
      got.map((g) => g.event),
      ['waiting-approval', 'frozen', 'completed'],
    );
    for (const g of got) {
      assert.equal(g.signature, `sha256=${createHmac('sha256', SECRET).update(g.body).digest('hex')}`);
      const body = JSON.parse(g.body) as { promotionId: string; digest: string; ui: string };
      assert.equal(body.promotionId, id);
      assert.equal(body.digest, rec.digest);
      assert.ok(body.ui.endsWith(`/workflows/${encodeURIComponent(id)}`), body.ui);
    }
    assert.ok(!r.stdout.includes(SECRET));
    const code = await worker!.stop();
    worker = undefined;
    assert.equal(code, 0);
    assert.ok(
      !readFileSync(join(workDir, 'worker.log'), 'utf8').includes(SECRET),
      'secret in the worker log',
    );
  });
});
