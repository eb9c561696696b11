/** `harbor-promote watch ID`: follows a promotion until it ends (or waits for a person); exits with its outcome. */
import type { Command } from 'commander';
import { z } from 'zod';
import { workflowUrl } from '../connection.js';
import { parseOptions, PromotionIdArg, SecondsFlag } from '../options.js';
import type { CommandContext } from '../session.js';
import { watchPromotion } from '../watch.js';

const Options = z.object({
  interval: SecondsFlag('--interval'),
  timeout: SecondsFlag('--timeout').optional(),
  untilWaiting: z.boolean().optional(),
  id: PromotionIdArg,
});

export function registerWatch(program: Command, ctx: CommandContext): void {
  program
    .command('watch')
    .description(
      'follow a promotion until it ends (redraws on a terminal, plain lines otherwise); exits with its outcome',
    )
    .argument('<id>', 'promotion id')
    .option('--interval <seconds>', 'poll interval', '1')
    .option('--timeout <seconds>', 'give up after this long (exit 7)')
    .option(
      '--until-waiting',
      'return (exit 0) as soon as it waits for a person: an approval or an external report',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ harbor-promote watch promote-myservice@1.4.2\n  $ harbor-promote watch promote-myservice@1.4.2 --until-waiting && harbor-promote approve promote-myservice@1.4.2 --env production --as alice',
    )
    .action(async (id: string, raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { id, ...raw });
      const { client, handle } = await s.handle(o.id);
      const url = workflowUrl(s.settings, handle.workflowId);
      const outcome = await watchPromotion(client, handle, ctx.io, {
        json: s.json,
        url,
        taskQueue: s.settings.taskQueue,
        intervalMs: o.interval * 1000,
        ...(o.timeout !== undefined && { timeoutMs: o.timeout * 1000 }),
        ...(o.untilWaiting && { untilWaiting: true }),
      });
      s.printOutcome(outcome, handle.workflowId);
      ctx.exit(outcome.exitCode);
    });
}
