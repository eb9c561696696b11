/** `harbor-promote reject ID --env ENV --as NAME --reason TEXT`: the promotion fails with ApprovalRejected. */
import type { Command } from 'commander';
import { z } from 'zod';
import { rejectUpdate } from '../../workflows/messages.js';
import { EnvFlag, parseOptions, PromotionIdArg, UserNameFlag } from '../options.js';
import { requireRunning, withWorker, type CommandContext } from '../session.js';
import { checkKeyPath, signForGate } from '../sign-approval.js';
import { answerLine, envOption } from './gate-answer.js';

// Key order is the order problems are reported in.
const Options = z.object({
  reason: z.string().refine((r) => r.trim() !== '', {
    error: '--reason is empty; say why the promotion is rejected',
  }),
  env: EnvFlag,
  as: UserNameFlag('--as'),
  signKey: z.string().min(1, { error: '--sign-key is empty; give the path of your SSH key' }).optional(),
  id: PromotionIdArg,
});

export function registerReject(program: Command, ctx: CommandContext): void {
  program
    .command('reject')
    .description('reject the gate into an environment; the promotion fails with ApprovalRejected')
    .argument('<id>', 'promotion id')
    .addOption(envOption())
    .requiredOption('--as <name>', "your name as listed in the pipeline's approvers")
    .requiredOption('--reason <text>', 'why (kept in the record and shown in the failure)')
    .option(
      '--sign-key <file>',
      'sign it with your SSH key (ssh-keygen -Y sign): a private key file, or the .pub file of a key in ssh-agent',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ harbor-promote reject promote-myservice@1.4.2 --env production --as alice --reason "change freeze"',
    )
    .action(async (id: string, raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { id, ...raw });
      if (o.signKey !== undefined) checkKeyPath(o.signKey);
      const { client, handle } = await s.handle(o.id);
      await requireRunning(handle, 'reject');
      const signed =
        o.signKey === undefined
          ? undefined
          : await signForGate(handle, {
              decision: 'reject',
              environment: o.env,
              approver: o.as,
              comment: o.reason,
              keyPath: o.signKey,
            });
      const args = { environment: o.env, approver: o.as, reason: o.reason, ...(signed && { signed }) };
      const answer = await withWorker(client, s.settings.taskQueue, () =>
        handle.executeUpdate(rejectUpdate, { args: [args] }),
      );
      if (s.json) s.printJson({ workflowId: handle.workflowId, accepted: true, ...answer });
      else s.print(answerLine('reject', answer, o.as));
    });
}
