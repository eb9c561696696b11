/** `harbor-promote approve ID --env ENV --as NAME [--comment TEXT] [--sign-key KEY]`: an update, answered at once. */
import type { Command } from 'commander';
import { z } from 'zod';
import { approveUpdate } from '../../workflows/messages.js';
import { EnvFlag, parseOptions, PromotionIdArg, UserNameFlag } from '../options.js';
import { requireRunning, withWorker, type CommandContext } from '../session.js';
import { checkKeyPath, signForGate } from '../sign-approval.js';
import { answerLine, envOption } from './gate-answer.js';

// Key order is the order problems are reported in.
const Options = z.object({
  env: EnvFlag,
  as: UserNameFlag('--as'),
  comment: z.string().optional(),
  signKey: z.string().min(1, { error: '--sign-key is empty; give the path of your SSH key' }).optional(),
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
    .option(
      '--sign-key <file>',
      'sign it with your SSH key (ssh-keygen -Y sign): a private key file, or the .pub file of a key in ssh-agent',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ harbor-promote approve promote-myservice@1.4.2 --env production --as alice --comment "CAB-123"\n  $ harbor-promote approve promote-myservice@1.4.2 --env production --as alice --sign-key ~/.ssh/id_ed25519',
    )
    .action(async (id: string, raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { id, ...raw });
      if (o.signKey !== undefined) checkKeyPath(o.signKey);
      const { client, handle } = await s.handle(o.id);
      await requireRunning(handle, 'approve');
      const signed =
        o.signKey === undefined
          ? undefined
          : await signForGate(handle, {
              decision: 'approve',
              environment: o.env,
              approver: o.as,
              comment: o.comment ?? '',
              keyPath: o.signKey,
            });
      const args = {
        environment: o.env,
        approver: o.as,
        ...(o.comment && { comment: o.comment }),
        ...(signed && { signed }),
      };
      const answer = await withWorker(client, s.settings.taskQueue, () =>
        handle.executeUpdate(approveUpdate, { args: [args] }),
      );
      if (s.json) s.printJson({ workflowId: handle.workflowId, accepted: true, ...answer });
      else s.print(answerLine('approve', answer, o.as));
    });
}
