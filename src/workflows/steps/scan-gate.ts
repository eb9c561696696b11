/**
 * The scan gate shared by awaitScanAndGate (source) and rescanAndDetectQuarantine (each copy): wait for
 * a finished scan, then apply the environment's severity threshold. Workflow code.
 */
import { patched } from '@temporalio/workflow';
import { durationMs } from '../../domain/duration.js';
import { FailureType } from '../../domain/failures.js';
import { scanMode, scanSettings } from '../../domain/pipeline-rules.js';
import { evaluateScan } from '../../domain/scan-policy.js';
import { call, scanOptions } from '../activities.js';
import { explain, fail, isNoScanner } from './failure.js';
import type { StepContext } from './step.js';

export interface ScanPlan {
  mode: ReturnType<typeof scanMode>;
  /** Optional/off behaviour is on (see prepareScan). */
  optional: boolean;
}

/**
 * Versioned: histories from before optional scans never reach patched() (their mode is always
 * `required`), and a new optional/off environment records the marker before it acts differently.
 */
export function prepareScan(ctx: StepContext): ScanPlan {
  const mode = scanMode(ctx.env);
  return { mode, optional: mode !== 'required' && patched('optional-scans') };
}

export const scanIsOff = (p: ScanPlan) => p.optional && p.mode === 'off';

/** Why the gate does not run when the scan is off. Records it in the promotion's `notScanned`. */
export function scanOff(ctx: StepContext): string {
  const why = `not scanned: environments[${ctx.index}].scan is false`;
  ctx.run.notScanned[ctx.env.name] = why;
  return why;
}

/** Waits for a finished scan (one that started after `notBefore`, if given) and gates on its findings. */
export async function scanGate(ctx: StepContext, plan: ScanPlan, notBefore?: string): Promise<string> {
  const { run, env, index } = ctx;
  const where = run.at(env);
  const settings = scanSettings(env);
  const scan = await call(
    'ensureScanned',
    `scan ${env.project}@${run.digest.slice(7, 19)}`,
    {
      artifact: run.artifact(env),
      pollIntervalMs: durationMs(settings.pollInterval),
      ...(notBefore && { notBefore }),
    },
    scanOptions(env),
  ).catch((e) => {
    if (plan.optional && isNoScanner(e)) return undefined;
    // Explained here, not by the runner: the rescan step reports its later phase under another name.
    return Promise.reject(
      explain(e, {
        where: `scan in ${where}`,
        timeout: {
          type: FailureType.ScannerUnavailable,
          hint: `no finished scan within ${settings.timeout}; check the scanner in Harbor (Interrogation Services) or raise environments[${index}].scan.timeout`,
        },
      }),
    );
  });
  if (!scan) {
    run.noScanner.add(env.name);
    const why = `not scanned: Harbor has no scanner for ${env.project} and environments[${index}].scan.required is false (warning: no vulnerability gate ran)`;
    run.notScanned[env.name] = why;
    return why;
  }
  run.st.scans[env.name] = scan;
  if (scan.status !== 'Success')
    throw fail(
      FailureType.ScannerUnavailable,
      `scan in ${where} ended ${scan.status}; check the scanner in Harbor and start the promotion again`,
    );
  const verdict = evaluateScan(scan, env.severityThreshold, {
    environment: env.name,
    project: env.project,
    field: `environments[${index}].severityThreshold`,
  });
  if (!verdict.passed)
    throw fail(FailureType.VulnerabilityPolicyViolation, verdict.message, undefined, verdict.blocking);
  return verdict.message;
}
