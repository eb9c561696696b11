/**
 * Representative promotions, used by the history-size test and by record-histories.ts (which writes the
 * replay fixtures in test/fixtures/histories/). Keep them deterministic in shape: same steps every run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { harborActivities } from '../../src/activities/harbor.js';
import type { EnsureScannedInput } from '../../src/activities/contract.js';
import type { Deps } from '../../src/activities/deps.js';
import { sshSign } from '../../src/cli/sign-approval.js';
import { approvalStatement, canonicalApprovalStatement } from '../../src/domain/approval-statement.js';
import {
  approveUpdate,
  rejectUpdate,
  reportVerificationSignal,
  unfreezeUpdate,
} from '../../src/workflows/messages.js';
import { atGate, input, mockActivities, runPromotion, testPipeline, waitForStatus } from './helpers.js';
import { rollbackInput, runRollback } from './rollback-helpers.js';

type Ctx = Parameters<typeof runPromotion>[0];

const OVERVIEW_KEY = 'application/vnd.security.vulnerability.report; version=1.1';

/**
 * The production ensureScanned (src/activities/harbor.ts), which polls inside one activity attempt
 * (heartbeating, sleeping pollIntervalMs between reads), over a fake Harbor whose scan of each artifact
 * reads `Running` `rounds` times before it reads `Success`. `stats` shows which path ran: attempts per
 * scan (1 = no retry) and reads per scan (rounds + 1 = it polled).
 */
export function pollingScans(rounds: number) {
  const stats = { attempts: [] as number[], reads: new Map<string, number>() };
  const api = {
    getArtifact: async (project: string, repository: string, digest: string) => {
      const key = `${project}/${repository}@${digest} ${current?.notBefore ?? ''}`;
      const n = (stats.reads.get(key) ?? 0) + 1;
      stats.reads.set(key, n);
      const start = current?.notBefore ?? '2026-01-01T00:00:00.000Z';
      const overview =
        n <= rounds
          ? { report_id: `r-${key}`, scan_status: 'Running', start_time: start }
          : {
              report_id: `r-${key}`,
              scan_status: 'Success',
              severity: 'Low',
              start_time: start,
              end_time: start,
              summary: { total: 2, fixable: 0, summary: { Low: 2 } },
            };
      return { digest, scan_overview: { [OVERVIEW_KEY]: overview } };
    },
    scanArtifact: async () => 'started' as const,
    getVulnerabilityIds: async () => ['CVE-2026-0001', 'CVE-2026-0002'],
  };
  let current: EnsureScannedInput | undefined;
  const real = harborActivities({ cfg: { harborUsername: 'robot$test' }, api } as unknown as Deps);
  const ensureScanned = async (i: EnsureScannedInput) => {
    stats.attempts.push(Context.current().info.attempt);
    current = i; // scans of one promotion run one after another, so one slot is enough
    // The pipeline's shortest poll interval is 1 s; polling the fake Harbor faster keeps the test quick.
    return real.ensureScanned({ ...i, pollIntervalMs: 100 });
  };
  return { ensureScanned, stats };
}

/**
 * Workflow ids of scenarios whose history depends on the id (a signed statement names its promotion):
 * they are recorded under this id and replayed under it (history.test.ts); others replay under any id.
 */
export const REPLAY_WORKFLOW_IDS: Record<string, string> = {
  signedApproval: 'promote-myservice@1.4.2-a1b2c3d-signed-approval',
};

