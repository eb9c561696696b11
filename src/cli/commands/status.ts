/** `harbor-promote status ID`: the steps, the gate it waits for and the command that moves it. */
import type { Command } from 'commander';
import { z } from 'zod';
import { workflowUrl } from '../connection.js';
import { parseOptions, PromotionIdArg } from '../options.js';
import { failureLines, renderRecord, renderStatus, retryingActivities, retryingLines } from '../render.js';
import type { CommandContext } from '../session.js';
import { outcomeOf, queryStatus } from '../watch.js';

const Options = z.object({ id: PromotionIdArg });

export function registerStatus(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .description('show the steps, the gate it waits for and the command that moves it')
    .argument('<id>', 'promotion id')
    .action(async (id: string, _raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { id });
      const { client, handle } = await s.handle(o.id);
      const desc = await handle.describe();
      const url = workflowUrl(s.settings, handle.workflowId);
      const running = desc.status.name === 'RUNNING';
      const st = running
        ? await queryStatus(client, handle, s.settings.taskQueue)
        : await queryStatus(client, handle, s.settings.taskQueue, 3_000).catch(() => undefined);
      const outcome = running ? undefined : await outcomeOf(handle, desc.status.name);
      const retrying = running ? retryingActivities(desc.raw.pendingActivities) : [];
      if (s.json) {
        s.printJson({
          workflowId: handle.workflowId,
          runId: desc.runId,
          status: desc.status.name,
          url,
          promotion: st ?? null,
          ...(retrying.length > 0 && { retrying }),
          ...(outcome?.status === 'COMPLETED' && { record: outcome.record }),
          ...(outcome && outcome.status !== 'COMPLETED' && { failure: outcome.failure }),
        });
        return;
      }
      const lines = st
        ? renderStatus(st, { url, retrying })
        : [`${handle.workflowId}`, ...retryingLines(retrying), `  UI: ${url}`];
      lines.splice(1, 0, `  workflow ${desc.status.name.toLowerCase()} (run ${desc.runId})`);
      if (outcome?.status === 'COMPLETED') lines.push('', ...renderRecord(outcome.record).slice(1));
      else if (outcome && !st?.failure) lines.push(...failureLines(outcome.failure).map((l) => `  ${l}`));
      s.print(lines);
    });
}
