/**
 * `harbor-promote rollback REPOSITORY --env ENV (--to DIGEST | --previous) --pipeline FILE`: re-point ENV's
 * overlay to a digest promoted there before, as a rollback workflow (checked, approved, verified, recorded).
 * Everything the command line and the pipeline say is checked before anything starts; `--previous` is found
 * from the promotion records in Temporal, and when there is none the command says so and starts nothing.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { digestProblem, repositoryProblem } from '../../domain/image-ref.js';
import {
  checkRollbackInput,
  currentDeployment,
  findPrevious,
  lastDeploymentOf,
  rollbackEnvironmentProblem,
  type Deployment,
} from '../../domain/rollback.js';
import { ROLLBACK_WORKFLOW_TYPE, rollbackStartOptions } from '../../workflows/rollback-start.js';
import { workflowUrl } from '../connection.js';
import { deploymentsInto } from '../deployments.js';
import { usage } from '../errors.js';
import { EnvFlag, parseOptions } from '../options.js';
import type { CommandContext } from '../session.js';
import { readPipelineFile } from '../start.js';
import { reportStarted } from '../watch.js';

// Key order is the order problems are reported in.
const Options = z
  .object({
    repository: z.string().superRefine((repo, ctx) => {
      const p = /[:@]/.test(repo)
        ? `"${repo}" has a tag or digest; give only the repository (e.g. \`myservice\`) and the digest with --to`
        : repositoryProblem(repo);
      if (p) ctx.addIssue({ code: 'custom', message: `REPOSITORY ${p}` });
    }),
    env: EnvFlag,
    to: z
      .string()
      .superRefine((d, ctx) => {
        const p = digestProblem(d);
        if (p)
          ctx.addIssue({ code: 'custom', message: `--to ${p} (a rollback goes to a digest, not a tag)` });
      })
      .optional(),
    previous: z.boolean().optional(),
    pipeline: z.string(),
    requestedBy: z.string().max(128, { error: '--requested-by is longer than 128 characters' }).optional(),
    wait: z.boolean().optional(),
    dryRun: z.boolean().optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.to === undefined) === !o.previous)
      ctx.addIssue({
        code: 'custom',
        message: o.previous
          ? '--to and --previous both given; give one: --to DIGEST for a digest, or --previous for the one promoted before the current'
          : 'say where to roll back to: --to DIGEST, or --previous for the digest promoted before the current one',
      });
  });

function defaultRequester(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

const fieldToFlag = (p: string) =>
  p
    .replace(/^environment:/, '--env:')
    .replace(/^to:/, '--to:')
    .replace(/^requestedBy:/, '--requested-by:');

export function registerRollback(program: Command, ctx: CommandContext): void {
  program
    .command('rollback')
    .description(
      "re-point an environment's overlay to a digest promoted there before (checked, approved, verified, recorded)",
    )
    .argument('<repository>', 'repository inside the projects, e.g. myservice')
    .requiredOption('--env <environment>', 'the environment to roll back (a destination with an overlay)')
    .option('--to <digest>', 'the sha256 digest to go back to')
    .option('--previous', 'the digest promoted into the environment before the current one')
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML (environments, projects, gates)')
    .option('--requested-by <name>', 'who asks (shown in the record; default: your user name)')
    .option('--wait', 'follow the rollback like `watch` and exit with its outcome')
    .option('--dry-run', 'check everything and find the target, start nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  $ harbor-promote rollback myservice --env production --previous --pipeline pipelines/myservice.yaml\n  $ harbor-promote rollback myservice --env production --to sha256:… --pipeline pipelines/myservice.yaml --wait',
    )
    .action(async (repository: string, raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { repository, ...raw });
      const pipeline = readPipelineFile(o.pipeline);
      const envProblem = rollbackEnvironmentProblem(pipeline, o.env);
      if (envProblem) throw usage(`--env: ${envProblem}`);

      const client = await s.client();
      const history = await deploymentsInto(client, o.repository, o.env);
      if (history.unreadable.length > 0 && !s.json)
        ctx.io.stderr.write(
          `harbor-promote: note: no worker answered for ${history.unreadable.length} unfinished promotion(s) (${history.unreadable.slice(0, 3).join(', ')}); one that wrote the overlay and then failed is not counted\n`,
        );
      let target: { digest: string; via?: Deployment };
      let current: Deployment | undefined;
      if (o.previous) {
        const found = findPrevious(history.deployments, { repository: o.repository, environment: o.env });
        if (!found.ok) throw usage(`--previous: ${found.problem}`);
        current = found.current;
        target = { digest: found.previous.digest, via: found.previous };
      } else {
        current = currentDeployment(history.deployments);
        target = { digest: o.to!, via: lastDeploymentOf(history.deployments, o.to!) };
      }
      const requestedBy = (o.requestedBy ?? defaultRequester())?.slice(0, 128);
      const checked = checkRollbackInput({
        pipeline,
        repository: o.repository,
        environment: o.env,
        to: target.digest,
        ...(target.via?.tag && { tag: target.via.tag }),
        ...(current && { from: current.digest }),
        ...(target.via && { promotedBy: target.via.workflowId }),
        ...(requestedBy && { requestedBy }),
      });
      if (!checked.ok) throw usage(checked.problems.map(fieldToFlag).join('; '));
      const options = rollbackStartOptions(checked.input);
      const url = workflowUrl(s.settings, options.workflowId);
      const plan = {
        workflowId: options.workflowId,
        summary: options.staticSummary,
        environment: o.env,
        to: target.digest,
        ...(target.via?.tag && { tag: target.via.tag }),
        ...(target.via && { promotedBy: target.via.workflowId }),
        ...(current && { from: current.digest, fromWorkflow: current.workflowId }),
      };
      if (o.dryRun) {
        if (s.json) s.printJson({ valid: true, ...plan });
        else
          s.print([
            `valid: ${plan.summary}`,
            ...(plan.promotedBy ? [`  target promoted by ${plan.promotedBy}`] : []),
            `would start ${plan.workflowId} on task queue ${s.settings.taskQueue}`,
          ]);
        return;
      }
      const existing = client.workflow.getHandle(options.workflowId);
      const running = await existing
        .describe()
        .then((d) => d.status.name === 'RUNNING')
        .catch(() => false);
      const handle = running
        ? existing
        : await client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
            taskQueue: s.settings.taskQueue,
            ...options,
          });
      await reportStarted(ctx, s, client, handle, {
        running,
        summary: plan.summary,
        url,
        wait: Boolean(o.wait),
        json: plan,
      });
    });
}
