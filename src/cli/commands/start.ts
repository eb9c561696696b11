/** `harbor-promote start IMAGE --pipeline FILE`: validates locally, runs the pipeline checks, starts. */
import type { Command } from 'commander';
import { z } from 'zod';
import { PROMOTE_WORKFLOW_TYPE } from '../../workflows/start.js';
import { workflowUrl } from '../connection.js';
import { parseOptions } from '../options.js';
import type { CommandContext } from '../session.js';
import { prepareStart } from '../start.js';
import { reportStarted } from '../watch.js';
import { startChecks } from './doctor.js';

// The image, the pipeline and --to are checked by prepareStart (they need the pipeline file).
const Options = z.object({
  image: z.string(),
  pipeline: z.string(),
  to: z.string().optional(),
  requestedBy: z.string().optional(),
  wait: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  skipDoctor: z.boolean().optional(),
});

export function registerStart(program: Command, ctx: CommandContext): void {
  program
    .command('start')
    .description('validate locally, then start a promotion; prints its id and UI link')
    .argument(
      '<image>',
      "IMAGE[:TAG|@DIGEST] in the first environment's project, e.g. myservice:1.4.2-a1b2c3d",
    )
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML (environments, projects, gates)')
    .option('--to <environment>', 'stop after this environment (default: the last one)')
    .option(
      '--requested-by <name>',
      'who asks, where the pipeline has `allowRequestedBy: true` (default and otherwise: your OS user name)',
    )
    .option('--wait', 'follow the promotion like `watch` and exit with its outcome')
    .option('--dry-run', 'validate the image reference and the pipeline, start nothing')
    .option('--skip-doctor', "do not run the pipeline's doctor checks on the worker before starting")
    .addHelpText(
      'after',
      '\nExample:\n  $ harbor-promote start myservice:1.4.2-a1b2c3d --pipeline pipelines/myservice.yaml --wait',
    )
    .action(async (image: string, raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { image, ...raw });
      const prepared = prepareStart({
        image: o.image,
        pipelinePath: o.pipeline,
        ...(o.to !== undefined && { to: o.to }),
        ...(o.requestedBy !== undefined && { requestedBy: o.requestedBy }),
      });
      if (prepared.note && !s.json) ctx.io.stderr.write(`harbor-promote: note: ${prepared.note}\n`);
      const settings = s.settings;
      const url = workflowUrl(settings, prepared.workflowId);
      if (o.dryRun) {
        if (s.json)
          s.printJson({
            valid: true,
            workflowId: prepared.workflowId,
            summary: prepared.summary,
            input: prepared.input,
          });
        else
          s.print([
            `valid: ${prepared.summary}`,
            `would start ${prepared.workflowId} on task queue ${settings.taskQueue}`,
          ]);
        return;
      }
      const { client, handle: existing } = await s.handle(prepared.workflowId);
      const running = await existing
        .describe()
        .then((d) => d.status.name === 'RUNNING')
        .catch(() => false);
      // The pipeline-specific doctor checks (projects, policies, scanner, permissions, overlays) run on the
      // worker before anything is started: a missing overlay is found now, not after the copy into staging.
      if (!running && !o.skipDoctor)
        await startChecks(client, settings.taskQueue, prepared.input.pipeline, s.json, ctx.io.stderr);
      const handle = running
        ? existing
        : await client.workflow.start(PROMOTE_WORKFLOW_TYPE, {
            taskQueue: settings.taskQueue,
            ...prepared.options,
          });
      await reportStarted(ctx, s, client, handle, {
        running,
        summary: prepared.summary,
        url,
        wait: Boolean(o.wait),
        json: { workflowId: handle.workflowId, summary: prepared.summary },
      });
    });
}
