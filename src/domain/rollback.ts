/**
 * Rollback: re-point one environment's overlay to a digest that was promoted into it before. The input the
 * rollback workflow re-validates, its id and summary, and the pure decision "which digest is the previous
 * one", taken from the deployments the promotion records (and the status of unfinished ones) describe.
 */
import { z } from 'zod';
import { isDigest } from './image-ref.js';
import {
  Digest,
  EnvironmentName,
  formatIssues,
  PipelineSchema,
  RepositoryName,
  Tag,
  type Pipeline,
} from './pipeline.js';
import type { PromotionRecord, StepRecord } from './promotion.js';

export const RollbackInputSchema = z
  .strictObject({
    pipeline: PipelineSchema,
    repository: RepositoryName,
    /** The environment whose overlay is re-pointed (a destination with an overlay). */
    environment: EnvironmentName,
    /** The digest the overlay will pin. */
    to: Digest,
    /** The tag `to` was promoted with: written as the overlay's newTag (absent: newTag is removed). */
    tag: Tag.optional(),
    /** What the overlay pins now as the records say (for the approver; the record keeps what it really held). */
    from: Digest.optional(),
    /** The promotion that brought `to` into the environment, when the records show it. */
    promotedBy: z.string().max(300).optional(),
    /** Who asked (shown in the record); not an authority for anything. */
    requestedBy: z.string().max(128).optional(),
  })
  .superRefine((input, ctx) => {
    const problem = rollbackEnvironmentProblem(input.pipeline, input.environment);
    if (problem) ctx.addIssue({ code: 'custom', path: ['environment'], message: problem });
    if (input.from !== undefined && input.from === input.to)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `${input.environment} already points at ${input.to}; nothing to roll back`,
      });
  });
/** Why `name` cannot be rolled back in this pipeline (not a destination with an overlay), or undefined. */
export function rollbackEnvironmentProblem(pipeline: Pipeline, name: string): string | undefined {
  const envs = pipeline.environments;
  const targets = envs.filter((e, i) => i > 0 && e.overlay).map((e) => e.name);
  const choose = targets.length
    ? `use one of ${targets.join(', ')}`
    : 'no environment of this pipeline has an overlay';
  const i = envs.findIndex((e) => e.name === name);
  if (i < 0) return `"${name}" is not an environment of this pipeline; ${choose}`;
  if (i === 0) return `"${name}" is the source environment: nothing is deployed there; ${choose}`;
  if (!envs[i]!.overlay)
    return `"${name}" has no overlay in the pipeline, so there is nothing to re-point; ${choose}`;
  return undefined;
}

export type RollbackInput = z.input<typeof RollbackInputSchema>;
export type ValidRollbackInput = z.output<typeof RollbackInputSchema>;

// Zod-free (the workflow imports it from rollback-rules.ts directly).
export { rollbackEnvironment } from './rollback-rules.js';

export function checkRollbackInput(
  value: unknown,
): { ok: true; input: ValidRollbackInput } | { ok: false; problems: string[] } {
  const r = RollbackInputSchema.safeParse(value, { reportInput: true });
  return r.success ? { ok: true, input: r.data } : { ok: false, problems: formatIssues(r.error.issues) };
}

/**
 * `rollback-<environment>/<repository>@<digest>`, e.g. `rollback-production/myservice@sha256:…`. An
 * environment name has no `/` and a repository no `@`, so the id is unambiguous; asking for the same
 * rollback while it runs finds the running one (USE_EXISTING).
 */
export function rollbackWorkflowId(environment: string, repository: string, digest: string): string {
  return `rollback-${environment}/${repository}@${digest}`;
}

export const shortDigest = (d: string) => (isDigest(d) ? `${d.slice(0, 19)}…` : d);

/** `rollback myservice in production to sha256:1a2b…(1.0.1) from sha256:3c4d…` for the UI's static summary. */
export function rollbackSummary(input: ValidRollbackInput): string {
  const to = `${shortDigest(input.to)}${input.tag ? ` (${input.tag})` : ''}`;
  return `rollback ${input.repository} in ${input.environment} to ${to}${input.from ? ` from ${shortDigest(input.from)}` : ''}`;
}

// ---- which digest is the previous one --------------------------------------------------------------------

