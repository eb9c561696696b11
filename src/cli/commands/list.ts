/** `harbor-promote list [--waiting-approval|--running|--failed] [--repository R] [--env E]`: a visibility query. */
import { Option, type Command } from 'commander';
import { z } from 'zod';
import {
  PromotionDigest,
  PromotionEnvironment,
  PromotionRepository,
  PromotionStage,
  PromotionTag,
} from '../../workflows/search-attributes.js';
import { ROLLBACK_WORKFLOW_TYPE } from '../../workflows/rollback-start.js';
import { PROMOTE_WORKFLOW_TYPE } from '../../workflows/start.js';
import { listUrl } from '../connection.js';
import { CountFlag, EnvFlag, parseOptions, RepositoryFlag } from '../options.js';
import { renderList, type ListRow } from '../render.js';
import type { CommandContext } from '../session.js';

// Key order is the order problems are reported in.
const Options = z.object({
  waitingApproval: z.boolean().optional(),
  running: z.boolean().optional(),
  failed: z.boolean().optional(),
  limit: CountFlag('--limit'),
  repository: RepositoryFlag.optional(),
  env: EnvFlag.optional(),
});

const quoteValue = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function listQuery(o: {
  waitingApproval?: boolean;
  running?: boolean;
  failed?: boolean;
  repository?: string;
  env?: string;
}): string {
  // Rollbacks are listed with promotions: same search attributes, same gates.
  const parts = [
    `(WorkflowType = ${quoteValue(PROMOTE_WORKFLOW_TYPE)} OR WorkflowType = ${quoteValue(ROLLBACK_WORKFLOW_TYPE)})`,
  ];
  if (o.waitingApproval)
    parts.push(`${PromotionStage.name} = 'awaiting-approval'`, `ExecutionStatus = 'Running'`);
  if (o.running) parts.push(`ExecutionStatus = 'Running'`);
  if (o.failed) parts.push(`ExecutionStatus = 'Failed'`);
  if (o.repository) parts.push(`${PromotionRepository.name} = ${quoteValue(o.repository)}`);
  if (o.env) parts.push(`${PromotionEnvironment.name} = ${quoteValue(o.env)}`);
  return parts.join(' AND ');
}

export function registerList(program: Command, ctx: CommandContext): void {
  program
    .command('list')
    .description('list promotions (a visibility query on the promotion search attributes)')
    .addOption(
      new Option('--waiting-approval', 'only promotions waiting at an approval gate').conflicts([
        'running',
        'failed',
      ]),
    )
    .addOption(new Option('--running', 'only running promotions').conflicts(['failed']))
    .option('--failed', 'only failed promotions')
    .option('--repository <name>', 'only this repository (PromotionRepository)')
    .option('--env <environment>', 'only promotions currently in this environment (PromotionEnvironment)')
    .option('--limit <n>', 'at most this many', '50')
    .addHelpText(
      'after',
      '\nExamples:\n  $ harbor-promote list --waiting-approval\n  $ harbor-promote list --failed --repository myservice --json',
    )
    .action(async (raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, raw);
      const query = listQuery(o);
      const client = await s.client();
      const rows: ListRow[] = [];
      for await (const wf of client.workflow.list({ query, pageSize: Math.min(o.limit, 100) })) {
        const sa = wf.typedSearchAttributes;
        rows.push({
          workflowId: wf.workflowId,
          status: wf.status.name,
          ...(sa.get(PromotionStage) !== undefined && { stage: sa.get(PromotionStage) }),
          ...(sa.get(PromotionEnvironment) !== undefined && { environment: sa.get(PromotionEnvironment) }),
          ...(sa.get(PromotionRepository) !== undefined && { repository: sa.get(PromotionRepository) }),
          ...(sa.get(PromotionTag) !== undefined && { tag: sa.get(PromotionTag) }),
          ...(sa.get(PromotionDigest) !== undefined && { digest: sa.get(PromotionDigest) }),
          startTime: wf.startTime.toISOString(),
          ...(wf.closeTime && { closeTime: wf.closeTime.toISOString() }),
        });
        if (rows.length >= o.limit) break;
      }
      if (s.json) s.printJson({ query, url: listUrl(s.settings, query), promotions: rows });
      else s.print(renderList(rows));
    });
}
