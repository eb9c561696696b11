/**
 * Webhook notifications: one POST of the same JSON body per target, signed when the target names a
 * secret, retried with backoff inside this one activity so the promotion record can say how many
 * attempts each took. It never throws for a webhook's answer: a failed delivery is a result (the
 * promotion goes on), recorded by host only. Secrets (the signing key, a URL that is a credential) are
 * read here from the worker's NOTIFY_* environment variables and never returned or logged.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { defaultUiUrl } from '../cli/connection.js';
import type { NotificationDelivery, NotifyTarget, SendNotificationInput } from '../domain/notify.js';
import { currentContext } from './process.js';

export const SIGNATURE_HEADER = 'x-harbor-promote-signature';
/** One attempt's bound; the whole activity is bounded by attempts × this plus the backoff. */
const ATTEMPT_TIMEOUT_MS = 10_000;
const backoffMs = (attempt: number) => Math.min(1_000 * 2 ** (attempt - 1), 10_000);
/** An answer worth another try: the receiver is busy or down, not refusing the request. */
const retryableStatus = (s: number) => s >= 500 || s === 408 || s === 429;

export interface NotifyOptions {
  /** Where NOTIFY_*, TEMPORAL_UI_URL and TEMPORAL_ADDRESS are read (default: the worker's environment). */
  env?: NodeJS.ProcessEnv;
}

/** `sha256=<hex>` of the exact body bytes: what a receiver recomputes with its copy of the secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function readNamed(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${name}_FILE`];
  if (file) return readFileSync(file, 'utf8').trim();
  return undefined;
}

export function notifyActivities(opts: NotifyOptions = {}) {
  const env = opts.env ?? process.env;

  function uiLink(workflowId: string | undefined): string | undefined {
    if (!workflowId) return undefined;
    const tls = env.TEMPORAL_TLS === '1' || env.TEMPORAL_TLS === 'true' || Boolean(env.TEMPORAL_API_KEY);
    const base = (
      env.TEMPORAL_UI_URL?.trim() || defaultUiUrl(env.TEMPORAL_ADDRESS?.trim() || '127.0.0.1:7233', tls)
    ).replace(/\/+$/, '');
    const ns = currentContext()?.info.workflowNamespace ?? env.TEMPORAL_NAMESPACE ?? 'default';
    return `${base}/namespaces/${encodeURIComponent(ns)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  async function deliver(
    t: NotifyTarget,
    body: string,
    event: NotificationDelivery['event'],
    environment: string,
    deliveryId: string,
  ): Promise<NotificationDelivery> {
    const at = () => new Date().toISOString();
    const failed = (host: string, error: string, attempts = 0, status?: number): NotificationDelivery => ({
      event,
      environment,
      host,
      ok: false,
      attempts,
      signed: false,
      error,
      at: at(),
      ...(status !== undefined && { status }),
    });
    let url: URL;
    try {
      const raw = t.url ?? readNamed(env, t.urlEnv!);
      if (!raw)
        return failed(
          '(unset)',
          `the worker has no ${t.urlEnv} (nor ${t.urlEnv}_FILE); set it to the webhook URL`,
        );
      url = new URL(raw);
    } catch {
      return failed('(invalid)', `${t.url ? 'the URL' : t.urlEnv} is not a valid URL`);
    }
    let secret: string | undefined;
    if (t.secretEnv) {
      try {
        secret = readNamed(env, t.secretEnv);
      } catch {
        secret = undefined;
      }
      // Sending unsigned would let the receiver accept (or wrongly reject) it: say what to fix instead.
      if (!secret)
        return failed(
          url.host,
          `the worker has no ${t.secretEnv} (nor ${t.secretEnv}_FILE); set the signing secret`,
        );
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'harbor-promote',
      'x-harbor-promote-event': event,
      'x-harbor-promote-delivery': deliveryId,
      ...(secret && { [SIGNATURE_HEADER]: signBody(secret, body) }),
    };
    let status: number | undefined;
    let error = '';
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await request(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        });
        status = res.statusCode;
        await res.body.dump();
        if (status >= 200 && status < 300)
          return {
            event,
            environment,
            host: url.host,
            ok: true,
            status,
            attempts: attempt,
            signed: Boolean(secret),
            at: at(),
          };
        error = `answered ${status}`;
        if (!retryableStatus(status) || attempt >= t.attempts)
          return { ...failed(url.host, error, attempt, status), signed: Boolean(secret) };
      } catch (e) {
        status = undefined;
        // Node's network errors name the host at most, never the path or the headers.
        error =
          (e as Error).name === 'TimeoutError'
            ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000}s`
            : `${(e as { code?: string }).code ?? (e as Error).name}: cannot reach ${url.host}`;
        if (attempt >= t.attempts) return { ...failed(url.host, error, attempt), signed: Boolean(secret) };
      }
      currentContext()?.heartbeat();
      await sleep(backoffMs(attempt));
    }
  }

  async function sendNotification(input: SendNotificationInput): Promise<NotificationDelivery[]> {
    const info = currentContext()?.info;
    const ui = uiLink(info?.workflowExecution?.workflowId ?? input.body.promotionId);
    const body = JSON.stringify({ ...input.body, ...(ui && { ui }) });
    // Same id on a retried activity attempt: a receiver can drop the duplicate.
    const deliveryId = `${input.body.promotionId}/${input.body.event}/${input.body.environment}/${info?.activityId ?? randomUUID()}`;
    return Promise.all(
      input.targets.map((t) => deliver(t, body, input.body.event, input.body.environment, deliveryId)),
    );
  }

  return { sendNotification };
}
