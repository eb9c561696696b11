/**
 * Harbor REST client (/api/v2.0) on undici. One keep-alive Pool per Harbor; per-request timeouts; an
 * `X-Request-Id` on every request (kept in errors); Basic auth per request and no cookie jar, so CSRF never
 * applies (harbor-api.md §1). Retry policy: idempotent GET/HEAD are retried here on 5xx/429/network errors
 * a few times with backoff; POST/PUT/DELETE are never retried here, the activity's Temporal retry policy
 * retries them (every activity is idempotent).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import {
  errorFromResponse,
  fieldPath,
  HarborError,
  HarborIncompatibleError,
  HarborNetworkError,
  isTransient,
  type RequestContext,
} from './errors.js';
import { fillTemplate, nextLink } from './paths.js';

export const API_BASE = '/api/v2.0';

/** What a contract test records: the swagger path template, the method and the query parameter names. */
export interface RecordedRequest {
  method: string;
  api: 'rest' | 'registry';
  /** Swagger template relative to basePath (REST) or the /v2 route shape (registry). */
  template: string;
  path: string;
  query: string[];
  status?: number;
}

export interface HarborConnectionOptions {
  /** e.g. `http://127.0.0.1:8080` (anything after the origin is ignored). */
  baseUrl: string;
  username: string;
  password: string;
  /** Per-request timeout (headers + body), default 30 s. */
  timeoutMs?: number;
  /** Extra attempts for idempotent requests on transient errors, default 3. */
  retries?: number;
  retryBaseDelayMs?: number;
  connections?: number;
  onRequest?: (r: RecordedRequest) => void;
}

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  api?: 'rest' | 'registry';
  /** REST: swagger template relative to /api/v2.0. Registry: literal path (already encoded). */
  template: string;
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  /** Statuses that are not errors (default: any 2xx). */
  accept?: number[];
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  requestId: string;
  /** The body as received; a signature is checked over exact bytes, which a UTF-8 round trip may alter. */
  bytes?: Buffer;
}

/** Counters: tests use `bytesReceived` to prove a server-side copy moves no image bytes through us. */
export interface ConnectionStats {
  requests: number;
  bytesReceived: number;
  bytesSent: number;
}

export class HarborConnection {
  readonly origin: string;
  readonly stats: ConnectionStats = { requests: 0, bytesReceived: 0, bytesSent: 0 };
  private readonly pool: Dispatcher;
  private readonly auth: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;

  constructor(private readonly opts: HarborConnectionOptions) {
    this.origin = new URL(opts.baseUrl).origin;
    this.pool = new Pool(this.origin, { connections: opts.connections ?? 16, keepAliveTimeout: 30_000 });
    this.auth = 'Basic ' + Buffer.from(`${opts.username}:${opts.password}`).toString('base64');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
    this.retryBaseDelayMs = opts.retryBaseDelayMs ?? 250;
  }

