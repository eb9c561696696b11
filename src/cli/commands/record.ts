/** `harbor-promote record ID`: the record of an ended promotion (digest, steps, scans, approvals, proof). */
import type { Command } from 'commander';
import { z } from 'zod';
import type { PromotionRecord } from '../../domain/promotion.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { parseOptions, PromotionIdArg } from '../options.js';
import { outcomeLines, type CommandContext } from '../session.js';
import { outcomeOf } from '../watch.js';

const Options = z.object({ id: PromotionIdArg });

export function registerRecord(program: Command, ctx: CommandContext): void {
  program
    .command('record')
    .description(
      'print the promotion record (digest, step times, scans, approvals, tests, commit, digest table)',
    )
    .argument('<id>', 'promotion id')
    .action(async (id: string, _raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { id });
      const { handle } = await s.handle(o.id);
      const desc = await handle.describe();
      if (desc.status.name === 'RUNNING')
        throw new CliError(
          `${handle.workflowId} is still running; the record exists once it ends (\`harbor-promote watch ${handle.workflowId}\`)`,
          ExitCode.STILL_RUNNING,
        );
      const outcome = await outcomeOf(handle, desc.status.name);
      if (s.json) {
        if (outcome.status === 'COMPLETED') s.printJson(outcome.record satisfies PromotionRecord);
        else s.printJson({ workflowId: handle.workflowId, status: outcome.status, failure: outcome.failure });
      } else s.print(outcomeLines(outcome, handle.workflowId));
      ctx.exit(outcome.exitCode);
    });
}