export const scenarios = {
  /**
   * dev → staging → production, approved by alice, production verified by an external report.
   * With `scanRounds`, scans run the production ensureScanned, polling that many rounds (pollingScans).
   */
  async happy(ctx: Ctx, scanRounds?: number) {
    const polling = scanRounds === undefined ? undefined : pollingScans(scanRounds);
    const { acts } = mockActivities(polling ? { ensureScanned: polling.ensureScanned } : {});
    const run = await runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'), 60_000);
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await waitForStatus(h, atGate('verification', 'production'), 60_000);
      await h.signal(reportVerificationSignal, {
        environment: 'production',
        passed: true,
        url: 'https://ci.test/1',
      });
    });
    return { ...run, scanStats: polling?.stats };
  },
  async rejected(ctx: Ctx) {
    const { acts } = mockActivities();
    return runPromotion(ctx, acts, input(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'));
      await h.executeUpdate(rejectUpdate, {
        args: [{ environment: 'production', approver: 'bob', reason: 'freeze' }],
      });
    });
  },
  /** `scan: false` in dev and production, `{ required: false }` without a scanner in staging (optional-scans patch). */
  async optionalScans(ctx: Ctx) {
    const { acts } = mockActivities({
      ensureScanned: async () => {
        throw ApplicationFailure.create({
          type: 'ScannerUnavailable',
          nonRetryable: true,
          message: 'no scanner is available',
          details: [{ noScanner: true }],
        });
      },
    });
    const pipeline = testPipeline((p) => {
      p.environments[0]!.scan = false;
      p.environments[1]!.scan = { required: false };
      p.environments[2]!.scan = false;
    });
    return runPromotion(ctx, acts, input(pipeline), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'), 60_000);
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await waitForStatus(h, atGate('verification', 'production'), 60_000);
      await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
    });
  },
  /**
   * Signed approvals and separation of duties (approval-rules patch): alice requested it, so bob approves
   * production, signed with his key (the update runs checkApprovalSignature before it counts).
   */
  async signedApproval(ctx: Ctx) {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-keys-'));
    try {
      const key = join(dir, 'bob');
      const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob', '-f', key]);
      if (made.status !== 0) throw new Error(`ssh-keygen failed: ${String(made.stderr)}`);
      const pub = readFileSync(`${key}.pub`, 'utf8').trim();
      const pipeline = testPipeline((p) => {
        p.environments[2]!.approval = {
          approvers: ['alice', 'bob'],
          expiry: '60s',
          allowedSigners: [`alice ${pub}`, `bob ${pub}`],
        };
      });
      const { acts } = mockActivities();
      const during = async (h: WorkflowHandle) => {
        const s = await waitForStatus(h, atGate('approval', 'production'), 60_000);
        const statement = canonicalApprovalStatement(
          approvalStatement({
            promotionId: s.promotionId,
            environment: 'production',
            digest: s.digest!,
            approver: 'bob',
            decision: 'approve',
            comment: '',
            time: '2026-01-01T00:00:00.000Z',
            nonce: s.approvals.production!.nonce!,
          }),
        );
        const signature = await sshSign(statement, key);
        await h.executeUpdate(approveUpdate, {
          args: [{ environment: 'production', approver: 'bob', signed: { statement, signature } }],
        });
        await waitForStatus(h, atGate('verification', 'production'), 60_000);
        await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
      };
      const id = REPLAY_WORKFLOW_IDS.signedApproval;
      return await runPromotion(ctx, acts, input(pipeline, { requestedBy: 'alice' }), during, id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  /**
   * Required evidence (patch `required-evidence`): staging requires the signature and an SBOM, found in
   * dev; production requires provenance, which staging lacks, so it fails `EvidenceMissing` before the copy.
   */
  async requiredEvidence(ctx: Ctx) {
    const { acts } = mockActivities({
      checkEvidence: async (i) =>
        i.requires.map((kind) =>
          kind === 'provenance'
            ? { kind, state: 'none' as const }
            : {
                kind,
                state: 'valid' as const,
                ...(kind === 'sbom' && { predicateType: 'https://spdx.dev/Document' }),
              },
        ),
    });
    const pipeline = testPipeline((p) => {
      p.environments[1]!.requires = ['signature', 'sbom'];
      p.environments[2]!.requires = ['provenance'];
    });
    return runPromotion(ctx, acts, input(pipeline), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'), 60_000);
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
    });
  },
  /**
   * Freeze windows and notifications (patches `freeze-windows`, `notifications`): staging waits for its
   * window to end (a timer), production's freeze is lifted by `unfreeze`; a webhook wants every event.
   */
  async frozen(ctx: Ctx) {
    const { acts } = mockActivities();
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    const pipeline = testPipeline((p) => {
      p.notify = [
        {
          url: 'https://hooks.test/harbor-promote',
          events: ['waiting-approval', 'waiting-report', 'frozen', 'failed', 'completed'],
          secretEnv: 'NOTIFY_TEST_SECRET',
        },
      ];
      p.environments[1]!.freeze = [{ start: at(-1_000), end: at(6_000), reason: 'release train' }];
      p.environments[2]!.freeze = [{ start: at(-1_000), end: at(3_600_000), reason: 'year-end' }];
    });
    return runPromotion(ctx, acts, input(pipeline), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'), 60_000);
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await waitForStatus(h, atGate('freeze', 'production'), 60_000);
      await h.executeUpdate(unfreezeUpdate, {
        args: [{ environment: 'production', approver: 'bob', reason: 'hotfix' }],
      });
      await waitForStatus(h, atGate('verification', 'production'), 60_000);
      await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
    });
  },
  async quarantined(ctx: Ctx) {
    const { acts } = mockActivities({
      checkPullable: async ({ artifact }) => {
        if (artifact.project === 'platform-staging')
          throw ApplicationFailure.nonRetryable('The image is not signed by cosign.', 'Quarantined');
        return { pullable: true };
      },
    });
    return runPromotion(ctx, acts, input(testPipeline()));
  },
  /** `harbor-promote rollback` of production: target checked, approved by alice, overlay, external report. */
  async rollback(ctx: Ctx) {
    const { acts } = mockActivities({
      resolveDigest: async (i) => ({ digest: i.reference, manifestMediaType: 'm', tags: [] }),
    });
    return runRollback(ctx, acts, rollbackInput(testPipeline()), async (h) => {
      await waitForStatus(h, atGate('approval', 'production'), 60_000);
      await h.executeUpdate(approveUpdate, { args: [{ environment: 'production', approver: 'alice' }] });
      await waitForStatus(h, atGate('verification', 'production'), 60_000);
      await h.signal(reportVerificationSignal, { environment: 'production', passed: true });
    });
  },
};
