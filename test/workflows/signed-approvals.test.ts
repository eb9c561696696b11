/**
 * Signed approvals and separation of duties, on a real local Temporal server. Keys are made by
 * ssh-keygen in a temp dir and statements are signed the way the CLI signs them (sshSign: `ssh-keygen -Y
 * sign` over stdin). Each refusal must leave the gate waiting with no approval counted, and answer the
 * update with the reason (the CLI prints that answer as `refused: …`); a good signature moves the gate
 * and lands in the record, where it verifies again without Temporal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  approvalStatement,
  canonicalApprovalStatement,
  type ApprovalStatement,
} from '../../src/domain/approval-statement.js';
import type { PipelineFile } from '../../src/domain/pipeline.js';
import { verifyApprovalSignature } from '../../src/domain/sshsig.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/program.js';
import { sshSign } from '../../src/cli/sign-approval.js';
import {
  approveSignal,
  approveUpdate,
  rejectUpdate,
  reportVerificationSignal,
  statusQuery,
  type ApproveArgs,
} from '../../src/workflows/messages.js';
import {
  atGate,
  DIGEST,
  failureOf,
  input,
  mockActivities,
  runPromotion,
  startTestEnv,
  testPipeline,
  waitForStatus,
} from './helpers.js';

let ctx: Awaited<ReturnType<typeof startTestEnv>>;
let dir: string;
const keys: Record<string, { path: string; pub: string }> = {};

function newKey(name: string, type: 'ed25519' | 'ecdsa'): { path: string; pub: string } {
  const path = join(dir, name);
  const r = spawnSync(
    'ssh-keygen',
    ['-q', '-t', type, ...(type === 'ecdsa' ? ['-b', '256'] : []), '-N', '', '-C', name, '-f', path],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return { path, pub: readFileSync(`${path}.pub`, 'utf8').trim() };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signed-approvals-'));
  keys.alice = newKey('alice', 'ed25519');
  keys.bob = newKey('bob', 'ecdsa');
  keys.mallory = newKey('mallory', 'ed25519');
  ctx = await startTestEnv();
});
after(async () => {
  await ctx?.env.teardown();
  rmSync(dir, { recursive: true, force: true });
});

const ALLOWED = () => [`alice ${keys.alice!.pub}`, `bob ${keys.bob!.pub}`];

/** testPipeline with production's approval requiring signatures by alice and bob. */
const signedPipeline = (required = 1, edit?: (p: PipelineFile) => void) =>
  testPipeline((p) => {
    p.environments[2]!.approval = {
      approvers: ['alice', 'bob'],
      required,
      expiry: '60s',
      allowedSigners: ALLOWED(),
    };
    edit?.(p);
  });

/** The statement for the open gate as the CLI builds it, with `edit` applied, signed by `key`. */
async function signed(
  h: WorkflowHandle,
  approver: string,
  key: string,
  edit: Partial<ApprovalStatement> = {},
  comment = '',
): Promise<ApproveArgs> {
  const s = await h.query(statusQuery);
  const statement = canonicalApprovalStatement({
    ...approvalStatement({
      promotionId: s.promotionId,
      environment: 'production',
      digest: s.digest!,
      approver,
      decision: 'approve',
      comment,
      time: new Date().toISOString(),
      nonce: s.approvals.production!.nonce!,
    }),
    ...edit,
  });
  return {
    environment: 'production',
    approver,
    ...(comment && { comment }),
    signed: { statement, signature: await sshSign(statement, keys[key]!.path) },
  };
}