/** One write of an environment's overlay by a promotion or a rollback. */
export interface Deployment {
  workflowId: string;
  kind: 'promotion' | 'rollback';
  digest: string;
  /** The tag it was promoted with, if it started from one. */
  tag?: string;
  /** When the overlay was written (ISO). */
  at: string;
  /** The workflow completed, so the checks after the overlay (verification, soak) passed too. */
  completed: boolean;
}

const tagOf = (reference: string) => (isDigest(reference) ? undefined : reference);
const overlayStep = (steps: readonly StepRecord[], env: string) =>
  steps.find((s) => s.id === `${env}/updateOverlay`);

/** The overlay write a completed promotion or rollback made in `env`, if it made one. */
export function deploymentFromRecord(
  r: PromotionRecord,
  env: string,
  workflowId = r.promotionId,
): Deployment | undefined {
  if (!r.overlays?.[env] || !r.digest) return undefined;
  return {
    workflowId,
    kind: r.kind === 'rollback' ? 'rollback' : 'promotion',
    digest: r.digest,
    ...(tagOf(r.reference) && { tag: tagOf(r.reference) }),
    at: overlayStep(r.steps, env)?.finishedAt ?? r.finishedAt,
    completed: true,
  };
}

/**
 * The overlay write of a workflow that did not complete (failed in verification, or still soaking), from its
 * `status`: the overlay holds its digest even though it failed, so it counts as what the overlay points at.
 */
export function deploymentFromStatus(
  s: { digest?: string; reference: string; steps: readonly StepRecord[] },
  env: string,
  workflowId: string,
  kind: Deployment['kind'],
): Deployment | undefined {
  const step = overlayStep(s.steps, env);
  if (!s.digest || step?.state !== 'succeeded' || !step.finishedAt) return undefined;
  return {
    workflowId,
    kind,
    digest: s.digest,
    ...(tagOf(s.reference) && { tag: tagOf(s.reference) }),
    at: step.finishedAt,
    completed: false,
  };
}

export type PreviousAnswer =
  | { ok: true; current: Deployment; previous: Deployment }
  | { ok: false; problem: string; current?: Deployment };

/** Index of the last element that matches, or -1 (Array#findLastIndex is ES2023; the target is ES2022). */
function lastIndex<T>(xs: readonly T[], ok: (x: T) => boolean, before = xs.length): number {
  for (let i = Math.min(before, xs.length) - 1; i >= 0; i--) if (ok(xs[i]!)) return i;
  return -1;
}

const byTime = (ds: readonly Deployment[]) =>
  ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.at.localeCompare(b.d.at) || a.i - b.i)
    .map((x) => x.d);

/**
 * The digest promoted into the environment before the one its overlay points at now. "Now" is the latest
 * overlay write (a promotion, a rollback, or a promotion that wrote the overlay and then failed). "Before"
 * is counted in promotions, from the latest promotion of the current digest: so after a rollback to 1.0.1,
 * `--previous` goes on to the build promoted before 1.0.1 instead of forward again. Only completed
 * promotions are candidates: a build that failed its checks is never a rollback target.
 */
export function findPrevious(
  deployments: readonly Deployment[],
  where: { repository: string; environment: string },
): PreviousAnswer {
  const all = byTime(deployments);
  const fix = 'give the digest with --to sha256:…';
  const current = all[all.length - 1];
  if (!current)
    return {
      ok: false,
      problem: `no promotion of ${where.repository} into ${where.environment} is recorded in Temporal (closed promotions are kept for the namespace's retention period); ${fix}`,
    };
  let anchor = lastIndex(all, (d) => d.kind === 'promotion' && d.digest === current.digest);
  if (anchor < 0) anchor = all.length - 1;
  const previous =
    all[lastIndex(all, (d) => d.kind === 'promotion' && d.completed && d.digest !== current.digest, anchor)];
  if (!previous)
    return {
      ok: false,
      current,
      problem: `${where.environment} of ${where.repository} points at ${current.digest} (${current.workflowId}), and no completed promotion of another digest into ${where.environment} before it is recorded: there is no previous digest to roll back to; ${fix}`,
    };
  return { ok: true, current, previous };
}

/** The latest completed overlay write of `digest` (its tag and promotion, for `--to`). */
export function lastDeploymentOf(deployments: readonly Deployment[], digest: string): Deployment | undefined {
  const all = byTime(deployments);
  return all[lastIndex(all, (d) => d.completed && d.digest === digest)];
}

/** What the overlay points at now according to the records, if any. */
export function currentDeployment(deployments: readonly Deployment[]): Deployment | undefined {
  return byTime(deployments).at(-1);
}
