/**
 * The workflow side of notifications: `notify(run, event, env, extra)` tells the pipeline's webhooks that
 * want `event`. It does not wait: the delivery activity runs beside the promotion, and
 * `settleNotifications` waits for all of them before the workflow returns, so a slow or failing webhook
 * neither blocks nor fails a promotion, and every delivery is in the record. Workflow code.
 */
import { patched } from '@temporalio/workflow';
import type { NotificationBody, NotifyEvent, NotifyTarget } from '../domain/notify.js';
import { isDigest } from '../domain/image-ref.js';
import type { Environment } from '../domain/pipeline.js';
import { call } from './activities.js';
import type { PromotionRun } from './steps/context.js';

export interface NotifyExtra {
  /** The exact CLI command that moves the promotion on (default: per event). */
  command?: string;
  /** One sentence for people (default: per event). */
  message?: string;
  /** Anything else the receiver may use (`until`, `reason`, `failure`, `supersededBy`, …); no secrets. */
  [key: string]: unknown;
}

/** Host of a URL the schema checked (the sandbox has no `URL`; the path may be secret, so never kept). */
const hostOf = (url: string) => /^[a-z]+:\/\/([^/?#]+)/i.exec(url)?.[1] ?? '(invalid)';

const pending = new WeakMap<PromotionRun, Promise<void>[]>();

function defaultCommand(run: PromotionRun, event: NotifyEvent, env: string): string {
  const id = run.st.promotionId;
  const image = `${run.input.repository}${isDigest(run.input.reference) ? '@' : ':'}${run.input.reference}`;
  switch (event) {
    case 'waiting-approval':
      return `harbor-promote approve ${id} --env ${env} --as <name>`;
    case 'waiting-report':
      return `harbor-promote report ${id} --env ${env} --passed|--failed --url <results>`;
    case 'frozen':
      return `harbor-promote unfreeze ${id} --env ${env} --as <name> --reason <text>`;
    case 'failed':
      return `harbor-promote start ${image} --pipeline <file>`;
    default:
      return `harbor-promote record ${id}`;
  }
}

function defaultMessage(run: PromotionRun, event: NotifyEvent, env: string, extra: NotifyExtra): string {
  const what = `${run.input.repository}:${run.input.reference}`;
  switch (event) {
    case 'waiting-approval':
      return `${what} waits for approval into ${env}`;
    case 'waiting-report':
      return `${what} waits for a verification report from ${env}`;
    case 'frozen':
      return `${what} is held by a freeze of ${env}${extra.until ? ` until ${String(extra.until)}` : ''}${extra.reason ? ` (${String(extra.reason)})` : ''}`;
    case 'failed':
      return `${what} failed in ${env}${extra.failure ? `: ${String(extra.failure)}` : ''}`;
    case 'completed':
      return `${what} is promoted to ${env}`;
    case 'superseded':
      return `${what} was superseded in ${env}${extra.supersededBy ? ` by ${String(extra.supersededBy)}` : ''}`;
    case 'rolled-back':
      return `${env} was rolled back to ${what}`;
  }
}

/**
 * Tells the webhooks of the pipeline that want `event` about it (no-op when none does). `env` is the
 * environment it concerns (default: the current one). Returns at once; see settleNotifications.
 */
export function notify(
  run: PromotionRun,
  event: NotifyEvent,
  env?: Environment | string,
  extra: NotifyExtra = {},
): void {
  const targets: NotifyTarget[] = (run.input.pipeline.notify ?? [])
    .filter((h) => h.events.includes(event))
    .map((h) => ({
      ...(h.url !== undefined && { url: h.url }),
      ...(h.urlEnv !== undefined && { urlEnv: h.urlEnv }),
      ...(h.secretEnv !== undefined && { secretEnv: h.secretEnv }),
      attempts: h.attempts,
    }));
  // A new command: versioned, and only for pipelines with a webhook for this event (others unchanged).
  if (targets.length === 0 || !patched('notifications')) return;
  const envName = typeof env === 'string' ? env : (env?.name ?? run.st.currentEnvironment);
  const { command, message, ...rest } = extra;
  const text = message ?? defaultMessage(run, event, envName, extra);
  const body: NotificationBody = {
    ...rest,
    event,
    promotionId: run.st.promotionId,
    repository: run.input.repository,
    reference: run.input.reference,
    environment: envName,
    digest: run.digest,
    stage: run.st.stage,
    command: command ?? defaultCommand(run, event, envName),
    message: text,
    text,
    at: new Date().toISOString(),
  };
  const sent = call('sendNotification', `notify ${event} (${envName})`, { targets, body }).then(
    (deliveries) => {
      run.st.notifications.push(...deliveries);
    },
    (err: unknown) => {
      // Only when the worker was lost twice or the promotion is cancelled: record it, never fail.
      for (const t of targets)
        run.st.notifications.push({
          event,
          environment: envName,
          host: t.url ? hostOf(t.url) : `(${t.urlEnv})`,
          ok: false,
          attempts: 0,
          signed: false,
          error: `not delivered: ${(err as Error).message}`,
          at: new Date().toISOString(),
        });
    },
  );
  const list = pending.get(run) ?? [];
  list.push(sent);
  pending.set(run, list);
}

/** Waits until every notification sent so far is delivered or given up (before the workflow returns). */
export async function settleNotifications(run: PromotionRun): Promise<void> {
  for (;;) {
    const list = pending.get(run) ?? [];
    if (list.length === 0) return;
    pending.set(run, []);
    await Promise.all(list);
  }
}