/** The update is refused with `re`, and the gate still waits with no approval counted. */
async function refused(h: WorkflowHandle, args: ApproveArgs, re: RegExp, approvals = 0): Promise<void> {
  const err = await h.executeUpdate(approveUpdate, { args: [args] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, `expected a refusal, got ${String(err)}`);
  assert.match((err.cause as Error).message, re);
  const s = await h.query(statusQuery);
  assert.equal(s.pendingGate?.kind, 'approval', 'the gate still waits');
  assert.equal(s.approvals.production!.decision, 'pending');
  assert.equal(s.approvals.production!.approvals.length, approvals);
}

async function report(h: WorkflowHandle): Promise<void> {
  await waitForStatus(h, atGate('verification', 'production'));
  await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
}

describe('signed approvals', () => {
  it('refuses unsigned, wrong key, other promotion/environment/digest, tampered and replayed; a signed approval moves the gate', async () => {
    const { acts } = mockActivities();
    let firstNonce = '';
    const r = await runPromotion(ctx, acts, input(signedPipeline(2)), async (h) => {
      const s = await waitForStatus(h, atGate('approval', 'production'));
      const gate = s.approvals.production!;
      assert.equal(gate.signaturesRequired, true);
      assert.match(gate.nonce ?? '', /^[0-9a-f-]{36}$/);
      firstNonce = gate.nonce!;
      assert.match(s.pendingGate!.command!, /--sign-key <ssh key>$/);

      await refused(
        h,
        { environment: 'production', approver: 'alice' },
        /production requires signed approvals; sign it: harbor-promote approve .* --env production --as alice --sign-key/,
      );
      await refused(h, await signed(h, 'alice', 'mallory'), /not by a key allowed for "alice" in production/);
      // bob's key is listed, but for bob: it does not count for alice.
      await refused(h, await signed(h, 'alice', 'bob'), /not by a key allowed for "alice"/);
      await refused(
        h,
        await signed(h, 'alice', 'alice', { promotionId: 'promote-other@1.0.0' }),
        /the signed statement is for promotionId "promote-other@1.0.0", not "promote-myservice@1.4.2-a1b2c3d/,
      );
      await refused(
        h,
        await signed(h, 'alice', 'alice', { environment: 'staging' }),
        /the signed statement is for environment "staging", not "production"/,
      );
      await refused(
        h,
        await signed(h, 'alice', 'alice', { digest: `sha256:${'e2'.repeat(32)}` }),
        /the signed statement is for digest "sha256:e2e2.*", not "sha256:d1d1/,
      );
      await refused(
        h,
        await signed(h, 'alice', 'alice', { nonce: 'a-nonce-from-elsewhere' }),
        /nonce a-nonce-from-elsewhere is not the gate's current nonce/,
      );
      // Signed for one comment, sent with another: only the worker's crypto check can tell.
      const good = await signed(h, 'alice', 'alice', {}, 'lgtm');
      const tampered = JSON.parse(good.signed!.statement) as ApprovalStatement;
      tampered.comment = 'changed';
      await refused(
        h,
        {
          ...good,
          comment: 'changed',
          signed: { ...good.signed!, statement: canonicalApprovalStatement(tampered) },
        },
        /the signature does not verify: the signature by SHA256:\S+ does not match the statement/,
      );
      // A signal cannot wait for the signature check: ignored, with the reason in status.
      await h.signal(approveSignal, good);
      await waitForStatus(h, (x) => x.ignoredMessages.length === 1);

      const first = await h.executeUpdate(approveUpdate, { args: [good] });
      assert.equal(first.approvals, 1);
      assert.deepEqual(first.stillNeeded, ['bob']);
      const after = await h.query(statusQuery);
      assert.notEqual(after.approvals.production!.nonce, firstNonce, 'a new nonce for the next approval');
      // The same message again, and bob signing for the nonce alice used: replays.
      await refused(h, good, /this signed statement was already used \(nonce [0-9a-f-]+\)/, 1);
      await refused(
        h,
        await signed(h, 'bob', 'bob', { nonce: firstNonce }),
        /this signed statement was already used/,
        1,
      );
      const second = await h.executeUpdate(approveUpdate, { args: [await signed(h, 'bob', 'bob')] });
      assert.equal(second.decision, 'approved');
      await report(h);
    });
    assert.equal(r.error, undefined, String(r.error));
    const gate = r.result!.approvals.production!;
    assert.deepEqual(
      gate.approvals.map((a) => a.approver),
      ['alice', 'bob'],
    );
    assert.match(r.result!.ignoredMessages[0]!.reason, /signed approval is taken as an update/);
    // The record carries each signature; it verifies again from the record alone.
    for (const a of gate.approvals) {
      const sig = a.signature!;
      assert.equal(sig.namespace, 'harbor-promote-approval@v1');
      const again = verifyApprovalSignature(sig.statement, sig.signature, gate.allowedSigners!.join('\n'));
      assert.ok(again.valid, JSON.stringify(again));
      assert.equal(again.fingerprint, sig.fingerprint);
      assert.equal(again.statement.approver, a.approver);
      assert.equal(again.statement.digest, DIGEST);
      const l = spawnSync('ssh-keygen', ['-l', '-f', `${keys[a.approver]!.path}.pub`], { encoding: 'utf8' });
      assert.equal(sig.fingerprint, l.stdout.split(' ')[1]);
    }
    assert.equal(JSON.parse(gate.approvals[0]!.signature!.statement).comment, 'lgtm');
  });

  it('a signed rejection stops the promotion; an unsigned one is refused', async () => {
    const { acts } = mockActivities();
    const r = await runPromotion(ctx, acts, input(signedPipeline()), async (h) => {
      const s = await waitForStatus(h, atGate('approval', 'production'));
      const unsigned = await h
        .executeUpdate(rejectUpdate, { args: [{ environment: 'production', approver: 'bob', reason: 'no' }] })
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      assert.match(
        String((unsigned?.cause as Error | undefined)?.message),
        /production requires signed approvals/,
      );
      const statement = canonicalApprovalStatement(
        approvalStatement({
          promotionId: s.promotionId,
          environment: 'production',
          digest: s.digest!,
          approver: 'bob',
          decision: 'reject',
          comment: 'freeze week',
          time: new Date().toISOString(),
          nonce: s.approvals.production!.nonce!,
        }),
      );
      const signature = await sshSign(statement, keys.bob!.path);
      await h.executeUpdate(rejectUpdate, {
        args: [
          {
            environment: 'production',
            approver: 'bob',
            reason: 'freeze week',
            signed: { statement, signature },
          },
        ],
      });
    });
    assert.equal(failureOf(r.error).type, 'ApprovalRejected');
    const rejection = r.status.approvals.production!.rejection!;
    assert.equal(rejection.reason, 'freeze week');
    assert.ok(rejection.signature?.fingerprint.startsWith('SHA256:'));
  });

  it('reads the keys from allowedSignersFile in the GitOps repository', async () => {
    const { acts, calls } = mockActivities({
      readAllowedSigners: async (i) => ({
        path: i.path,
        text: `# production approvers\n${ALLOWED().join('\n')}\n`,
        commit: 'c0ffee0000000000000000000000000000000000',
      }),
    });
    const pipeline = signedPipeline(1, (p) => {
      const a = p.environments[2]!.approval!;
      delete a.allowedSigners;
      a.allowedSignersFile = 'approvers/production.allowed_signers';
    });
    const r = await runPromotion(ctx, acts, input(pipeline), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      await refused(h, await signed(h, 'alice', 'mallory'), /not by a key allowed for "alice"/);
      await h.executeUpdate(approveUpdate, { args: [await signed(h, 'alice', 'alice')] });
      await report(h);
    });
    assert.equal(r.error, undefined, String(r.error));
    const read = calls.filter((c) => c.name === 'readAllowedSigners');
    assert.deepEqual(read[0]!.input, {
      environment: 'production',
      path: 'approvers/production.allowed_signers',
    });
    assert.deepEqual(r.result!.approvals.production!.allowedSignersFile, {
      path: 'approvers/production.allowed_signers',
      commit: 'c0ffee0000000000000000000000000000000000',
    });
  });

  it('fails the promotion, naming the file, when an approver has no key in it', async () => {
    const { acts } = mockActivities({
      readAllowedSigners: async (i) => ({ path: i.path, text: `alice ${keys.alice!.pub}\n`, commit: 'abc' }),
    });
    const pipeline = signedPipeline(1, (p) => {
      const a = p.environments[2]!.approval!;
      delete a.allowedSigners;
      a.allowedSignersFile = 'keys';
    });
    const r = await runPromotion(ctx, acts, input(pipeline));
    const f = failureOf(r.error);
    assert.equal(f.type, 'InvalidInput');
    assert.match(
      f.message,
      /environments\[2\]\.approval\.allowedSignersFile keys \(GitOps commit abc\): no key for bob/,
    );
  });
});

