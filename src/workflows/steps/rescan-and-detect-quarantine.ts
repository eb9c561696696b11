/**
 * Destination, after the copy: a fresh scan gated like the source's, then Harbor's word on whether the
 * copy can be pulled (its pull policy may quarantine it). It comes before the signature check: cosign
 * reads the manifest through /v2, where Harbor blocks pulls while the copy's auto-scan is still running
 * in a prevent_vul project.
 */
import { patched } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures.js';
import { evaluatePull } from '../../domain/quarantine.js';
import { call } from '../activities.js';
import { prepareScan, scanGate, scanIsOff, scanOff } from './scan-gate.js';
import { defineStep } from './step.js';

export const rescanAndDetectQuarantine = defineStep({
  name: 'rescanAndDetectQuarantine',
  stage: 'scanning',
  prepare: prepareScan,
  detail: ({ run, env }, plan) =>
    scanIsOff(plan) ? `scan gate of ${run.at(env)} is off` : `waiting for a finished scan in ${run.at(env)}`,
  failure: ({ run, env }) => ({
    where: `${run.at(env)} quarantines ${run.digest}`,
    advice: {
      type: FailureType.Quarantined,
      text: `Fix the vulnerabilities (or sign the image) and promote again, or ask a ${env.project} admin to allowlist the CVEs.`,
    },
  }),
  async run(ctx, plan) {
    const { run, env } = ctx;
    // Reports are shared per digest across projects: only one that started after the copy counts.
    if (scanIsOff(plan)) scanOff(ctx);
    else await scanGate(ctx, plan, run.copy(env).copiedAt);
    ctx.restage('checking', `checking ${env.project}'s pull policy`);
    const readPolicy = () =>
      call('readProjectPolicy', `read policy of ${env.project}`, { project: env.project });
    // The manifest HEAD is the authority: a 412 is Harbor saying the image is quarantined.
    const headManifest = () =>
      call('checkPullable', `HEAD manifest in ${env.project}`, { artifact: run.artifact(env) });
    // Two independent reads: side by side they cost one workflow task instead of two (issue 13, drain).
    // Promotions started before run them one after the other, as their histories say.
    const [policy] = patched('parallel-pull-checks')
      ? await Promise.all([readPolicy(), headManifest()])
      : [await readPolicy(), await headManifest()];
    const predicted = evaluatePull(policy, {
      signed: true,
      scan: run.st.scans[env.name],
      ...(run.noScanner.has(env.name) && { scannable: false }),
    });
    return predicted.blocked
      ? `policy predicted a block (${predicted.message}) but Harbor serves the manifest`
      : 'pullable';
  },
  done: (message) => message,
});
