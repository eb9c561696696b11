/**
 * Destination with `verification`: integration tests against the deployed digest, run by the worker
 * (a command or a webhook) or reported from outside (`harbor-promote report`). A failed test fails the
 * promotion.
 */
import { condition } from '@temporalio/workflow';
import { durationMs } from '../../domain/duration.js';
import { FailureType } from '../../domain/failures.js';
import type { Environment } from '../../domain/pipeline.js';
import { repositoryIn } from '../../domain/pipeline-rules.js';
import type { VerificationRecord } from '../../domain/promotion.js';
import { call, verificationOptions } from '../activities.js';
import { notify } from '../notify.js';
import type { PromotionRun } from './context.js';
import { fail } from './failure.js';
import { defineStep } from './step.js';

const kindOf = (env: Environment): VerificationRecord['kind'] =>
  env.verification!.command ? 'command' : env.verification!.webhook ? 'webhook' : 'external';

export const verificationGate = defineStep({
  name: 'verificationGate',
  stage: 'verifying',
  when: (env) => env.verification !== undefined,
  detail: ({ env }) => `integration tests (${kindOf(env)}) in ${env.name}`,
  failure: ({ env }) => ({
    where: `verification in ${env.name}`,
    timeout: {
      type: FailureType.VerificationFailed,
      hint: `tests did not finish within ${env.verification!.timeout}`,
    },
  }),
  async run({ run, env }) {
    const v = env.verification!;
    const timeoutMs = durationMs(v.timeout);
    const kind = kindOf(env);
    const st = run.st;
    if (kind === 'external') {
      st.awaitReport({
        kind: 'verification',
        environment: env.name,
        needs: `a verification report for ${env.name}`,
        until: new Date(Date.now() + timeoutMs).toISOString(),
        command: `harbor-promote report ${st.promotionId} --env ${env.name} --passed|--failed --url <results>`,
      });
      notify(run, 'waiting-report', env, { until: st.pendingGate?.until });
      const got = await condition(() => st.reports[env.name] !== undefined, timeoutMs, {
        summary: `verification report for ${env.name} due within ${v.timeout}`,
      });
      st.closeReport();
      if (!got)
        throw fail(
          FailureType.VerificationFailed,
          `no verification report for ${env.name} within ${v.timeout}; run the tests and report with \`harbor-promote report\`, then start again`,
        );
      const r = st.reports[env.name]!;
      return judge(run, env, kind, {
        passed: r.passed,
        url: r.url,
        details: r.details,
        reportedBy: 'signal',
      });
    }
    const spec = v.command
      ? { kind: 'command' as const, argv: v.command, timeoutMs }
      : { kind: 'webhook' as const, url: v.webhook!, timeoutMs };
    const r = await call(
      'runVerification',
      `integration tests (${kind}) in ${env.name}`,
      {
        environment: env.name,
        image: `${env.project}/${repositoryIn(env, run.input.repository)}@${run.digest}`,
        digest: run.digest,
        verification: spec,
      },
      verificationOptions(timeoutMs),
    );
    return judge(run, env, kind, { ...r, reportedBy: 'activity' });
  },
  done: (r) => `passed${r.url ? ` (${r.url})` : ''}`,
});

/** Records a verification result; a failed one fails the promotion. */
function judge(
  run: PromotionRun,
  env: Environment,
  kind: VerificationRecord['kind'],
  r: Omit<VerificationRecord, 'environment' | 'kind' | 'at'>,
): VerificationRecord {
  const rec: VerificationRecord = { environment: env.name, kind, at: new Date().toISOString(), ...r };
  run.st.verifications[env.name] = rec;
  if (!r.passed)
    throw fail(
      FailureType.VerificationFailed,
      `integration tests in ${env.name} failed${r.url ? ` (${r.url})` : ''}${r.details ? `: ${r.details}` : ''}; fix and promote again`,
      undefined,
      rec,
    );
  return rec;
}
