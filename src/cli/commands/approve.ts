/** `harbor-promote approve ID --env ENV --as NAME [--comment TEXT]`: an update, answered at once. */
import type { Command } from 'commander';
import { z } from 'zod';
import { approveUpdate } from '../../workflows/messages.js';
import { EnvFlag, parseOptions, PromotionIdArg, UserNameFlag } from '../options.js';
import { requireRunning, withWorker, type CommandContext } from '../session.js';
import { answerLine, envOption } from './gate-answer.js';

// Key order is the order problems are reported in.
const Options = z.object({
  env: EnvFlag,
  as: UserNameFlag('--as'),
  comment: z.string().optional(),
  id: PromotionIdArg,
});

export function registerApprove(program: Command, ctx: CommandContext): void {
  program
    .command('approve')
    .description('approve the gate into an environment (answered at once: accepted, or why not)')
    .argument('<id>', 'promotion id (printed by start; see `list`)')
    .addOption(envOption())
    .requiredOption('--as <name>', "your name as listed in the pipeline's approvers")
    .option('--comment <text>', 'kept in the promotion record')
    .addHelpText(
      'after',
      '\nExample:\n  $ harbor-promote approve promote-myservice@1.4.2 --env production --as alice --comment "CAB-123"',
    )
    .action(async (id: string, raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { id, ...raw });
      const args = { environment: o.env, approver: o.as, ...(o.comment && { comment: o.comment }) };
      const { client, handle } = await s.handle(o.id);
      await requireRunning(handle, 'approve');
      const answer = await withWorker(client, s.settings.taskQueue, () =>
        handle.executeUpdate(approveUpdate, { args: [args] }),
      );
      if (s.json) s.printJson({ workflowId: handle.workflowId, accepted: true, ...answer });
      else s.print(answerLine('approve', answer, o.as));
    });
}
