/**
 * The `harbor-promote` command line (commander). `runCli(argv)` returns the exit code and never throws:
 * every failure becomes one line on stderr (and, with --json, a JSON object on stdout).
 */
import { Command, CommanderError, Option } from 'commander';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { EnvironmentName } from '../domain/pipeline.js';
import { repositoryProblem } from '../domain/image-ref.js';
import type { PromotionRecord } from '../domain/promotion.js';
import {
  approveUpdate,
  rejectUpdate,
  reportVerificationSignal,
  type ApprovalAnswer,
} from '../workflows/messages.js';
import {
  PromotionDigest,
  PromotionEnvironment,
  PromotionRepository,
  PromotionStage,
  PromotionTag,
} from '../workflows/search-attributes.js';
import {
  connect,
  connectionSettings,
  listUrl,
  workflowUrl,
  type ConnectionFlags,
  type ConnectionSettings,
} from './connection.js';
import { CliError, describeError, usage, type ErrorContext } from './errors.js';
import { EXIT_CODE_HELP, ExitCode } from './exit-codes.js';
import {
  failureLines,
  renderList,
  renderRecord,
  renderStatus,
  retryingActivities,
  retryingLines,
  type ListRow,
} from './render.js';
import { prepareStart } from './start.js';
import { registerDoctor, startChecks } from './commands/doctor.js';
import { PROMOTE_WORKFLOW_TYPE } from '../workflows/start.js';
import { outcomeOf, queryStatus, watchPromotion, type Out, type Outcome } from './watch.js';

export interface CliIO extends Out {
  env: NodeJS.ProcessEnv;
}

const EXAMPLES = `
Examples:
  $ harbor-promote doctor --pipeline pipelines/myservice.yaml
  $ harbor-promote start myservice:1.4.2-a1b2c3d --pipeline pipelines/myservice.yaml
  $ harbor-promote watch promote-myservice@1.4.2-a1b2c3d
  $ harbor-promote approve promote-myservice@1.4.2-a1b2c3d --env production --as alice --comment "CAB-123"
  $ harbor-promote reject promote-myservice@1.4.2-a1b2c3d --env production --as alice --reason "freeze"
  $ harbor-promote report promote-myservice@1.4.2-a1b2c3d --env staging --passed --url https://ci/run/42
  $ harbor-promote list --waiting-approval
  $ harbor-promote record promote-myservice@1.4.2-a1b2c3d --json

Connection: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_TASK_QUEUE
(harbor-promote), TEMPORAL_UI_URL, TLS: TEMPORAL_TLS=1, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA,
TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY (environment only). Flags override the environment.

${EXIT_CODE_HELP}
`;

interface GlobalOpts extends ConnectionFlags {
  json?: boolean;
}

/** Per-invocation state: settings from flags+env, a lazy connection, the error context. */
class Session {
  private clientPromise?: Promise<Client>;
  readonly ctx: ErrorContext = {};
  constructor(
    readonly io: CliIO,
    readonly opts: GlobalOpts,
  ) {}

  get json(): boolean {
    return Boolean(this.opts.json);
  }

  private settingsCache?: ConnectionSettings;
  get settings(): ConnectionSettings {
    if (!this.settingsCache) {
      this.settingsCache = connectionSettings(this.opts, this.io.env);
      this.ctx.address = this.settingsCache.address;
      this.ctx.namespace = this.settingsCache.namespace;
    }
    return this.settingsCache;
  }

  client(): Promise<Client> {
    const s = this.settings;
    this.clientPromise ??= connect(s).then((c) => c.client);
    return this.clientPromise;
  }

  async handle(id: string): Promise<{ client: Client; handle: WorkflowHandle }> {
    this.ctx.workflowId = id;
    const client = await this.client();
    return { client, handle: client.workflow.getHandle(id) };
  }

