/** Destination: copy the pinned digest from the previous environment's project (by its copyStrategy). */
import { repositoryIn } from '../../domain/pipeline-rules.js';
import { call } from '../activities.js';
import { defineStep } from './step.js';

export const copyToEnvironment = defineStep({
  name: 'copyToEnvironment',
  stage: 'copying',
  detail: ({ run, env, previous }) =>
    `copying ${run.digest} ${previous!.project} → ${env.project} (${env.copyStrategy})`,
  failure: ({ run, env }) => ({ where: `copying into ${run.at(env)}` }),
  run: ({ run, env, previous }) =>
    call('copyArtifact', `copy ${previous!.project} → ${env.project} (${env.copyStrategy})`, {
      from: run.artifact(previous!),
      to: { project: env.project, repository: repositoryIn(env, run.input.repository) },
      ...(run.tag && { tag: run.tag }),
      strategy: env.copyStrategy,
    }),
  done: (r) => `copied by ${r.strategy}${r.signatureRepaired ? ' (signature re-created)' : ''}`,
  record(r, { run, env }) {
    run.rec.copies[env.name] = r;
  },
});
