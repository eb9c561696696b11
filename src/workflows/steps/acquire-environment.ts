/**
 * Destination, before the copy: take the environment (one promotion of a repository writes to an
 * environment at a time; src/workflows/environment-lock.ts). While another promotion holds it, status
 * says whom it waits for; with `concurrency: supersede` a newer promotion arriving meanwhile ends this
 * one as `Superseded`. Once granted, it refuses to move the overlay to an older artifact than the one it
 * pins now (`WouldRegress`) unless the promotion is a rollback. Nothing in the environment has changed
 * when either failure happens.
 */
import { condition, workflowInfo } from '@temporalio/workflow';
import {
  decideOverlayMove,
  describeRequest,
  type LockRequest,
  type PinnedArtifact,
} from '../../domain/environment-lock.js';
import { FailureType } from '../../domain/failures.js';
import { concurrencyOf, repositoryIn } from '../../domain/pipeline-rules.js';
import { call } from '../activities.js';
import { fail } from './failure.js';
import { defineStep, type RunningStep } from './step.js';

export const acquireEnvironment = defineStep({
  name: 'acquireEnvironment',
  stage: 'waiting-environment',
  detail: ({ run, env }) =>
    `taking ${run.at(env)}: one promotion of ${run.input.repository} writes there at a time`,
  failure: ({ run, env }) => ({ where: `taking ${run.at(env)}` }),
  async run(ctx) {
    const { run, env } = ctx;
    const repository = repositoryIn(env, run.input.repository);
    const info = workflowInfo();
    const request: LockRequest = {
      promotionId: info.workflowId,
      runId: info.runId,
      environment: env.name,
      repository: run.input.repository,
      reference: run.input.reference,
      digest: run.digest,
      ...(run.rec.pushTime && { pushTime: run.rec.pushTime }),
      startedAt: info.startTime.toISOString(),
      policy: concurrencyOf(env),
      ...(run.input.rollback && { rollback: true as const }),
    };
    const { lockId } = await call('requestEnvironment', `ask for ${env.name}`, {
      project: env.project,
      repository,
      ...(env.overlay && { overlayPath: env.overlay.path }),
      request,
    });
    run.locks.asked.set(env.name, lockId); // from now on every way out releases it
    await granted(ctx, lockId);
    return env.overlay ? checkForward(ctx, repository) : 'granted';
  },
  done: (why) => `holding it; ${why}`,
});

async function granted(ctx: RunningStep, lockId: string): Promise<void> {
  const { run, env } = ctx;
  for (;;) {
    const n = run.locks.notices.get(lockId);
    if (n?.kind === 'granted') {
      run.st.pendingGate = undefined;
      return;
    }
    if (n?.kind === 'superseded') {
      run.locks.asked.delete(env.name); // the lock already dropped this request
      throw fail(
        FailureType.Superseded,
        `superseded by the newer ${describeRequest(n.by)} (${n.by.digest}${n.by.pushTime ? `, pushed ${n.by.pushTime}` : ''}) while waiting for ${run.at(env)}; nothing was changed in ${env.name}`,
        undefined,
        { by: n.by },
      );
    }
    if (n?.kind === 'waiting') {
      const who = `${describeRequest(n.holder)} to finish ${env.name}`;
      ctx.restage('waiting-environment', `waiting for ${who}`);
      run.st.openGate({
        kind: 'environment',
        environment: env.name,
        needs: who, // no command: it moves when the holder is done (`harbor-promote status <holder>`)
      });
    }
    await condition(() => run.locks.notices.get(lockId) !== n);
  }
}

/** Holding the environment: the overlay may only move forward (by push time in the source project). */
async function checkForward(ctx: RunningStep, repository: string): Promise<string> {
  const { run, env } = ctx;
  const o = env.overlay!;
  const source = run.envs[0]!;
  ctx.restage('waiting-environment', `comparing ${o.path} with ${run.digest}`);
  const pin = await call('readOverlayPin', `read ${o.path}`, {
    overlayPath: o.path,
    imageName: o.imageName ?? repository,
  });
  let current: PinnedArtifact | undefined;
  if (pin.digest === run.digest) current = { digest: pin.digest };
  else if (pin.digest) {
    const t = await call('readPushTime', `push time of ${pin.digest.slice(7, 19)} in ${source.project}`, {
      artifact: {
        project: source.project,
        repository: repositoryIn(source, run.input.repository),
        digest: pin.digest,
      },
    });
    current = { digest: pin.digest, ...(t.pushTime && { pushTime: t.pushTime }) };
  }
  const move = decideOverlayMove(
    current,
    { digest: run.digest, ...(run.rec.pushTime && { pushTime: run.rec.pushTime }) },
    {
      rollback: run.input.rollback === true,
      overlay: `${env.name}'s overlay ${o.path}`,
      sourceProject: source.project,
    },
  );
  if (move.kind === 'regress')
    throw fail(
      FailureType.WouldRegress,
      `refusing to move ${env.name} backwards: ${move.reason}`,
      undefined,
      {
        current: current!.digest,
        candidate: run.digest,
      },
    );
  return move.reason;
}