  print(lines: string | string[]): void {
    const text = Array.isArray(lines) ? lines.join('\n') : lines;
    this.io.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** The end of a followed promotion (`start --wait`, `watch`): a JSON event line or the readable lines. */
  printOutcome(outcome: Outcome, workflowId: string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify({ event: 'outcome', workflowId, ...outcome })}\n`);
    else this.print(outcomeLines(outcome, workflowId));
  }

  async close(): Promise<void> {
    if (this.clientPromise) await (await this.clientPromise.catch(() => undefined))?.connection.close();
  }
}

const envOption = () =>
  new Option('--env <environment>', 'the environment of the gate, e.g. production').makeOptionMandatory();

function checkEnvName(env: string): string {
  const r = EnvironmentName.safeParse(env);
  if (!r.success) throw usage(`--env "${env}" ${r.error.issues[0]?.message ?? 'is not an environment name'}`);
  return env;
}

function checkId(id: string): string {
  if (!id.trim())
    throw usage('ID is empty; give the promotion id printed by `start`, e.g. promote-myservice@1.4.2');
  return id.trim();
}

function checkName(flag: string, v: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/.test(v))
    throw usage(
      `${flag} "${v}" is not a user name; use letters, digits, ".", "_", "@", "+", "-" as listed in the pipeline's approvers`,
    );
  return v;
}

/** Closed promotions cannot take messages: say so instead of letting the update fail obscurely. */
async function requireRunning(handle: WorkflowHandle, what: string): Promise<void> {
  const desc = await handle.describe();
  if (desc.status.name !== 'RUNNING')
    throw new CliError(
      `promotion ${handle.workflowId} is ${desc.status.name.toLowerCase()}; there is nothing to ${what}`,
      ExitCode.REFUSED,
    );
}

