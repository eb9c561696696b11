// Trivy stand-in: reports keyed by digest (shared across projects), Pending → Running → Success/Error,
// findings read from the image's own layers (lib/apk/db/installed) against advisories.json.
import { randomUUID } from 'node:crypto';
import { scanImages } from '../scan-core/findings';
import { storedSeverity } from './severity';
import { loadAdvisories } from './apk';
import { conflict } from './errors';
import { isFinal } from './report';
import type { Sim } from './sim';
import type { ArtifactRec, ReportRec, VulnRec } from './store';
import { now } from './store';
import { repoById } from './model';

const PENDING_MS = 50;

export class Scanner {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly sim: Sim) {
    for (const r of sim.s.reports) if (!isFinal(r.status)) this.schedule(r);
  }

  report(digest: string): ReportRec | undefined {
    return this.sim.s.reports.find((r) => r.digest === digest);
  }

  /** Start a scan: 409 while one is Pending/Scheduled/Running; the previous report is deleted. */
  start(art: ArtifactRec): ReportRec {
    const prev = this.report(art.digest);
    if (prev && !isFinal(prev.status)) throw conflict(`a previous scan process is ${prev.status}`);
    const s = this.sim.s;
    s.reports = s.reports.filter((r) => r.digest !== art.digest);
    const r: ReportRec = {
      digest: art.digest,
      reportId: randomUUID(),
      status: 'Pending',
      startTime: null,
      endTime: null,
      createdAt: now(),
      vulnerabilities: [],
      log: [`${now()} scan requested for ${art.digest}`],
      repository: repoById(s, art.repositoryId).name,
    };
    s.reports.push(r);
    this.sim.save();
    this.schedule(r);
    return r;
  }

  /** The auto-scan path: a running scan is left alone (Harbor's 409 is swallowed). */
  tryStart(art: ArtifactRec): void {
    try {
      this.start(art);
    } catch {
      /* already running */
    }
  }

  stop(digest: string): boolean {
    const r = this.report(digest);
    if (!r || isFinal(r.status)) return false;
    this.clear(r);
    r.status = 'Stopped';
    r.endTime = now();
    r.startTime ??= r.endTime;
    this.sim.save();
    return true;
  }

  private clear(r: ReportRec): void {
    const t = this.timers.get(r.reportId);
    if (t) clearTimeout(t);
    this.timers.delete(r.reportId);
  }

  /** Timers per the configured duration; a negative duration means manual (step/complete via /_sim). */
  private schedule(r: ReportRec): void {
    this.clear(r);
    const d = this.sim.scanDurationMs;
    if (d < 0) return;
    if (r.status === 'Pending' || r.status === 'Scheduled') {
      this.timers.set(
        r.reportId,
        setTimeout(() => this.toRunning(r.reportId), Math.min(PENDING_MS, d)).unref(),
      );
    } else if (r.status === 'Running') {
      const started = r.startTime ? Date.parse(r.startTime) : Date.now();
      const left = Math.max(0, started + d - Date.now());
      this.timers.set(r.reportId, setTimeout(() => void this.finish(r.reportId), left).unref());
    }
  }

  private live(reportId: string): ReportRec | undefined {
    return this.sim.s.reports.find((r) => r.reportId === reportId);
  }

  private toRunning(reportId: string): void {
    const r = this.live(reportId);
    if (!r || r.status !== 'Pending') return;
    r.status = 'Running';
    r.startTime = now();
    r.log.push(`${r.startTime} scan running`);
    this.sim.save();
    this.schedule(r);
  }

  /** Run the scan to a final status now. Concurrent calls share the work. */
  finish(reportId: string): Promise<void> {
    const existing = this.running.get(reportId);
    if (existing) return existing;
    const p = this.doFinish(reportId).finally(() => this.running.delete(reportId));
    this.running.set(reportId, p);
    return p;
  }

  private async doFinish(reportId: string): Promise<void> {
    const r = this.live(reportId);
    if (!r || isFinal(r.status)) return;
    this.clear(r);
    if (r.status === 'Pending') this.toRunning(reportId);
    this.clear(r);
    let vulns: VulnRec[] = [];
    let error = '';
    if (this.sim.faults.scanner !== 'ok') error = 'scanner failure (injected)';
    else {
      try {
        vulns = await this.findings(r);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    }
    const cur = this.live(reportId);
    if (!cur || isFinal(cur.status)) return; // deleted or stopped meanwhile
    cur.status = error ? 'Error' : 'Success';
    cur.vulnerabilities = vulns;
    cur.endTime = now();
    cur.log.push(
      `${cur.endTime} ${error ? `scan failed: ${error}` : `scan finished: ${vulns.length} vulnerabilities`}`,
    );
    this.sim.save();
  }

  /** Advance every unfinished scan one step (Pending → Running → final). */
  async step(): Promise<number> {
    const open = this.sim.s.reports.filter((r) => !isFinal(r.status));
    this.sim.flushAutoScans(); // scans created by the flush start as Pending and are not advanced now
    for (const r of open) {
      if (r.status === 'Pending' || r.status === 'Scheduled') this.toRunning(r.reportId);
      else await this.finish(r.reportId);
    }
    return open.length;
  }

  async completeAll(): Promise<number> {
    this.sim.flushAutoScans();
    const open = this.sim.s.reports.filter((r) => !isFinal(r.status));
    await Promise.all(open.map((r) => this.finish(r.reportId)));
    return open.length;
  }

  reschedule(): void {
    for (const r of this.sim.s.reports) if (!isFinal(r.status)) this.schedule(r);
  }

  shutdown(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Read the apk database from the layers (dev/scan-core, shared with the scanner adapter). */
  private async findings(r: ReportRec): Promise<VulnRec[]> {
    const s = this.sim.s;
    const art = s.artifacts.find((a) => a.digest === r.digest);
    if (!art) throw new Error('artifact gone');
    const repo =
      s.repositories.find(
        (x) =>
          x.name === r.repository &&
          s.artifacts.some((a) => a.repositoryId === x.id && a.digest === r.digest),
      ) ?? repoById(s, art.repositoryId);
    // an index is the union of its children's findings
    const images = art.children.length
      ? art.children
          .map((c) => s.artifacts.find((a) => a.repositoryId === repo.id && a.digest === c.digest))
          .filter((a) => a !== undefined)
      : [art];
    const found = await scanImages(
      images.map((img) => img.layers),
      (digest) => this.sim.registry.blobStream(repo.name, digest),
      loadAdvisories(),
    );
    // stored as Harbor's report converter stores it (a scanner's Negligible becomes None)
    return found.map((f) => ({ ...f, severity: storedSeverity(f.severity) }));
  }
}