describe('approve --sign-key through the CLI', () => {
  /** The CLI in-process against the test server, as a user runs it. */
  async function cli(args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (x: string) => (stdout += x) },
      stderr: { write: (x: string) => (stderr += x) },
      env: { TEMPORAL_ADDRESS: ctx.env.address, TEMPORAL_NAMESPACE: ctx.env.namespace ?? 'default' },
    });
    return { code, stdout, stderr };
  }

  it('refusals print the reason and exit 5, leaving the gate waiting; a signed approval moves it', async () => {
    const { acts } = mockActivities();
    const r = await runPromotion(ctx, acts, input(signedPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      const id = h.workflowId;
      const approve = (as: string, ...more: string[]) =>
        cli(['approve', id, '--env', 'production', '--as', as, ...more]);
      const refusals: [Awaited<ReturnType<typeof approve>>, RegExp][] = [
        [await approve('alice'), /^harbor-promote: refused: production requires signed approvals; sign it: /],
        [
          await approve('alice', '--sign-key', keys.mallory!.path),
          /^harbor-promote: refused: the signature is not by a key allowed for "alice" in production/,
        ],
        [
          await approve('alice', '--sign-key', keys.bob!.path),
          /^harbor-promote: refused: the signature is not by a key allowed for "alice" in production/,
        ],
      ];
      for (const [res, re] of refusals) {
        assert.equal(res.code, ExitCode.REFUSED, res.stderr);
        assert.match(res.stderr, re);
        const s = await h.query(statusQuery);
        assert.equal(s.approvals.production!.approvals.length, 0);
        assert.equal(s.pendingGate?.kind, 'approval');
      }
      const ok = await approve('alice', '--sign-key', keys.alice!.path, '--comment', 'CAB-7');
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^approved production as alice: 1 of 1 approvals, the promotion moves on/);
      await report(h);
    });
    assert.equal(r.error, undefined, String(r.error));
    const a = r.result!.approvals.production!.approvals[0]!;
    assert.equal(a.comment, 'CAB-7');
    assert.equal(JSON.parse(a.signature!.statement).comment, 'CAB-7');
  });
});

