/**
 * `harbor-promote unfreeze ID --env ENV --as NAME --reason TEXT`: an approver of ENV lifts its freeze
 * windows for this promotion (an update: accepted, or refused with why; recorded in the promotion).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { unfreezeUpdate } from '../../workflows/messages.js';
import { EnvFlag, parseOptions, PromotionIdArg, UserNameFlag } from '../options.js';
import { requireRunning, withWorker, type CommandContext } from '../session.js';
import { envOption } from './gate-answer.js';

// Key order is the order problems are reported in.
const Options = z.object({
  reason: z.string().refine((r) => r.trim() !== '', {
    error: '--reason is empty; say why the freeze may be lifted for this promotion',
  }),
  env: EnvFlag,
  as: UserNameFlag('--as'),
  id: PromotionIdArg,
});

export function registerUnfreeze(program: Command, ctx: CommandContext): void {
  program
    .command('unfreeze')
    .description("lift an environment's freeze windows for this promotion (an approver of it, with a reason)")
    .argument('<id>', 'promotion id')
    .addOption(envOption())
    .requiredOption('--as <name>', "your name as listed in the environment's approvers")
    .requiredOption('--reason <text>', 'why (kept in the promotion record)')
    .addHelpText(
      'after',
      '\nExample:\n  $ harbor-promote unfreeze promote-myservice@1.4.3 --env production --as alice --reason "hotfix INC-42"',
    )
    .action(async (id: string, raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { id, ...raw });
      const args = { environment: o.env, approver: o.as, reason: o.reason };
      const { client, handle } = await s.handle(o.id);
      await requireRunning(handle, 'unfreeze');
      const answer = await withWorker(client, s.settings.taskQueue, () =>
        handle.executeUpdate(unfreezeUpdate, { args: [args] }),
      );
      if (s.json) s.printJson({ workflowId: handle.workflowId, accepted: true, ...answer });
      else
        s.print(
          answer.wasFrozen
            ? `lifted the freeze of ${answer.environment} as ${o.as}: the promotion moves on`
            : `lifted the freeze of ${answer.environment} as ${o.as}: its windows will not hold this promotion`,
        );
    });
}
