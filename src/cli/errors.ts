/**
 * Every failure the CLI can meet, mapped to one line and an exit code. Users never see a stack trace;
 * `HARBOR_PROMOTE_DEBUG=1` prints it (for bug reports).
 */
import {
  NamespaceNotFoundError,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ImageReferenceError } from '../domain/image-ref.js';
import { PipelineError } from '../domain/pipeline.js';
import { ExitCode } from './exit-codes.js';

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export const usage = (message: string) => new CliError(message, ExitCode.USAGE);

/** What the error was about, for messages: the address we tried, the id we looked for. */
export interface ErrorContext {
  address?: string;
  namespace?: string;
  workflowId?: string;
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'number') return code;
  const cause = (err as { cause?: unknown })?.cause;
  return cause && cause !== err ? grpcCode(cause) : undefined;
}

/** gRPC status codes we name (grpc-js `status`). */
const GRPC = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

export function describeError(err: unknown, ctx: ErrorContext = {}): { message: string; exitCode: ExitCode } {
  const where = ctx.address ? ` at ${ctx.address}` : '';
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ImageReferenceError) return { message: err.message, exitCode: ExitCode.USAGE };
  if (err instanceof PipelineError)
    return {
      message: `${err.source}: ${err.problems.join('; ')}`,
      exitCode: ExitCode.USAGE,
    };
  if (err instanceof WorkflowNotFoundError)
    return {
      message: `no promotion "${err.workflowId || ctx.workflowId}" in namespace ${ctx.namespace ?? 'default'}; list them with \`harbor-promote list\``,
      exitCode: ExitCode.NOT_FOUND,
    };
  if (err instanceof NamespaceNotFoundError)
    return {
      message: `namespace "${ctx.namespace}" does not exist on the Temporal server${where}; set TEMPORAL_NAMESPACE or --namespace`,
      exitCode: ExitCode.UNREACHABLE,
    };
  if (err instanceof WorkflowUpdateFailedError) {
    const why = err.cause?.message ?? err.message;
    return { message: `refused: ${firstLine(why)}`, exitCode: ExitCode.REFUSED };
  }
  const message = err instanceof Error ? err.message : String(err);
  const code = grpcCode(err);
  if (
    /Failed to connect before the deadline|ECONNREFUSED|No connection established|getaddrinfo/i.test(
      message,
    ) ||
    code === GRPC.UNAVAILABLE
  )
    return {
      message: `cannot reach Temporal${where}: is the server running? Set TEMPORAL_ADDRESS or --address (local stack: \`npm run stack -- up\`)`,
      exitCode: ExitCode.UNREACHABLE,
    };
  if (code === GRPC.UNAUTHENTICATED || code === GRPC.PERMISSION_DENIED)
    return {
      message: `Temporal${where} refused the connection (${firstLine(message)}); check the TLS client certificate or TEMPORAL_API_KEY`,
      exitCode: ExitCode.UNREACHABLE,
    };
  if (code === GRPC.DEADLINE_EXCEEDED)
    return {
      message: `Temporal${where} did not answer in time (${firstLine(message)}); try again, or check the server`,
      exitCode: ExitCode.UNREACHABLE,
    };
  if (err instanceof ServiceError)
    return { message: `Temporal${where}: ${firstLine(message)}`, exitCode: ExitCode.INTERNAL };
  return { message: firstLine(message) || 'unexpected error', exitCode: ExitCode.INTERNAL };
}
