/**
 * Notifications: webhooks a pipeline names (`notify:`), the events each wants, and what is sent. The
 * pipeline is workflow input, so it never holds a secret: a signing secret, and a URL that is itself a
 * credential (a Slack incoming webhook), are named as worker environment variables (`NOTIFY_*`), which the
 * delivering activity reads. Only `NOTIFY_*` names are accepted, so a pipeline cannot make the worker sign
 * with (and so expose to guessing) one of its own secrets such as HARBOR_PASSWORD.
 */
import { z } from 'zod';

export const NOTIFY_EVENTS = [
  'waiting-approval',
  'waiting-report',
  'frozen',
  'failed',
  'completed',
  'superseded',
  'rolled-back',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Attempts per delivery: the activity retries a 5xx, 408, 429 or network error with backoff. */
export const MAX_NOTIFY_ATTEMPTS = 6;

const EnvName = z.string().regex(/^NOTIFY_[A-Z0-9_]+$/, {
  error:
    'must name a worker environment variable starting with NOTIFY_ (e.g. NOTIFY_SLACK_SECRET); the worker reads only those for notifications',
});

export const WebhookSpec = z
  .strictObject({
    /** Where to POST; no credentials in it (use `urlEnv` for a URL that is a secret). */
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** A worker environment variable holding the URL (e.g. a Slack incoming webhook, whose path is a secret). */
    urlEnv: EnvName.optional(),
    events: z
      .array(z.enum(NOTIFY_EVENTS, { error: `must be one of ${NOTIFY_EVENTS.join(', ')}` }))
      .min(1, { error: `lists no event; give some of ${NOTIFY_EVENTS.join(', ')}` }),
    /** A worker environment variable (or its `_FILE` form) with the HMAC-SHA256 key that signs the body. */
    secretEnv: EnvName.optional(),
    attempts: z
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(MAX_NOTIFY_ATTEMPTS, {
        error: `must be at most ${MAX_NOTIFY_ATTEMPTS}; a webhook that is down longer is recorded as failed`,
      })
      .default(4),
  })
  .superRefine((w, ctx) => {
    if ((w.url === undefined) === (w.urlEnv === undefined))
      ctx.addIssue({
        code: 'custom',
        message:
          w.url === undefined
            ? 'says nowhere to send; give `url` or `urlEnv`'
            : 'gives both `url` and `urlEnv`; give one',
      });
    if (w.url && /^[a-z]+:\/\/[^/]*@/i.test(w.url))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message:
          'contains credentials; remove them (name a worker environment variable in `urlEnv` or `secretEnv` instead)',
      });
  });
export type Webhook = z.output<typeof WebhookSpec>;

/** What the workflow hands to the delivering activity for one webhook (no secret, only names). */
export interface NotifyTarget {
  url?: string;
  urlEnv?: string;
  secretEnv?: string;
  attempts: number;
}

/** The JSON body every webhook receives (the activity adds `ui`). */
export interface NotificationBody {
  event: NotifyEvent;
  promotionId: string;
  repository: string;
  reference: string;
  /** The environment it concerns (the one it waits for, failed in, or the last one when completed). */
  environment: string;
  /** The pinned digest ('' when it failed before resolving). */
  digest: string;
  stage: string;
  /** The exact CLI command that moves it on (or shows its record). */
  command: string;
  /** One sentence for people; `text` is the same for Slack-compatible receivers. */
  message: string;
  text: string;
  /** Workflow time of the event. */
  at: string;
  /** Link to the promotion in the Temporal UI (set by the activity from the worker's settings). */
  ui?: string;
  /** Event specifics: `until` and `reason` for frozen, `failure` for failed, … */
  [extra: string]: unknown;
}

export interface SendNotificationInput {
  targets: NotifyTarget[];
  body: NotificationBody;
}

/** One delivery as the promotion record keeps it: where (host only), how it went; never a secret. */
export interface NotificationDelivery {
  event: NotifyEvent;
  environment: string;
  /** Host of the URL (`hooks.slack.com`), never its path or query, which may be secret. */
  host: string;
  ok: boolean;
  /** HTTP status of the last attempt, when one answered. */
  status?: number;
  attempts: number;
  signed: boolean;
  /** Why it failed (last attempt). */
  error?: string;
  at: string;
}
