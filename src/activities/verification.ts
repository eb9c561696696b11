/**
 * runVerification: the environment's integration tests, either a command (argv, no shell; env IMAGE,
 * DIGEST, ENVIRONMENT; timeout; output tail kept and redacted) or a webhook (POST, then poll a status URL).
 * A failed test is a result (`passed: false`), not an error: the workflow turns it into VerificationFailed
 * and keeps the output in the promotion record. Errors are reserved for "could not run the tests at all".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { z } from 'zod';
import { FailureType } from '../domain/failures.js';
import type { RunVerificationInput, VerificationResult } from './contract.js';
import type { Deps } from './deps.js';
import { nonRetryable, retryable } from './failures.js';
import { currentContext, lastLines, runProcess } from './process.js';
import { withPrivateDir } from './secrets.js';

/** What a verification webhook / status URL answers; loose so existing CI systems can be adapted easily. */
const StatusSchema = z.looseObject({
  status: z.string().optional(),
  passed: z.boolean().optional(),
  statusUrl: z.string().optional(),
  url: z.string().optional(),
  details: z.string().optional(),
});
type Status = z.infer<typeof StatusSchema>;

export function verdict(s: Status): boolean | undefined {
  if (typeof s.passed === 'boolean') return s.passed;
  const st = (s.status ?? '').toLowerCase();
  if (['passed', 'success', 'succeeded', 'ok'].includes(st)) return true;
  if (['failed', 'failure', 'error', 'cancelled', 'canceled'].includes(st)) return false;
  return undefined;
}

export function verificationActivities(d: Deps) {
  async function runCommand(
    input: RunVerificationInput,
    spec: { argv: string[]; timeoutMs: number },
  ): Promise<VerificationResult> {
    const [bin, ...args] = spec.argv;
    if (!bin)
      throw nonRetryable(FailureType.InvalidInput, `verification for ${input.environment}: empty argv`);
    return withPrivateDir(async (dir) => {
      const r = await runProcess({
        bin,
        args,
        // Only what the tests need: the worker's own environment (Harbor/cosign secrets) is not passed on.
        env: {
          HOME: dir.path,
          TMPDIR: dir.path,
          IMAGE: input.image,
          DIGEST: input.digest,
          ENVIRONMENT: input.environment,
        },
        timeoutMs: spec.timeoutMs,
        redactor: d.redactor,
        label: `verification ${bin}`,
        heartbeatIntervalMs: d.cfg.heartbeatIntervalMs,
      });
      const tail = lastLines([r.stdout.trimEnd(), r.stderr.trimEnd()].filter(Boolean).join('\n'), 40);
      return {
        passed: r.code === 0 && !r.timedOut,
        details: r.timedOut
          ? `timed out after ${spec.timeoutMs} ms`
          : r.code === 0
            ? 'exit 0'
            : `exit ${r.code ?? r.signal}`,
        outputTail: tail,
        durationMs: r.durationMs,
      };
    });
  }

  async function call(
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
  ): Promise<{ status: Status; location?: string }> {
    const signal = currentContext()?.cancellationSignal;
    let res;
    try {
      res = await request(url, {
        method,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw retryable(`verification webhook ${method} ${url}: ${(err as Error).message}`);
    }
    const text = d.redactor.redact(await res.body.text());
    if (res.statusCode >= 500 || res.statusCode === 429)
      throw retryable(`verification webhook ${method} ${url} answered ${res.statusCode}`);
    if (res.statusCode >= 400)
      throw nonRetryable(
        FailureType.InvalidInput,
        `verification webhook ${method} ${url} answered ${res.statusCode}: ${text.slice(0, 300)}`,
      );
    let json: unknown = {};
    try {
      json = text.trim() ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    const loc = res.headers.location;
    return { status: StatusSchema.catch({}).parse(json), location: Array.isArray(loc) ? loc[0] : loc };
  }

  async function runWebhook(
    input: RunVerificationInput,
    spec: { url: string; timeoutMs: number; pollIntervalMs?: number },
  ): Promise<VerificationResult> {
    const ctx = currentContext();
    const started = Date.now();
    // A retried attempt resumes polling the run the first attempt started instead of starting another.
    const previous = ctx?.info.heartbeatDetails as { statusUrl?: string } | undefined;
    let statusUrl = previous?.statusUrl;
    let last: Status = {};
    if (!statusUrl) {
      const r = await call('POST', spec.url, {
        environment: input.environment,
        image: input.image,
        digest: input.digest,
      });
      last = r.status;
      const next = r.status.statusUrl ?? r.location;
      statusUrl = next ? new URL(next, spec.url).toString() : undefined;
    }
    for (;;) {
      const v = verdict(last);
      if (v !== undefined)
        return { passed: v, url: last.url, details: last.details, durationMs: Date.now() - started };
      if (!statusUrl)
        throw nonRetryable(
          FailureType.InvalidInput,
          `verification webhook ${spec.url} gave neither a verdict nor a status URL`,
        );
      if (Date.now() - started > spec.timeoutMs) {
        return {
          passed: false,
          url: last.url,
          details: `timed out after ${spec.timeoutMs} ms waiting for ${statusUrl}`,
          durationMs: Date.now() - started,
        };
      }
      ctx?.heartbeat({ statusUrl });
      const wait = spec.pollIntervalMs ?? 2_000;
      if (ctx) await ctx.sleep(wait);
      else await sleep(wait);
      last = (await call('GET', statusUrl)).status;
    }
  }

  async function runVerification(input: RunVerificationInput): Promise<VerificationResult> {
    const v = input.verification;
    return v.kind === 'command' ? runCommand(input, v) : runWebhook(input, v);
  }

  return { runVerification };
}
