/**
 * Destination with freeze windows (its own or the pipeline's): before the copy, wait while a window is
 * open (a durable timer to its end, then check again: another window may follow), unless an approver
 * lifted the freeze for this promotion (`harbor-promote unfreeze`). Windows are evaluated with workflow
 * time, so replay decides the same.
 */
import { condition, patched } from '@temporalio/workflow';
import { activeFreeze } from '../../domain/freeze-rules.js';
import { notify } from '../notify.js';
import { defineStep } from './step.js';

export interface FreezeOutcome {
  /** How many windows held the promotion. */
  waited: number;
  unfrozenBy?: string;
}

export const awaitFreezeWindow = defineStep<FreezeOutcome, boolean>({
  name: 'awaitFreezeWindow',
  // Shows `frozen` only while a window holds it; otherwise it is the instant before the copy.
  stage: 'copying',
  when: (env) => (env.freeze?.length ?? 0) > 0,
  // A new step: histories from before it skip it (they cannot have freeze windows, but the rule holds).
  prepare: () => patched('freeze-windows'),
  skip: (_, isNew) => (isNew ? undefined : 'not in the version this promotion started with'),
  detail: ({ env }) => `checking the freeze windows of ${env.name}`,
  async run({ run, env, restage }) {
    const st = run.st;
    const rec = st.freezes[env.name]!;
    let waited = 0;
    for (;;) {
      if (rec.unfrozen) break;
      const now = Date.now();
      const open = activeFreeze(env.freeze!, now);
      if (!open) break;
      const until = new Date(open.until).toISOString();
      const wait = { reason: open.reason, from: new Date(now).toISOString(), until };
      rec.waits.push(wait);
      waited++;
      restage('frozen', `waiting: frozen until ${until} (${open.reason})`);
      st.openGate({
        kind: 'freeze',
        environment: env.name,
        needs: `the freeze of ${env.name} to end (${open.reason})`,
        until,
        command: `harbor-promote unfreeze ${st.promotionId} --env ${env.name} --as <name> --reason <text>`,
      });
      notify(run, 'frozen', env, { until, reason: open.reason });
      const lifted = await condition(() => rec.unfrozen !== undefined, Math.max(1, open.until - now), {
        summary: `frozen until ${until} (${open.reason})`,
      });
      Object.assign(wait, { ended: lifted ? 'unfrozen' : 'window-ended' });
      st.pendingGate = undefined;
    }
    return { waited, ...(rec.unfrozen && { unfrozenBy: rec.unfrozen.approver }) };
  },
  done: (r, { run, env }) => {
    const u = run.st.freezes[env.name]!.unfrozen;
    if (u) return `freeze lifted by ${u.approver}: ${u.reason}`;
    return r.waited === 0
      ? 'not frozen'
      : `waited for ${r.waited} freeze window${r.waited === 1 ? '' : 's'} to end`;
  },
});
