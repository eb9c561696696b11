/**
 * harbor-sim's `/_sim/*` control API (dev/harbor-sim/control.ts) from tests and benchmarks: fault
 * injection per route family, scan duration, scan completion, byte/request counters. Admin Basic auth.
 */
import { HarborAdmin } from './harbor';
import type { Env } from './env';

export const FAMILIES = ['api', 'v2', 'copy', 'scan', 'token'] as const;
export type Family = (typeof FAMILIES)[number];
export interface FaultRule {
  errorRate?: number;
  status?: number;
  latencyMs?: number;
  failNext?: number;
  /** only these methods, e.g. ['POST'] */
  methods?: string[];
  /** only paths containing this, e.g. '/blobs/uploads/' */
  pathIncludes?: string;
}
export interface Counter {
  requests: number;
  bytesIn: number;
  bytesOut: number;
  injected: number;
}

export class SimControl {
  private readonly admin: HarborAdmin;
  constructor(env: Env) {
    this.admin = new HarborAdmin(env);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.admin.request(path, {
      method,
      ...(body !== undefined && {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Replaces every fault rule (families not named get none). */
  setFaults(rules: Partial<Record<Family, FaultRule>>, scanner?: 'ok' | 'fail' | 'unavailable') {
    // The sim's schema wants every family (a zod record over an enum); an empty rule injects nothing.
    const all = Object.fromEntries(FAMILIES.map((f) => [f, rules[f] ?? {}]));
    return this.call('PUT', '/_sim/faults', { rules: all, ...(scanner && { scanner }) });
  }
  clearFaults() {
    return this.call('DELETE', '/_sim/faults');
  }
  /** Replaces every fault: REST artifact answers get these fields as given (e.g. `{tags: 42}`), nothing else. */
  setArtifactFields(fields: Record<string, unknown>) {
    return this.call('PUT', '/_sim/faults', { artifactFields: fields });
  }
  /** Scan duration for new (and running) scans; -1 = manual (completeScans/stepScans). */
  setScanDuration(ms: number) {
    return this.call<{ ms: number }>('PUT', '/_sim/scan-duration', { ms });
  }
  async scanDuration(): Promise<number> {
    return (await this.call<{ ms: number }>('GET', '/_sim/scan-duration')).ms;
  }
  completeScans() {
    return this.call<{ completed: number }>('POST', '/_sim/scans/complete');
  }
  counters() {
    return this.call<Partial<Record<Family, Counter>>>('GET', '/_sim/counters');
  }
  resetCounters() {
    return this.call('POST', '/_sim/counters/reset');
  }
  state() {
    return this.call<Record<string, number>>('GET', '/_sim/state');
  }
}

/** Sum of bytes in+out over the given families (what crossed the sim's HTTP boundary). */
export function bytesThrough(
  c: Partial<Record<Family, Counter>>,
  families: Family[] = ['api', 'v2', 'copy', 'scan', 'token'],
): number {
  return families.reduce((n, f) => n + (c[f]?.bytesIn ?? 0) + (c[f]?.bytesOut ?? 0), 0);
}
