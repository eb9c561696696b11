/**
 * Issue 13 item 1, on the live stack with the worker as a process: a promotion dev → staging → production
 * starts cosign only to sign. Every signature check (before signing, verifySignature, the final proof in
 * verifyDigests) runs in the worker with node:crypto. Counted from /proc: the worker's descendants are
 * sampled every few milliseconds and each cosign process is classified by its argv.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { workflowBundle } from '../../support/bundle';
import { testEnv } from '../../support/env';
import { ImagePusher } from '../../support/images';
import { stackPipeline, startPromotion } from '../../support/promotions';
import { connectClient } from '../../support/temporal';
import { cmdlineOf, WorkerProcess } from '../../support/worker-process';

const env = testEnv();
const RUN = Date.now().toString(36);
const HOST = new URL(env.HARBOR_URL!).host;
let client: Client;
let worker: WorkerProcess;

/** Every distinct descendant process of the worker seen while sampling, pid → argv (read each sample: a
 * freshly forked child shows the worker's argv until it execs). */
class ChildSampler {
  readonly seen = new Map<number, string>();
  samples = 0;
  private timer?: NodeJS.Timeout;
  constructor(private readonly w: WorkerProcess) {}
  private once(): void {
    this.samples++;
    for (const pid of this.w.descendants()) {
      const argv = cmdlineOf(pid);
      if (argv && !this.seen.get(pid)?.includes('cosign')) this.seen.set(pid, argv);
    }
  }
  start(): this {
    this.timer = setInterval(() => this.once(), 5);
    return this;
  }
  stop(): string[] {
    clearInterval(this.timer);
    this.once();
    return [...this.seen.values()];
  }
}

before(async () => {
  client = await connectClient(env);
  worker = new WorkerProcess({
    env,
    name: 'cosign-processes',
    taskQueue: `cosign-procs-${RUN}`,
    extraEnv: { WORKER_WORKFLOW_BUNDLE: await workflowBundle() },
  });
  await worker.start(client);
});
after(async () => {
  await worker?.stop();
  await client?.connection.close();
});

describe('cosign processes of a promotion', { timeout: 4 * 60_000 }, () => {
  it('cosign runs only to sign and attest; no cosign process checks a signature or an attestation', async () => {
    const service = 'cosign-procs';
    const tag = `r-${RUN}`;
    await new ImagePusher(env).push('platform-dev', service, tag);
    const sampler = new ChildSampler(worker).start();
    try {
      const h = await startPromotion(client, worker.taskQueue, {
        pipeline: stackPipeline({ registry: HOST }),
        repository: service,
        reference: tag,
      });
      const record = await h.result();
      assert.ok(record, 'the promotion completed');
    } finally {
      sampler.stop();
    }
    const all = [...sampler.seen.values()];
    const cosign = all.filter((c) => /(^|\/)cosign /.test(c));
    const signs = cosign.filter((c) => / sign /.test(` ${c} `));
    // attestEnvironment writes the VSA and the promotion record in each destination (cosign attest).
    const attests = cosign.filter((c) => / attest /.test(` ${c} `));
    const checks = cosign.filter((c) => !/ (sign|attest) /.test(` ${c} `));
    console.log(
      `# ${sampler.samples} samples, ${all.length} child processes, cosign: ${signs.length} sign, ${attests.length} attest, ${checks.length} other`,
    );
    assert.ok(signs.length >= 1, `the sampler saw cosign sign (saw: ${all.join(' | ')})`);
    assert.ok(attests.length >= 1, `the sampler saw cosign attest (saw: ${all.join(' | ')})`);
    assert.deepEqual(checks, [], 'no cosign process other than sign and attest');
  });
});
