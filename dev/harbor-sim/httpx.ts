// HTTP plumbing: request ids, bounded body reading, JSON/empty/error responses in Harbor's format.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HarborError, badRequest, envelope } from './errors';

export const MAX_JSON_BODY = 1 << 20; // 1 MiB
export const MAX_MANIFEST_BODY = 4 << 20; // distribution's manifest limit

export function requestId(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  const v = Array.isArray(h) ? h[0] : h;
  return v && v.length <= 256 ? v : randomUUID();
}

/** Read the whole body up to `limit` bytes; beyond it 413, and the rest of the upload is discarded. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      reject(new HarborError('REQUEST_ENTITY_TOO_LARGE', 'request body too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      n += c.length;
      if (n > limit) {
        done = true;
        chunks.length = 0;
        reject(new HarborError('REQUEST_ENTITY_TOO_LARGE', 'request body too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!done) reject(e);
    });
  });
}

export async function readJson(req: IncomingMessage, required = true): Promise<unknown> {
  const buf = await readBody(req, MAX_JSON_BODY);
  if (buf.length === 0) {
    if (required) throw badRequest('bad request: request body is required');
    return undefined;
  }
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (e) {
    throw badRequest(`bad request: ${e instanceof Error ? e.message : 'invalid JSON'}`);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

export function sendError(
  res: ServerResponse,
  err: HarborError,
  head = false,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = envelope(err);
  res.writeHead(err.status, {
    ...extra,
    ...err.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': head ? 0 : Buffer.byteLength(text),
  });
  res.end(head ? undefined : text);
}

export function toHarborError(e: unknown): HarborError {
  if (e instanceof HarborError) return e;
  return new HarborError('UNKNOWN', e instanceof Error ? e.message : String(e), 500);
}
