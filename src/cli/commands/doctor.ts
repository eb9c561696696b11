/**
 * `harbor-promote doctor --pipeline FILE`: checks a user's own Harbor, GitOps repository, keys and tools
 * against a pipeline before the first promotion. The checks run on a worker (workflow `pipelineDoctor`,
 * activity `runDoctor`) because only the worker holds the robot secret, the cosign key and the git access;
 * the CLI sends the pipeline and prints the report. `start` runs the pipeline-specific part first.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { renderReport, type DoctorInput, type DoctorReport } from '../../domain/doctor.js';
import type { Pipeline } from '../../domain/pipeline.js';
import { DOCTOR_WORKFLOW_TYPE } from '../../workflows/doctor.js';
import type { ConnectionSettings } from '../connection.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { readPipelineFile } from '../start.js';

/** What the command needs from the CLI session (program.ts). */
export interface DoctorSession {
  readonly json: boolean;
  readonly settings: ConnectionSettings;
  client(): Promise<Client>;
  print(lines: string | string[]): void;
  printJson(value: unknown): void;
}

/** How long a worker gets to run the checks (Harbor reads, one shallow git fetch, cosign, tool versions). */
export const DOCTOR_WAIT_MS = 90_000;

/** Runs the checks on a worker; a worker that never picks them up is "no worker answered" (exit 3). */
export async function runDoctorOnWorker(
  client: Client,
  taskQueue: string,
  pipeline: Pipeline,
  scope: DoctorInput['scope'] = 'all',
  waitMs = DOCTOR_WAIT_MS,
): Promise<DoctorReport> {
  const input: DoctorInput = { pipeline, scope };
  const handle = await client.workflow.start(DOCTOR_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: `doctor-${pipeline.name ?? 'pipeline'}-${randomUUID().slice(0, 8)}`,
    args: [input],
    workflowExecutionTimeout: waitMs + 30_000,
    staticSummary: `doctor: ${pipeline.environments.map((e) => e.project).join(' → ')}`,
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CliError(
            `no worker ran the checks within ${waitMs / 1000}s; is a worker running on task queue "${taskQueue}"? (start one with \`npm run worker\`)`,
            ExitCode.UNREACHABLE,
          ),
        ),
      waitMs,
    );
  });
  try {
    return (await Promise.race([handle.result(), timeout])) as DoctorReport;
  } catch (err) {
    if (err instanceof CliError) await handle.terminate('no worker ran the checks').catch(() => undefined);
    if (err instanceof WorkflowFailedError) {
      const cause = (err.cause?.cause ?? err.cause) as Error | undefined;
      const msg = cause?.message ?? err.message;
      throw new CliError(
        /not registered/i.test(msg)
          ? `the worker on task queue "${taskQueue}" does not know the doctor checks (older version); upgrade it${scope === 'pipeline' ? ', or start with --skip-doctor' : ''}`
          : `the checks failed to run: ${msg}`,
        ExitCode.INTERNAL,
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What `start` runs first: the pipeline-specific checks (projects, policies, scanner, permissions, overlays).
 * A failure throws exit 8 before anything is started (text: the report on stderr first; --json: one error
 * object naming each failed check and its fix). Warnings become `note:` lines on stderr.
 */
export async function startChecks(
  client: Client,
  taskQueue: string,
  pipeline: Pipeline,
  json: boolean,
  stderr: { write(s: string): unknown },
): Promise<void> {
  const report = await runDoctorOnWorker(client, taskQueue, pipeline, 'pipeline');
  if (!report.ok) {
    const failed = report.checks.filter((c) => !c.ok);
    if (!json) stderr.write(`${renderReport(report).join('\n')}\n`);
    throw new CliError(
      json
        ? `the pipeline checks failed, nothing started: ${failed.map((c) => `${c.message} (fix: ${c.fix})`).join('; ')}`
        : 'the pipeline checks failed (✗ above, each with its fix); nothing started. Fix them, or start with --skip-doctor',
      ExitCode.CHECKS_FAILED,
    );
  }
  if (!json)
    for (const c of report.checks.filter((x) => x.warning))
      stderr.write(`harbor-promote: note: ${c.message}${c.fix ? ` (fix: ${c.fix})` : ''}\n`);
}

export function registerDoctor(
  program: Command,
  sessionOf: (cmd: Command) => DoctorSession,
  setCode: (code: number) => void,
): void {
  program
    .command('doctor')
    .description(
      "check Harbor, the robot's permissions, the projects' policies, the scanner, the GitOps overlays, the cosign keys and the tools against a pipeline (nothing is changed)",
    )
    .requiredOption('-p, --pipeline <file>', 'pipeline YAML to check')
    .addHelpText(
      'after',
      '\nRuns on a worker, with its credentials. Exit 0 when every check passes, 8 when one fails.\n\nExample:\n  $ harbor-promote doctor --pipeline pipelines/myservice.yaml',
    )
    .action(async (o: { pipeline: string }, cmd: Command) => {
      const s = sessionOf(cmd);
      const pipeline = readPipelineFile(o.pipeline);
      const report = await runDoctorOnWorker(await s.client(), s.settings.taskQueue, pipeline);
      if (s.json) s.printJson(report);
      else
        s.print([
          `doctor: ${o.pipeline} against Harbor ${report.harborUrl}${report.harborVersion ? ` (${report.harborVersion})` : ''}`,
          ...renderReport(report),
        ]);
      setCode(report.ok ? ExitCode.OK : ExitCode.CHECKS_FAILED);
    });
}
