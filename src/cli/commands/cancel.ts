/** `harbor-promote cancel ID`: the promotion stops at its current step and records "cancelled". */
import type { Command } from 'commander';
import { z } from 'zod';
import { parseOptions, PromotionIdArg } from '../options.js';
import type { CommandContext } from '../session.js';

const Options = z.object({ id: PromotionIdArg });

export function registerCancel(program: Command, ctx: CommandContext): void {
  program
    .command('cancel')
    .description('cancel a running promotion (it stops at the current step and records "cancelled")')
    .argument('<id>', 'promotion id')
    .action(async (id: string, _raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { id });
      const { handle } = await s.handle(o.id);
      const desc = await handle.describe();
      if (desc.status.name !== 'RUNNING') {
        if (s.json)
          s.printJson({ workflowId: handle.workflowId, cancelRequested: false, status: desc.status.name });
        else s.print(`${handle.workflowId} is already ${desc.status.name.toLowerCase()}; nothing to cancel`);
        return;
      }
      await handle.cancel();
      if (s.json) s.printJson({ workflowId: handle.workflowId, cancelRequested: true });
      else
        s.print(
          `cancellation requested for ${handle.workflowId}; follow it with \`harbor-promote watch ${handle.workflowId}\``,
        );
    });
}
