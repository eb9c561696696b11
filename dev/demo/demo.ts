/**
 * `npm run demo [-- --scenario happy|quarantine] [--harbor sim|real] [--temporal dev|postgres]`: one whole
 * promotion on the local stack, driven through the `harbor-promote` CLI exactly as a user would type it.
 * `--harbor real` runs it on Harbor v2.15.2 built from source (`npm run stack -- up --harbor real`) instead
 * of harbor-sim; `--temporal postgres` on temporal-server with PostgreSQL instead of the dev server (both
 * are remembered by the stack, so after `npm run stack -- up --temporal postgres` a plain demo uses it).
 *
 *   happy       myservice:1.4.2-a1b2c3d (clean) dev → staging → production: scan, sign, copy with
 *               signature, rescan, overlay commits, integration tests, approval by demo-approver (signed
 *               with an SSH key the demo makes, when ssh-keygen is installed); ends
 *               with the digest table (three identical digests) and the UI link.
 *   quarantine  myservice:1.4.3-e5f6a7b with a HIGH finding (openssl, dev/harbor-sim/advisories.json): the
 *               pipeline's scan gates let it pass, staging's project policy (prevent_vul, severity high)
 *               quarantines it; ends with Harbor's 412 message and nothing in production.
 *
 * Re-running works: every run builds an image with a fresh nonce (a new digest under the same tag), and
 * a demo promotion left running by an interrupted run is terminated first. The stack stays up afterwards
 * (the UI link keeps working); `npm run stack -- down` stops it.
 */
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { TemporalKind, parseHarborKind, parseTemporalKind, stackConfig } from '../stack/config';
import { stackUp } from '../stack/stack';
import {
  buildAndPush,
  CLEAN_PACKAGES,
  demoApproverKey,
  demoEnv,
  demoPipeline,
  digestTable,
  formatDigestTable,
  gitopsFile,
  PROJECTS,
  pullCheck,
  REPO_ROOT,
  runCliProcess,
  startWorker,
  VULNERABLE_PACKAGES,
  writeFile,
  type Scenario,
  type WorkerProcess,
} from './lib';

const APPROVER = 'demo-approver';
const say = (line = '') => console.log(line);
const step = (title: string) => say(`\n=== ${title}`);

/** Prints the command as the user would type it, runs it, returns its exit code. */
async function typed(env: Record<string, string>, args: string[]): Promise<number> {
  const shown = args.map((a) => (/^[\w@:./=+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  say(`$ harbor-promote ${shown}`);
  const r = await runCliProcess(args, env, { inherit: true });
  if (r.code !== 0) say(`(exit code ${r.code})`);
  return r.code;
}

/** A promotion an interrupted demo left running would be reused (same id): end it so this run starts fresh. */
async function clearLeftover(env: Record<string, string>, workflowId: string): Promise<void> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  try {
    const handle = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }).workflow.getHandle(
      workflowId,
    );
    const desc = await handle.describe().catch(() => undefined);
    if (desc?.status.name === 'RUNNING') {
      say(`demo: ${workflowId} is still running from an earlier demo; terminating it`);
      await handle.terminate('superseded by a new `npm run demo`');
    }
  } finally {
    await connection.close();
  }
}

