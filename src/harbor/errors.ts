/**
 * Typed errors for everything Harbor (REST or /v2) can answer. `errorFromResponse` is the ONE place that
 * turns an HTTP answer into an error; src/activities/failures.ts turns these into ApplicationFailures.
 * Messages carry Harbor's own `{"errors":[{code,message}]}` text and the X-Request-Id, never credentials.
 */

/** What the failing request was, for messages and for the failure mapping (REST vs registry). */
export interface RequestContext {
  method: string;
  /** Path with the query string removed; never contains credentials. */
  path: string;
  requestId: string;
  api: 'rest' | 'registry';
}

export class HarborError extends Error {
  override name = 'HarborError';
  constructor(
    message: string,
    readonly ctx: RequestContext,
  ) {
    super(message);
  }
}

/** Harbor answered with a non-2xx status. */
export class HarborHttpError extends HarborError {
  override name = 'HarborHttpError';
  constructor(
    readonly status: number,
    /** Harbor's error code (e.g. `FORBIDDEN`, `PROJECTPOLICYVIOLATION`), or `HTTP_<status>` when the body had none. */
    readonly code: string,
    /** Harbor's error message(s), joined; empty when the body had none (HEAD). */
    readonly harborMessage: string,
    ctx: RequestContext,
    /** Seconds from `Retry-After`, when sent (429/503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(
      `Harbor ${ctx.method} ${ctx.path} answered ${status} ${code}${harborMessage ? `: ${harborMessage}` : ''} (request id ${ctx.requestId})`,
      ctx,
    );
  }

  /** 5xx and 429 may go away on their own; everything else needs a person. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** No usable answer: connection refused/reset, DNS, timeout. Always transient. */
export class HarborNetworkError extends HarborError {
  override name = 'HarborNetworkError';
  readonly transient = true;
  constructor(
    readonly reason: string,
    ctx: RequestContext,
    readonly timedOut = false,
  ) {
    super(`Harbor ${ctx.method} ${ctx.path} failed: ${reason} (request id ${ctx.requestId})`, ctx);
  }
}

/** Harbor answered 2xx, but not with what the spec promises (a schema mismatch). Not transient. */
export class HarborResponseError extends HarborError {
  override name = 'HarborResponseError';
}

/**
 * A 2xx answer this client cannot read: a field of another shape than the schema (`tags: 42`), or a body
 * that is not JSON. Retrying cannot help (the same Harbor answers the same way), so the activity fails at
 * once with `HarborIncompatible` instead of retrying for the activity's whole schedule-to-close timeout.
 */
export class HarborIncompatibleError extends HarborResponseError {
  override name = 'HarborIncompatibleError';
  constructor(
    /** `GET /projects/{project_name}/…`: the swagger template, no names or ids of the user's. */
    readonly endpoint: string,
    /** Field path in the answer, e.g. `tags`, `[3].accessories[0].digest`, or `(body)` for non-JSON. */
    readonly field: string,
    /** What was wrong with it, e.g. `expected array, received number`. */
    readonly problem: string,
    /** Harbor's `harbor_version` from /systeminfo, or `unknown`. */
    readonly harborVersion: string,
    ctx: RequestContext,
  ) {
    super(
      `Harbor ${harborVersion} answered ${endpoint} in a shape this client does not understand: field '${field}': ${problem} (request id ${ctx.requestId}). ` +
        `harbor-promote is tested against Harbor v2.15.2; upgrade harbor-promote, or report this message with the Harbor version`,
      ctx,
    );
  }
}

/** A zod issue path as a field path: `['tags', 0, 'name']` → `tags[0].name`, `[3, 'tags']` → `[3].tags`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/** Parse Harbor's error envelope tolerantly: any JSON shape, or plain text, or nothing. */
export function parseErrorBody(body: string): { code?: string; message: string } {
  const text = body.trim();
  if (!text) return { message: '' };
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const errors = Array.isArray(parsed?.errors) ? parsed.errors : [];
    if (errors.length > 0) {
      const first = errors[0];
      return {
        code: typeof first?.code === 'string' ? first.code : undefined,
        message: errors
          .map((e) => (typeof e?.message === 'string' ? e.message : ''))
          .filter(Boolean)
          .join('; '),
      };
    }
  } catch {
    // not JSON: fall through and keep a short text excerpt
  }
  return { message: text.slice(0, 500) };
}

/** The one mapping from an HTTP answer (status + body + headers) to a typed error. */
export function errorFromResponse(
  status: number,
  body: string,
  ctx: RequestContext,
  retryAfter?: string | string[],
): HarborHttpError {
  const parsed = parseErrorBody(body);
  const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  const seconds = header !== undefined && /^\d+$/.test(header.trim()) ? Number(header.trim()) : undefined;
  return new HarborHttpError(status, parsed.code ?? `HTTP_${status}`, parsed.message, ctx, seconds);
}

export function isTransient(err: unknown): boolean {
  return (err instanceof HarborHttpError && err.transient) || err instanceof HarborNetworkError;
}
