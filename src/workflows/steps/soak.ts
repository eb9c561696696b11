/** Destination with `soak`: wait that long before the next environment (a durable timer). */
import { sleep } from '@temporalio/workflow';
import { durationMs, formatDuration } from '../../domain/duration.js';
import { defineStep } from './step.js';

export const soak = defineStep({
  name: 'soak',
  stage: 'soaking',
  when: (env) => env.soak !== undefined,
  detail: ({ env }) => `soaking ${env.soak} in ${env.name}`,
  async run({ run, env }) {
    const ms = durationMs(env.soak!);
    run.st.openGate({
      kind: 'soak',
      environment: env.name,
      needs: `soak time of ${formatDuration(ms)} in ${env.name}`,
      until: new Date(Date.now() + ms).toISOString(),
      command: `harbor-promote cancel ${run.st.promotionId} (to stop it)`,
    });
    await sleep(ms, { summary: `soak ${env.soak} in ${env.name}` });
  },
  done: (_, { env }) => `soaked ${env.soak}`,
});
