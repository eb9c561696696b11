// Scan jobs: queued → running → succeeded | failed, a few at a time, finished ones kept for a while so
// Harbor can fetch the report. The registry credential lives only until the job starts pulling.
import { randomUUID } from 'node:crypto';
import type { Finding } from '../scan-core/findings';
import type { ScanRequest } from './api';
import type { AuthMode } from './registry';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

const NEXT: Record<JobState, JobState[]> = {
  queued: ['running'],
  running: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

export interface ScanOutcome {
  findings: Finding[];
  authMode: AuthMode;
  images: number;
}
/** Runs one scan; gets the request and the credential separately so the job need not keep the latter. */
export type ScanFn = (req: ScanRequest, credential: string | undefined) => Promise<ScanOutcome>;

export interface Job {
  readonly id: string;
  state: JobState;
  readonly request: ScanRequest;
  readonly submittedAt: number;
  startedAt?: number;
  finishedAt?: number;
  outcome?: ScanOutcome;
  error?: string;
}

export type JobView =
  | { kind: 'missing' }
  | { kind: 'pending'; state: 'queued' | 'running' }
  | { kind: 'failed'; error: string }
  | { kind: 'done'; job: Job & { outcome: ScanOutcome; finishedAt: number } };

export interface JobsOptions {
  scan: ScanFn;
  concurrency?: number;
  /** how long a finished job's report stays available */
  retainMs?: number;
  /** queued + running jobs accepted at once */
  maxOpen?: number;
  now?: () => number;
  onFinished?: (job: Job) => void;
}

export class QueueFull extends Error {}

export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private readonly credentials = new Map<string, string | undefined>();
  private readonly queue: string[] = [];
  private running = 0;
  private readonly idle = new Set<() => void>();
  private readonly o: Required<Omit<JobsOptions, 'onFinished'>> & Pick<JobsOptions, 'onFinished'>;

  constructor(opts: JobsOptions) {
    this.o = { concurrency: 2, retainMs: 3_600_000, maxOpen: 500, now: Date.now, ...opts };
  }

  private move(job: Job, to: JobState): void {
    if (!NEXT[job.state].includes(to)) throw new Error(`job ${job.id}: ${job.state} → ${to} is not allowed`);
    job.state = to;
  }

  submit(request: ScanRequest): Job {
    this.prune();
    if (this.queue.length + this.running >= this.o.maxOpen)
      throw new QueueFull(`${this.o.maxOpen} scans are already queued or running; retry later`);
    const job: Job = { id: randomUUID(), state: 'queued', request, submittedAt: this.o.now() };
    this.jobs.set(job.id, job);
    this.credentials.set(job.id, request.registry.authorization || undefined);
    // the stored request must not hold the credential either
    (job.request.registry as { authorization?: string }).authorization = undefined;
    this.queue.push(job.id);
    this.pump();
    return job;
  }

  view(id: string): JobView {
    this.prune();
    const job = this.jobs.get(id);
    if (!job) return { kind: 'missing' };
    if (job.state === 'queued' || job.state === 'running') return { kind: 'pending', state: job.state };
    if (job.state === 'failed') return { kind: 'failed', error: job.error ?? 'scan failed' };
    return { kind: 'done', job: job as Job & { outcome: ScanOutcome; finishedAt: number } };
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  drained(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.add(r));
  }

  private pump(): void {
    while (this.running < this.o.concurrency && this.queue.length) {
      const id = this.queue.shift()!;
      const job = this.jobs.get(id);
      if (!job) continue;
      const credential = this.credentials.get(id);
      this.credentials.delete(id);
      this.move(job, 'running');
      job.startedAt = this.o.now();
      this.running++;
      void this.run(job, credential);
    }
    if (this.running === 0 && this.queue.length === 0) {
      for (const r of this.idle) r();
      this.idle.clear();
    }
  }

  private async run(job: Job, credential: string | undefined): Promise<void> {
    try {
      job.outcome = await this.o.scan(job.request, credential);
      this.move(job, 'succeeded');
    } catch (e) {
      job.error = e instanceof Error ? e.message : String(e);
      this.move(job, 'failed');
    } finally {
      job.finishedAt = this.o.now();
      this.running--;
      this.o.onFinished?.(job);
      this.pump();
    }
  }

  private prune(): void {
    const cutoff = this.o.now() - this.o.retainMs;
    for (const [id, j] of this.jobs)
      if (j.finishedAt !== undefined && j.finishedAt < cutoff) this.jobs.delete(id);
  }
}
