/** Rollback, last: the record says it is a rollback, of which environment, from which digest to which, by whom. */
import type { RollbackRecord } from '../../domain/promotion.js';
import { defineStep } from './step.js';

export const recordRollback = defineStep({
  name: 'recordRollback',
  stage: 'recording',
  scope: 'promotion',
  detail: ({ env }) => `recording the rollback of ${env.name}`,
  // Workflow code, no activity: what the overlay held comes from the overlay update's result.
  run: async ({ run, env }): Promise<RollbackRecord> => {
    const before = run.rec.overlays[env.name]?.previousDigest ?? run.rollback?.from;
    return {
      environment: env.name,
      ...(before && { from: before }),
      to: run.digest,
      ...(run.input.requestedBy && { requestedBy: run.input.requestedBy }),
      ...(run.rollback?.promotedBy && { promotedBy: run.rollback.promotedBy }),
    };
  },
  done: (r) =>
    `rollback of ${r.environment} ${r.from ? `from ${r.from} ` : ''}to ${r.to}${r.requestedBy ? ` requested by ${r.requestedBy}` : ''}`,
  record(r, { run }) {
    run.rec.kind = 'rollback';
    run.rec.rollback = r;
  },
});