/** Where to look at the promotion: the UI link, or (no UI with Temporal on PostgreSQL) the CLI command. */
function uiLine(temporal: TemporalKind, env: Record<string, string>, workflowId: string): string {
  if (temporal === 'postgres') return `history: harbor-promote status ${workflowId} (no UI in this mode)`;
  return `UI: ${env.TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'happy' },
      harbor: { type: 'string' },
      temporal: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    say('usage: npm run demo [-- --scenario happy|quarantine] [--harbor sim|real] [--temporal dev|postgres]');
    return 0;
  }
  const stack = stackConfig();
  if (values.harbor !== undefined) stack.harbor = parseHarborKind(values.harbor, '--harbor');
  const scenario = values.scenario as Scenario;
  if (scenario !== 'happy' && scenario !== 'quarantine') {
    console.error(`demo: --scenario "${values.scenario}" is unknown; use happy or quarantine`);
    return 2;
  }
  const started = Date.now();

  if (values.temporal !== undefined) stack.temporal = parseTemporalKind(values.temporal, '--temporal');
  const temporalWhat =
    stack.temporal === 'postgres' ? 'Temporal server on PostgreSQL, no UI' : 'Temporal dev server + UI';
  step(
    stack.harbor === 'real'
      ? `1. the local stack (${temporalWhat}, Harbor v2.15.2 built from source, GitOps repository)`
      : `1. the local stack (${temporalWhat}, registry, harbor-sim, GitOps repository)`,
  );
  const config = await stackUp({ config: stack, say: (l) => say(l) });
  const env = demoEnv(config);
  const workDir = join(config.dir, 'demo');
  const rel = (p: string) => relative(process.cwd(), p) || '.';

  const repository = 'myservice';
  const tag = scenario === 'happy' ? '1.4.2-a1b2c3d' : '1.4.3-e5f6a7b';
  const workflowId = `promote-${repository}@${tag}`;
  await clearLeftover(env, workflowId);

  step(
    `2. CI: build ${repository}:${tag} without Docker and push it to platform-dev as ${env.HARBOR_CI_USERNAME}`,
  );
  const nonce = randomBytes(4).toString('hex');
  const packages = scenario === 'happy' ? CLEAN_PACKAGES : VULNERABLE_PACKAGES;
  say(`packages in the image: ${packages.map((p) => `${p.name}-${p.version}`).join(', ')}`);
  const image = await buildAndPush(env, { workDir, repository, tag, packages, nonce });
  say(`pushed ${new URL(env.HARBOR_URL!).host}/platform-dev/${repository}:${tag}`);
  say(`digest ${image.digest}`);
  // CI attested the build's evidence next to the image (buildAndPush); production `requires` it.
  say(
    `attested ${image.evidence.join(' and ')} with the promoter's key (cosign attest --type spdxjson / slsaprovenance1)`,
  );
  const host = new URL(env.HARBOR_URL!).host;

  // The approver signs the approval with their own SSH key (README, "Signed approvals").
  const key = scenario === 'happy' ? demoApproverKey(workDir, APPROVER) : undefined;
  const pipelineFile = writeFile(
    join(workDir, `pipeline-${scenario}.yaml`),
    demoPipeline(env, scenario, APPROVER, key?.pub),
  );
  say(`pipeline: ${rel(pipelineFile)}`);
  if (scenario === 'happy')
    say(
      key
        ? `${APPROVER}'s SSH key: ${rel(key.path)} (production requires approvals signed by it)`
        : 'ssh-keygen not found: production takes unsigned approvals in this run',
    );

  step('3. the worker (src/worker.ts) with the stack environment');
  let worker: WorkerProcess | undefined;
  try {
    worker = await startWorker(env, join(workDir, 'worker.log'));
    say(`worker running (pid ${worker.child.pid}); logs: ${rel(worker.logFile)}`);
    say('the CLI below reads the same environment: eval "$(npm run -s stack -- env)"');

    step('4. the promotion, through the CLI');
    let code = await typed(env, ['start', `${repository}:${tag}`, '--pipeline', rel(pipelineFile)]);
    if (code !== 0) return code;

    if (scenario === 'happy') {
      code = await typed(env, ['watch', workflowId, '--until-waiting', '--timeout', '600']);
      if (code !== 0) return code;
      say(`\n${APPROVER} reviews staging and approves production:`);
      code = await typed(env, [
        'approve',
        workflowId,
        '--env',
        'production',
        '--as',
        APPROVER,
        '--comment',
        'staging tests green',
        ...(key ? ['--sign-key', rel(key.path)] : []),
      ]);
      if (code !== 0) return code;
      code = await typed(env, ['watch', workflowId, '--timeout', '600']);
      if (code !== 0) return code;

      step('5. what Harbor holds now (read back from its API, as admin)');
      const rows = await digestTable(env, repository, tag);
      for (const l of formatDigestTable(rows)) say(l);
      const identical = rows.every((r) => r.digest === image.digest);
      say(identical ? `all ${rows.length} digests identical: a copy, not a rebuild` : 'DIGESTS DIFFER');
      const overlay = await gitopsFile(
        env.GITOPS_REPO_URL!,
        'applications/overlays/k8s-production/services/myservice/kustomization.yaml',
      );
      say(`GitOps: ${overlay.commit.slice(0, 12)} "${overlay.subject}"`);

      step('6. the signed evidence, checked from the registry alone (docs/attestations.md)');
      const verified = await typed(env, [
        'verify',
        `${host}/${PROJECTS[2]}/${repository}@${image.digest}`,
        '--env',
        'production',
        '--pipeline',
        rel(pipelineFile),
        '--require-approvals',
      ]);
      say(uiLine(stack.temporal, env, workflowId));
      say(`\ndemo: done in ${Math.round((Date.now() - started) / 1000)}s`);
      return identical && verified === 0 ? 0 : 1;
    }

    // quarantine: the promotion must fail in staging with Harbor's 412 message.
    code = await typed(env, ['watch', workflowId, '--timeout', '600']);
    const record = await runCliProcess(['record', workflowId, '--json'], env);
    const failure = (JSON.parse(record.stdout || '{}') as { failure?: string }).failure ?? '';
    step('5. what Harbor holds now (read back from its API, as admin)');
    const rows = await digestTable(env, repository, tag);
    for (const l of formatDigestTable(rows)) say(l);
    const prod = rows.find((r) => r.project === PROJECTS[2])!;
    const pull = await pullCheck(env, PROJECTS[1], repository, tag);
    say(`\na pull from platform-staging (GET /v2/${PROJECTS[1]}/${repository}/manifests/${tag}) answers:`);
    say(
      `  ${pull.status}${pull.status === 412 ? ' Precondition Failed' : ''}: ${pull.message ?? '(no error message)'}`,
    );
    const expected =
      code === 1 && /^Quarantined/.test(failure) && pull.status === 412 && prod.digest !== image.digest;
    say(`the promotion failed with: ${failure.split('\n')[0]}`);
    say(
      prod.digest === image.digest
        ? 'UNEXPECTED: the image reached production'
        : 'nothing was copied to platform-production: the promotion stopped at staging',
    );
    say(uiLine(stack.temporal, env, workflowId));
    say(
      `\ndemo: ${expected ? 'quarantine shown as expected' : 'UNEXPECTED outcome'} in ${Math.round((Date.now() - started) / 1000)}s`,
    );
    return expected ? 0 : 1;
  } finally {
    if (worker) {
      const code = await worker.stop();
      say(`worker stopped (exit ${code}); the stack keeps running: \`npm run stack -- down\` stops it`);
    }
  }
}

process.chdir(REPO_ROOT);
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
