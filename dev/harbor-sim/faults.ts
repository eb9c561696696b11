// Fault injection (off by default) and per-family byte/request counters, switchable at run time via /_sim.
import { z } from 'zod';
import { HarborError } from './errors';

export const FAMILIES = ['api', 'v2', 'copy', 'scan', 'token'] as const;
export type Family = (typeof FAMILIES)[number];

export const FaultRuleSchema = z.object({
  errorRate: z.number().min(0).max(1).default(0),
  status: z.number().int().min(400).max(599).default(500),
  latencyMs: z.number().int().min(0).max(120_000).default(0),
  /** fail exactly the next N requests of this family (deterministic), then stop */
  failNext: z.number().int().min(0).default(0),
  /** only requests with one of these methods (e.g. ["POST"] for blob upload starts); default: all */
  methods: z.array(z.string().toUpperCase()).optional(),
  /** only requests whose path contains this text (e.g. "/blobs/uploads/"); default: all */
  pathIncludes: z.string().min(1).optional(),
});
export type FaultRule = z.infer<typeof FaultRuleSchema>;

export const ScannerModeSchema = z.enum(['ok', 'fail', 'unavailable']);
export type ScannerMode = z.infer<typeof ScannerModeSchema>;

export interface Counter {
  requests: number;
  bytesIn: number;
  bytesOut: number;
  injected: number;
}

const STATUS_CODE: Record<number, string> = {
  429: 'TOO_MANY_REQUEST',
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  412: 'PRECONDITION',
};

/**
 * Artifact fields replaced in every REST artifact answer (GET and list), e.g. `{"tags": 42}`: a Harbor whose
 * answer changed shape, to prove the client fails with HarborIncompatible instead of retrying.
 */
export const ArtifactFieldsSchema = z.record(z.string().min(1), z.unknown());

export class Faults {
  rules: Partial<Record<Family, FaultRule>> = {};
  scanner: ScannerMode = 'ok';
  artifactFields: Record<string, unknown> = {};
  counters: Record<string, Counter> = {};

  counter(f: Family): Counter {
    return (this.counters[f] ??= { requests: 0, bytesIn: 0, bytesOut: 0, injected: 0 });
  }

  resetCounters(): void {
    this.counters = {};
  }

  clear(): void {
    this.rules = {};
    this.scanner = 'ok';
    this.artifactFields = {};
  }

  /** Sleep for the configured latency, then maybe throw the injected error. copy/scan fall back to the api rule. */
  async apply(f: Family, req?: { method?: string; path: string }): Promise<void> {
    const rule = this.rules[f] ?? (f === 'copy' || f === 'scan' ? this.rules.api : undefined);
    if (!rule) return;
    // A filtered rule leaves other requests alone entirely (no latency, no failNext consumed).
    if (rule.methods && !rule.methods.includes((req?.method ?? 'GET').toUpperCase())) return;
    if (rule.pathIncludes && !req?.path.includes(rule.pathIncludes)) return;
    if (rule.latencyMs > 0) await new Promise((r) => setTimeout(r, rule.latencyMs));
    let fail = false;
    if (rule.failNext > 0) {
      rule.failNext--;
      fail = true;
    } else if (rule.errorRate > 0 && Math.random() < rule.errorRate) fail = true;
    if (!fail) return;
    this.counter(f).injected++;
    const code = STATUS_CODE[rule.status] ?? (rule.status >= 500 ? 'UNKNOWN' : 'BAD_REQUEST');
    const headers: Record<string, string> = rule.status === 429 ? { 'Retry-After': '1' } : {};
    throw new HarborError(
      code,
      rule.status === 429 ? 'too many requests' : 'injected fault',
      rule.status,
      headers,
    );
  }
}
