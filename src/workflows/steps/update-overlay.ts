/** Destination with `overlay`: point the kustomize overlay at the digest (a git commit GitOps deploys). */
import { repositoryIn } from '../../domain/pipeline-rules.js';
import { call } from '../activities.js';
import { defineStep } from './step.js';

export const updateOverlay = defineStep({
  name: 'updateOverlay',
  stage: 'deploying',
  when: (env) => env.overlay !== undefined,
  detail: ({ run, env }) => `pointing ${env.overlay!.path} at ${run.digest}`,
  failure: ({ env }) => ({ where: `updating ${env.overlay!.path}` }),
  run({ run, env }) {
    const o = env.overlay!;
    const repo = repositoryIn(env, run.input.repository);
    return call('updateOverlay', `update overlay ${o.path}`, {
      environment: env.name,
      overlayPath: o.path,
      imageName: o.imageName ?? repo,
      newName: o.newName ?? `${run.input.pipeline.registry}/${env.project}/${repo}`,
      ...(run.tag && { newTag: run.tag }),
      digest: run.digest,
      promotionId: run.st.promotionId,
      ...(run.rollback && {
        rollback: run.rollback.requestedBy ? { requestedBy: run.rollback.requestedBy } : {},
      }),
    });
  },
  done: (r, { run }) =>
    `${run.rollback && r.previousDigest ? `rolled back from ${r.previousDigest}: ` : ''}${r.changed ? `committed ${r.commit}` : `already at ${r.commit}`}`,
  record(r, { run, env }) {
    run.rec.overlays[env.name] = { ...r, path: env.overlay!.path };
  },
});
