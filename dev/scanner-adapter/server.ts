// HTTP surface of the adapter: GET /api/v1/metadata, POST /api/v1/scan, GET /api/v1/scan/{id}/report.
import { statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { loadAdvisoriesFile, type Advisory } from '../scan-core/apk';
import { MIME, metadata, parseScanRequest, pickReportMime, REPORT_MIMES } from './api';
import { Jobs, QueueFull, type Job, type ScanFn } from './jobs';
import { buildReport } from './report';
import { scanArtifact } from './scan';

const MAX_BODY = 64 * 1024;
/** Seconds Harbor waits before asking for a report again (Harbor parses it as int8). */
export const REFRESH_AFTER_S = 1;

export interface AdapterOptions {
  advisoriesPath: string;
  log?: (line: string) => void;
  /** replaces the registry scan (unit tests) */
  scan?: ScanFn;
  concurrency?: number;
}

function send(res: ServerResponse, status: number, type: string, body: unknown, extra = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}
const sendError = (res: ServerResponse, status: number, message: string): void =>
  send(res, status, MIME.error, { error: { message } });

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        resolve(null);
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(n > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function logLine(job: Job): string {
  const a = job.request.artifact;
  const ms = (job.finishedAt ?? 0) - (job.startedAt ?? job.submittedAt);
  const what =
    job.state === 'succeeded' && job.outcome
      ? `succeeded: ${job.outcome.findings.length} vulnerabilities in ${job.outcome.images} image(s), auth ${job.outcome.authMode}`
      : `failed: ${job.error ?? ''}`;
  return `scan ${job.id} ${a.repository}@${a.digest} ${what} (${ms} ms)`;
}

export class ScannerAdapter {
  readonly server: Server;
  readonly jobs: Jobs;
  private readonly log: (line: string) => void;
  private readonly advisories: Advisory[];
  private readonly updatedAt: string;

  constructor(opts: AdapterOptions) {
    this.log = opts.log ?? ((l) => console.error(`[scanner-adapter] ${l}`));
    // read once at start: a broken advisories file stops the adapter before Harbor registers it
    this.advisories = loadAdvisoriesFile(opts.advisoriesPath);
    this.updatedAt = statSync(opts.advisoriesPath).mtime.toISOString();
    const scan: ScanFn = opts.scan ?? ((req, cred) => scanArtifact(req, cred, this.advisories));
    this.jobs = new Jobs({
      scan,
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      onFinished: (j) => this.log(logLine(j)),
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.log(`internal error on ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) sendError(res, 500, 'internal error');
        else res.destroy();
      });
    });
  }

  listen(port: number, host = '127.0.0.1'): Promise<{ port: number; url: string }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address() as { port: number };
        resolve({ port: addr.port, url: `http://${host}:${addr.port}` });
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const method = req.method ?? 'GET';
    if (path === '/api/v1/metadata') {
      if (method !== 'GET') return sendError(res, 405, `${method} not allowed on ${path}; use GET`);
      return send(res, 200, MIME.metadata, metadata(this.updatedAt));
    }
    if (path === '/api/v1/scan') {
      if (method !== 'POST') return sendError(res, 405, `${method} not allowed on ${path}; use POST`);
      const body = await readBody(req);
      if (body === null) return sendError(res, 400, `scan request larger than ${MAX_BODY} bytes`);
      const parsed = parseScanRequest(body);
      if (!parsed.ok) return sendError(res, parsed.status, parsed.message);
      let job: Job;
      try {
        job = this.jobs.submit(parsed.value);
      } catch (e) {
        if (e instanceof QueueFull) return sendError(res, 500, e.message);
        throw e;
      }
      return send(res, 202, MIME.scanResponse, { id: job.id });
    }
    const m = /^\/api\/v1\/scan\/([^/]+)\/report$/.exec(path);
    if (m) {
      if (method !== 'GET') return sendError(res, 405, `${method} not allowed on ${path}; use GET`);
      const mime = pickReportMime(req.headers.accept);
      if (!mime)
        return sendError(
          res,
          422,
          `Accept ${req.headers.accept ?? ''} names no report type of this scanner; use one of: ${REPORT_MIMES.join(', ')}`,
        );
      const v = this.jobs.view(m[1]!); // ids are UUIDs: no decoding needed
      if (v.kind === 'missing') return sendError(res, 404, `no scan request with id ${m[1]}`);
      if (v.kind === 'pending') {
        // no Location header: Harbor's Go client would follow it instead of honouring Refresh-After
        res.writeHead(302, { 'refresh-after': String(REFRESH_AFTER_S), 'content-length': 0 });
        return void res.end();
      }
      if (v.kind === 'failed') return sendError(res, 500, v.error);
      return send(
        res,
        200,
        mime,
        buildReport(v.job.request, v.job.outcome.findings, new Date(v.job.finishedAt)),
      );
    }
    sendError(
      res,
      404,
      `no route ${method} ${path}; this is a Harbor scanner adapter (API v1.1 under /api/v1)`,
    );
  }
}
