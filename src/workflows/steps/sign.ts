/** Source environment: sign the pinned digest with cosign (a no-op when already signed by the key). */
import { call } from '../activities.js';
import { defineStep } from './step.js';

export const sign = defineStep({
  name: 'sign',
  stage: 'signing',
  detail: ({ run, env }) => `signing ${run.digest} in ${run.at(env)}`,
  failure: ({ run, env }) => ({ where: `signing in ${run.at(env)}` }),
  run: ({ run, env }) =>
    call('signImage', `cosign sign ${env.project}@${run.digest.slice(7, 19)}`, {
      artifact: run.artifact(env),
    }),
  done: (r) => (r.signed ? 'signed' : 'already signed by the configured key'),
  record(r, { run }) {
    run.rec.signature = r;
  },
});