  /** Host[:port] as registry clients (skopeo, cosign) name it. */
  get registryHost(): string {
    return new URL(this.origin).host;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Send a request; idempotent methods are retried on transient failures. Throws typed HarborErrors. */
  async request(spec: RequestSpec): Promise<RawResponse> {
    const idempotent = spec.method === 'GET' || spec.method === 'HEAD';
    const attempts = idempotent ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(spec);
      } catch (err) {
        if (attempt >= attempts || !isTransient(err) || spec.signal?.aborted) throw err;
        const retryAfter = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
        const backoff = this.retryBaseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        const delay = Math.min(retryAfter !== undefined ? retryAfter * 1000 : backoff, 10_000);
        await sleep(delay, undefined, spec.signal ? { signal: spec.signal } : undefined);
      }
    }
  }

  private async once(spec: RequestSpec): Promise<RawResponse> {
    const api = spec.api ?? 'rest';
    const filled = api === 'rest' ? API_BASE + fillTemplate(spec.template, spec.params ?? {}) : spec.template;
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) search.set(k, String(v));
    const qs = search.toString();
    const requestId = randomUUID();
    const ctx: RequestContext = { method: spec.method, path: filled, requestId, api };
    const headers: Record<string, string> = {
      authorization: this.auth,
      'x-request-id': requestId,
      accept: 'application/json',
      ...spec.headers,
    };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
      this.stats.bytesSent += Buffer.byteLength(body);
    }
    const record: RecordedRequest = {
      method: spec.method,
      api,
      template: spec.template,
      path: filled,
      query: [...search.keys()],
    };
    this.stats.requests++;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        method: spec.method,
        path: qs ? `${filled}?${qs}` : filled,
        headers,
        body,
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      this.opts.onRequest?.(record);
      if (spec.signal?.aborted) throw spec.signal.reason ?? err;
      throw new HarborNetworkError(describeNetworkError(err), ctx, timeout.aborted);
    }
    let text: string;
    let buf: Buffer;
    try {
      buf = Buffer.from(await res.body.arrayBuffer());
      this.stats.bytesReceived += buf.length;
      text = buf.toString('utf8');
    } catch (err) {
      if (spec.signal?.aborted) throw spec.signal.reason ?? err;
      throw new HarborNetworkError(
        `reading the response: ${describeNetworkError(err)}`,
        ctx,
        timeout.aborted,
      );
    }
    this.opts.onRequest?.({ ...record, status: res.statusCode });
    const ok = spec.accept
      ? spec.accept.includes(res.statusCode)
      : res.statusCode >= 200 && res.statusCode < 300;
    if (!ok) throw errorFromResponse(res.statusCode, text, ctx, res.headers['retry-after']);
    return { status: res.statusCode, headers: res.headers, body: text, requestId, bytes: buf };
  }

  /** GET + JSON + zod. A 2xx answer of another shape throws HarborIncompatibleError. */
  async getJson<S extends z.ZodType>(schema: S, spec: Omit<RequestSpec, 'method'>): Promise<z.infer<S>> {
    const res = await this.request({ ...spec, method: 'GET' });
    return this.parseJson(schema, res, spec.template);
  }

  /** GET every page of a list endpoint (page_size 100, following `Link: rel="next"`, bounded by X-Total-Count). */
  async listAll<S extends z.ZodType>(schema: S, spec: Omit<RequestSpec, 'method'>): Promise<z.infer<S>[]> {
    const items: z.infer<S>[] = [];
    const pageSize = 100;
    for (let page = 1; page <= 1000; page++) {
      const res = await this.request({
        ...spec,
        method: 'GET',
        query: { ...spec.query, page, page_size: pageSize },
      });
      // An empty list may come as `null` (a nil Go slice), like every other array Harbor sends.
      const data = (await this.parseJson(schema.array().nullable(), res, spec.template)) ?? [];
      items.push(...(data as z.infer<S>[]));
      const total = Number(header(res.headers, 'x-total-count') ?? NaN);
      const hasNext = nextLink(header(res.headers, 'link')) !== undefined;
      if (data.length === 0 || (!hasNext && (Number.isNaN(total) || items.length >= total))) break;
      if (!Number.isNaN(total) && items.length >= total) break;
    }
    return items;
  }

  /**
   * Harbor's `harbor_version` (GET /systeminfo), asked only when an answer did not parse, so the
   * HarborIncompatible message names the version; cached per connection once known, `unknown` (and asked
   * again next time) when /systeminfo fails or does not say.
   */
  harborVersion(): Promise<string> {
    this.version ??= this.request({ method: 'GET', template: '/systeminfo' })
      .then((res) => {
        const v = (JSON.parse(res.body) as { harbor_version?: unknown } | null)?.harbor_version;
        if (typeof v !== 'string' || !v) throw new Error('no harbor_version');
        return v;
      })
      .catch(() => {
        this.version = undefined;
        return 'unknown';
      });
    return this.version;
  }
  private version?: Promise<string>;

  private async parseJson<S extends z.ZodType>(
    schema: S,
    res: RawResponse,
    template: string,
  ): Promise<z.infer<S>> {
    const ctx: RequestContext = { method: 'GET', path: template, requestId: res.requestId, api: 'rest' };
    const endpoint = `GET ${template}`;
    let json: unknown;
    try {
      json = res.body.trim() ? JSON.parse(res.body) : undefined;
    } catch {
      const excerpt = res.body.trim().slice(0, 60).replace(/\s+/g, ' ');
      throw new HarborIncompatibleError(
        endpoint,
        '(body)',
        `not JSON (starts with ${JSON.stringify(excerpt)}; is HARBOR_URL Harbor itself, not a login page or proxy?)`,
        await this.harborVersion(),
        ctx,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
      throw new HarborIncompatibleError(
        endpoint,
        fieldPath(issue.path),
        `${issue.message.replace(/^Invalid input: /, '')}${more}`,
        await this.harborVersion(),
        ctx,
      );
    }
    return parsed.data;
  }
}

export function header(headers: RawResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function describeNetworkError(err: unknown): string {
  if (err instanceof HarborError) return err.message;
  const e = err as { code?: string; message?: string; name?: string };
  return [e.name, e.code, e.message].filter(Boolean).join(' ');
}