/** Updates wait for a worker: bound the wait so a stopped worker gives a clear line. */
async function withWorker<T>(
  client: Client,
  taskQueue: string,
  fn: () => Promise<T>,
  ms = 30_000,
): Promise<T> {
  try {
    return await client.connection.withDeadline(Date.now() + ms, fn);
  } catch (err) {
    const code = (err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code;
    if (code === 4)
      throw new CliError(
        `no worker answered within ${ms / 1000}s; is a worker running on task queue "${taskQueue}"? (start one with \`npm run worker\`)`,
        ExitCode.UNREACHABLE,
      );
    throw err;
  }
}

function answerLine(kind: 'approve' | 'reject', a: ApprovalAnswer, by: string): string {
  if (kind === 'reject') return `rejected ${a.environment} as ${by}: the promotion stops (ApprovalRejected)`;
  if (a.decision === 'approved')
    return `approved ${a.environment} as ${by}: ${a.approvals} of ${a.required} approvals, the promotion moves on`;
  return `recorded approval of ${a.environment} by ${by}: ${a.approvals} of ${a.required}; still needed from: ${a.stillNeeded.join(', ')}`;
}

function outcomeLines(o: Outcome, id: string): string[] {
  if (o.status === 'COMPLETED') return renderRecord(o.record);
  if (o.status === 'WAITING')
    return [`${id}: waiting for ${o.gate.needs}`, ...(o.gate.command ? [`  next: ${o.gate.command}`] : [])];
  if (o.status === 'FAILED') {
    const [first, fix] = failureLines(o.failure);
    return [`${id}: failed: ${first}`, ...(fix ? [`  ${fix}`] : [])];
  }
  return [`${id}: ${o.status.toLowerCase()}${o.failure ? `: ${o.failure}` : ''}`];
}

const quoteValue = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function listQuery(o: {
  waitingApproval?: boolean;
  running?: boolean;
  failed?: boolean;
  repository?: string;
  env?: string;
}): string {
  const parts = [`WorkflowType = ${quoteValue(PROMOTE_WORKFLOW_TYPE)}`];
  if (o.waitingApproval)
    parts.push(`${PromotionStage.name} = 'awaiting-approval'`, `ExecutionStatus = 'Running'`);
  if (o.running) parts.push(`ExecutionStatus = 'Running'`);
  if (o.failed) parts.push(`ExecutionStatus = 'Failed'`);
  if (o.repository) parts.push(`${PromotionRepository.name} = ${quoteValue(o.repository)}`);
  if (o.env) parts.push(`${PromotionEnvironment.name} = ${quoteValue(o.env)}`);
  return parts.join(' AND ');
}

/** What one run leaves behind: the exit code actions set, and the session to close. */
export interface RunState {
  code: number;
  session?: Session;
}

export function buildProgram(io: CliIO, result: RunState = { code: 0 }): Command {
  const sessionOf = (cmd: Command) => (result.session ??= new Session(io, cmd.optsWithGlobals<GlobalOpts>()));

  const program = new Command('harbor-promote')
    .description(
      'Promote a container image, pinned by digest, through Harbor projects (dev → staging → production) as a durable Temporal workflow.',
    )
    .option('--json', 'print machine-readable JSON instead of text')
    .option('--address <host:port>', 'Temporal frontend (env TEMPORAL_ADDRESS; default 127.0.0.1:7233)')
    .option('--namespace <name>', 'Temporal namespace (env TEMPORAL_NAMESPACE; default "default")')
    .option('--task-queue <name>', 'worker task queue (env TEMPORAL_TASK_QUEUE; default harbor-promote)')
    .option('--tls', 'connect with TLS (env TEMPORAL_TLS=1; implied by the other TLS options)')
    .option('--tls-cert-path <file>', 'client certificate for mTLS (env TEMPORAL_TLS_CERT)')
    .option('--tls-key-path <file>', 'client key for mTLS (env TEMPORAL_TLS_KEY)')
    .option('--tls-ca-path <file>', 'CA certificate of the server (env TEMPORAL_TLS_CA)')
    .option('--tls-server-name <name>', 'TLS server name override (env TEMPORAL_TLS_SERVER_NAME)')
    .option('--ui-url <url>', 'Temporal UI base URL for links (env TEMPORAL_UI_URL)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // commander's own errors ("error: unknown command 'x'") become one "harbor-promote: …" line.
      outputError: (s, write) =>
        write(
          `harbor-promote: ${s
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    })
    .addHelpText('after', EXAMPLES);

  // ---- start ----------------------------------------------------------------------------------------
  program
    .command('start')
    .description('validate locally, then start a promotion; prints its id and UI link')
    .argument(
      '<image>',
      "IMAGE[:TAG|@DIGEST] in the first environment's project, e.g. myservice:1.4.2-a1b2c3d",
    )
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML (environments, projects, gates)')
    .option('--to <environment>', 'stop after this environment (default: the last one)')
    .option('--requested-by <name>', 'who asks (shown in the record; default: your user name)')
    .option('--wait', 'follow the promotion like `watch` and exit with its outcome')
    .option('--dry-run', 'validate the image reference and the pipeline, start nothing')
    .option('--skip-doctor', "do not run the pipeline's doctor checks on the worker before starting")
    .addHelpText(
      'after',
      '\nExample:\n  $ harbor-promote start myservice:1.4.2-a1b2c3d --pipeline pipelines/myservice.yaml --wait',
    )
    .action(
      async (
        image: string,
        o: {
          pipeline: string;
          to?: string;
          requestedBy?: string;
          wait?: boolean;
          dryRun?: boolean;
          skipDoctor?: boolean;
        },
        cmd: Command,
      ) => {
        const s = sessionOf(cmd);
        const prepared = prepareStart({
          image,
          pipelinePath: o.pipeline,
          ...(o.to !== undefined && { to: o.to }),
          ...(o.requestedBy !== undefined && { requestedBy: o.requestedBy }),
        });
        if (prepared.note && !s.json) io.stderr.write(`harbor-promote: note: ${prepared.note}\n`);
        const settings = s.settings;
        const url = workflowUrl(settings, prepared.workflowId);
        if (o.dryRun) {
          if (s.json)
            s.printJson({
              valid: true,
              workflowId: prepared.workflowId,
              summary: prepared.summary,
              input: prepared.input,
            });
          else
            s.print([
              `valid: ${prepared.summary}`,
              `would start ${prepared.workflowId} on task queue ${settings.taskQueue}`,
            ]);
          return;
        }
        const { client, handle: existing } = await s.handle(prepared.workflowId);
        const running = await existing
          .describe()
          .then((d) => d.status.name === 'RUNNING')
          .catch(() => false);
        // The pipeline-specific doctor checks (projects, policies, scanner, permissions, overlays) run on the
        // worker before anything is started: a missing overlay is found now, not after the copy into staging.
        if (!running && !o.skipDoctor)
          await startChecks(client, settings.taskQueue, prepared.input.pipeline, s.json, io.stderr);
        const handle = running
          ? existing
          : await client.workflow.start(PROMOTE_WORKFLOW_TYPE, {
              taskQueue: settings.taskQueue,
              ...prepared.options,
            });
        if (s.json && !o.wait)
          s.printJson({ workflowId: handle.workflowId, started: !running, summary: prepared.summary, url });
        else if (!s.json)
          s.print([
            running
              ? `already running: ${handle.workflowId} (${prepared.summary}); not started twice`
              : `started ${handle.workflowId}: ${prepared.summary}`,
            `  UI:    ${url}`,
            `  watch: harbor-promote watch ${handle.workflowId}`,
          ]);
        if (o.wait) {
          const outcome = await watchPromotion(client, handle, io, {
            json: s.json,
            url,
            taskQueue: settings.taskQueue,
          });
          s.printOutcome(outcome, handle.workflowId);
          result.code = outcome.exitCode;
        }
      },
    );

  // ---- doctor ---------------------------------------------------------------------------------------
  registerDoctor(program, sessionOf, (code) => (result.code = code));

  // ---- approve / reject -----------------------------------------------------------------------------
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
    .action(async (id: string, o: { env: string; as: string; comment?: string }, cmd: Command) => {
      const s = sessionOf(cmd);
      const args = {
        environment: checkEnvName(o.env),
        approver: checkName('--as', o.as),
        ...(o.comment && { comment: o.comment }),
      };
      const { client, handle } = await s.handle(checkId(id));
      await requireRunning(handle, 'approve');
      const answer = await withWorker(client, s.settings.taskQueue, () =>
        handle.executeUpdate(approveUpdate, { args: [args] }),
      );
      if (s.json) s.printJson({ workflowId: handle.workflowId, accepted: true, ...answer });
      else s.print(answerLine('approve', answer, o.as));
    });

  program
    .command('reject')
    .description('reject the gate into an environment; the promotion fails with ApprovalRejected')
    .argument('<id>', 'promotion id')
    .addOption(envOption())
    .requiredOption('--as <name>', "your name as listed in the pipeline's approvers")
    .requiredOption('--reason <text>', 'why (kept in the record and shown in the failure)')
    .addHelpText(
      'after',
      '\nExample:\n  $ harbor-promote reject promote-myservice@1.4.2 --env production --as alice --reason "change freeze"',
    )
    .action(async (id: string, o: { env: string; as: string; reason: string }, cmd: Command) => {
      const s = sessionOf(cmd);
      if (!o.reason.trim()) throw usage('--reason is empty; say why the promotion is rejected');
      const args = { environment: checkEnvName(o.env), approver: checkName('--as', o.as), reason: o.reason };
      const { client, handle } = await s.handle(checkId(id));
      await requireRunning(handle, 'reject');
      const answer = await withWorker(client, s.settings.taskQueue, () =>
        handle.executeUpdate(rejectUpdate, { args: [args] }),
      );
      if (s.json) s.printJson({ workflowId: handle.workflowId, accepted: true, ...answer });
      else s.print(answerLine('reject', answer, o.as));
    });

  // ---- report ---------------------------------------------------------------------------------------
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
    .action(
      async (
        id: string,
        o: { env: string; passed?: boolean; failed?: boolean; url?: string; details?: string },
        cmd: Command,
      ) => {
        const s = sessionOf(cmd);
        if (!o.passed && !o.failed) throw usage('give --passed or --failed');
        if (o.url !== undefined && !/^https?:\/\/\S+$/.test(o.url))
          throw usage(`--url "${o.url}" is not an http(s) URL`);
        const report = {
          environment: checkEnvName(o.env),
          passed: Boolean(o.passed),
          ...(o.url && { url: o.url }),
          ...(o.details && { details: o.details }),
        };
        const { handle } = await s.handle(checkId(id));
        await requireRunning(handle, 'report on');
        await handle.signal(reportVerificationSignal, report);
        if (s.json) s.printJson({ workflowId: handle.workflowId, sent: true, report });
        else
          s.print(
            `sent: ${report.environment} verification ${report.passed ? 'passed' : 'failed'}; \`harbor-promote status ${handle.workflowId}\` shows whether it was taken`,
          );
      },
    );

  // ---- status / watch -------------------------------------------------------------------------------
  program
    .command('status')
    .description('show the steps, the gate it waits for and the command that moves it')
    .argument('<id>', 'promotion id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = sessionOf(cmd);
      const { client, handle } = await s.handle(checkId(id));
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
    .action(
      async (id: string, o: { interval: string; timeout?: string; untilWaiting?: boolean }, cmd: Command) => {
        const s = sessionOf(cmd);
        const interval = Number(o.interval);
        const timeout = o.timeout === undefined ? undefined : Number(o.timeout);
        if (!(interval > 0)) throw usage(`--interval "${o.interval}" is not a positive number of seconds`);
        if (timeout !== undefined && !(timeout > 0))
          throw usage(`--timeout "${o.timeout}" is not a positive number of seconds`);
        const { client, handle } = await s.handle(checkId(id));
        const url = workflowUrl(s.settings, handle.workflowId);
        const outcome = await watchPromotion(client, handle, io, {
          json: s.json,
          url,
          taskQueue: s.settings.taskQueue,
          intervalMs: interval * 1000,
          ...(timeout !== undefined && { timeoutMs: timeout * 1000 }),
          ...(o.untilWaiting && { untilWaiting: true }),
        });
        s.printOutcome(outcome, handle.workflowId);
        result.code = outcome.exitCode;
      },
    );

  // ---- list -----------------------------------------------------------------------------------------
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
    .action(
      async (
        o: {
          waitingApproval?: boolean;
          running?: boolean;
          failed?: boolean;
          repository?: string;
          env?: string;
          limit: string;
        },
        cmd: Command,
      ) => {
        const s = sessionOf(cmd);
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw usage(`--limit "${o.limit}" is not a positive integer`);
        if (o.repository !== undefined) {
          const p = repositoryProblem(o.repository);
          if (p) throw usage(`--repository ${p}`);
        }
        if (o.env !== undefined) checkEnvName(o.env);
        const query = listQuery(o);
        const client = await s.client();
        const rows: ListRow[] = [];
        for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
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
          if (rows.length >= limit) break;
        }
        if (s.json) s.printJson({ query, url: listUrl(s.settings, query), promotions: rows });
        else s.print(renderList(rows));
      },
    );

  // ---- cancel / record ------------------------------------------------------------------------------
  program
    .command('cancel')
    .description('cancel a running promotion (it stops at the current step and records "cancelled")')
    .argument('<id>', 'promotion id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = sessionOf(cmd);
      const { handle } = await s.handle(checkId(id));
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

  program
    .command('record')
    .description(
      'print the promotion record (digest, step times, scans, approvals, tests, commit, digest table)',
    )
    .argument('<id>', 'promotion id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const s = sessionOf(cmd);
      const { handle } = await s.handle(checkId(id));
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
      result.code = outcome.exitCode;
    });

  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const result: RunState = { code: 0 };
  const program = buildProgram(io, result);
  if (argv.length === 0) {
    io.stderr.write(program.helpInformation());
    return ExitCode.USAGE;
  }
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; commander already printed its one-line message for the rest.
      if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code))
        return ExitCode.OK;
      if (json)
        io.stdout.write(
          `${JSON.stringify({ error: err.message.replace(/^error: /, ''), exitCode: ExitCode.USAGE })}\n`,
        );
      return ExitCode.USAGE;
    }
    const { message, exitCode } = describeError(err, result.session?.ctx ?? {});
    io.stderr.write(`harbor-promote: ${message}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: message, exitCode })}\n`);
    if (io.env.HARBOR_PROMOTE_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return exitCode;
  } finally {
    await result.session?.close().catch(() => undefined);
  }
}