describe('separation of duties', () => {
  it('the requester cannot approve its own gate; another approver can', async () => {
    const { acts } = mockActivities();
    const r = await runPromotion(ctx, acts, input(testPipeline(), { requestedBy: 'alice' }), async (h) => {
      const s = await waitForStatus(h, atGate('approval', 'production'));
      assert.match(s.pendingGate!.needs, /from bob, carol$/, 'the gate does not wait for the requester');
      const err = await h
        .executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] })
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      assert.match(
        String((err?.cause as Error | undefined)?.message),
        /"alice" requested this promotion and cannot approve its own gate into production \(separation of duties\); ask bob, carol, or set approval.allowSelfApproval: true/,
      );
      assert.equal((await h.query(statusQuery)).approvals.production!.approvals.length, 0);
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'bob' }] });
      await report(h);
    });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.result!.requestedBy, 'alice');
  });

  it('a gate only the requester could complete fails at once instead of waiting to expire', async () => {
    const { acts } = mockActivities();
    const pipeline = testPipeline((p) => {
      p.environments[2]!.approval = { approvers: ['alice', 'bob'], required: 2, expiry: '60s' };
    });
    const r = await runPromotion(ctx, acts, input(pipeline, { requestedBy: 'alice' }));
    const f = failureOf(r.error);
    assert.equal(f.type, 'InvalidInput');
    assert.match(
      f.message,
      /environments\[2\]\.approval: production needs 2 approvals but alice requested this promotion and cannot approve it \(separation of duties\), which leaves 1; add an approver, lower required, or set allowSelfApproval: true/,
    );
  });

  it('approval.allowSelfApproval: true lets the requester approve', async () => {
    const { acts } = mockActivities();
    const pipeline = testPipeline((p) => {
      p.environments[2]!.approval!.allowSelfApproval = true;
    });
    const r = await runPromotion(ctx, acts, input(pipeline, { requestedBy: 'alice' }), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await report(h);
    });
    assert.equal(r.error, undefined, String(r.error));
  });
});
