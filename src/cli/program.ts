/**
 * The `harbor-promote` command line (commander). `runCli(argv)` returns the exit code and never throws:
 * every failure becomes one line on stderr (and, with --json, a JSON object on stdout). Each command is
 * one file in src/cli/commands/ that registers itself and parses its options with zod (options.ts).
 */
import { Command, CommanderError } from 'commander';
import { registerApprove } from './commands/approve.js';
import { registerCancel } from './commands/cancel.js';
import { registerDoctor } from './commands/doctor.js';
import { registerList } from './commands/list.js';
import { registerRecord } from './commands/record.js';
import { registerReject } from './commands/reject.js';
import { registerReport } from './commands/report.js';
import { registerRollback } from './commands/rollback.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { registerUnfreeze } from './commands/unfreeze.js';
import { registerVerify } from './commands/verify.js';
import { registerWatch } from './commands/watch.js';
import { describeError } from './errors.js';
import { EXIT_CODE_HELP, ExitCode } from './exit-codes.js';
import { Session, type CliIO, type CommandContext, type GlobalOpts, type RunState } from './session.js';

export type { CliIO, RunState } from './session.js';
export { listQuery } from './commands/list.js';

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
  $ harbor-promote rollback myservice --env production --previous --pipeline pipelines/myservice.yaml
  $ harbor-promote verify harbor.example.com/platform-prod/myservice@sha256:… --env production --pipeline pipelines/myservice.yaml

Connection: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_TASK_QUEUE
(harbor-promote), TEMPORAL_UI_URL, TLS: TEMPORAL_TLS=1, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA,
TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY (environment only). Flags override the environment.

${EXIT_CODE_HELP}
`;

export function buildProgram(io: CliIO, result: RunState = { code: 0 }): Command {
  const ctx: CommandContext = {
    io,
    session: (cmd) => (result.session ??= new Session(io, cmd.optsWithGlobals<GlobalOpts>())),
    exit: (code) => (result.code = code),
  };

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

  // In the order `--help` lists them.
  registerStart(program, ctx);
  registerDoctor(program, ctx.session, ctx.exit);
  registerApprove(program, ctx);
  registerReject(program, ctx);
  registerReport(program, ctx);
  registerUnfreeze(program, ctx);
  registerStatus(program, ctx);
  registerWatch(program, ctx);
  registerList(program, ctx);
  registerCancel(program, ctx);
  registerRecord(program, ctx);
  registerRollback(program, ctx);
  registerVerify(program, ctx);
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
