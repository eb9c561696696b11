/** `harbor-promote report ID --env ENV --passed|--failed [--url URL] [--details TEXT]`: a signal. */
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { reportVerificationSignal } from '../../workflows/messages.js';
import { EnvFlag, parseOptions, PromotionIdArg } from '../options.js';
import { requireRunning, type CommandContext } from '../session.js';
import { envOption } from './gate-answer.js';

// Key order is the order problems are reported in.
const Options = z.object({
  verdict: z.enum(['passed', 'failed'], { error: 'give --passed or --failed' }),
  url: z
    .string()
    .regex(/^https?:\/\/\S+$/, { error: (iss) => `--url "${String(iss.input)}" is not an http(s) URL` })
    .optional(),
  env: EnvFlag,
  details: z.string().optional(),
  id: PromotionIdArg,
});

export function registerReport(program: Command, ctx: CommandContext): void {
  program
    .command('report')
    .description('send an external verification result (for `verification: {external: true}` gates)')
    .argument('<id>', 'promotion id')
    .addOption(envOption())
    .addOption(new Option('--passed', 'the integration tests passed').conflicts('failed'))
    .addOption(new Option('--failed', 'the integration tests failed').conflicts('passed'))
    .option('--url <url>', 'link to the test run (kept in the record)')
    .option('--details <text>', 'one line of details')
    .addHelpText(
      'after',
      '\nExample:\n  $ harbor-promote report promote-myservice@1.4.2 --env staging --passed --url https://ci.example.com/run/42',
    )
    .action(async (id: string, raw: { passed?: boolean; failed?: boolean }, cmd: Command) => {
      const s = ctx.session(cmd);
      const verdict = raw.passed ? 'passed' : raw.failed ? 'failed' : undefined;
      const o = parseOptions(Options, { id, verdict, ...raw });
      const report = {
        environment: o.env,
        passed: o.verdict === 'passed',
        ...(o.url && { url: o.url }),
        ...(o.details && { details: o.details }),
      };
      const { handle } = await s.handle(o.id);
      await requireRunning(handle, 'report on');
      await handle.signal(reportVerificationSignal, report);
      if (s.json) s.printJson({ workflowId: handle.workflowId, sent: true, report });
      else
        s.print(
          `sent: ${report.environment} verification ${report.passed ? 'passed' : 'failed'}; \`harbor-promote status ${handle.workflowId}\` shows whether it was taken`,
        );
    });
}
