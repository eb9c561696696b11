// The sim's shared context: state store, backing registry client, scanner and fault switches.
import { randomBytes } from 'node:crypto';
import { Faults } from './faults';
import { RegistryClient } from './registry-client';
import { Scanner } from './scanner';
import { seed } from './seed';
import type { ArtifactRec, ProjectRec, State } from './store';
import { Store, emptyState } from './store';
import { scannable } from './render';

export interface SimOptions {
  registryUrl: string;
  dataDir: string;
  scanDurationMs: number;
  log?: (msg: string) => void;
}

export class Sim {
  readonly store: Store;
  readonly faults = new Faults();
  readonly registry: RegistryClient;
  readonly scanner: Scanner;
  scanDurationMs: number;
  /** delay between a push/copy and its auto-scan, so "straight after a copy" stays observable (§4, §10.10) */
  autoScanDelayMs = 100;
  readonly log: (msg: string) => void;

  constructor(opts: SimOptions) {
    this.store = Store.open(opts.dataDir, () => emptyState(randomBytes(32).toString('hex')));
    this.registry = new RegistryClient(opts.registryUrl.replace(/\/$/, ''));
    this.scanDurationMs = opts.scanDurationMs;
    this.log = opts.log ?? (() => undefined);
    seed(this.store);
    this.store.save();
    this.scanner = new Scanner(this);
  }

  get s(): State {
    return this.store.state;
  }

  ids(kind: string): () => number {
    return () => this.store.nextId(kind);
  }

  save(): void {
    this.store.save();
  }

  /**
   * PUSH_ARTIFACT: auto-scan where the project asks for it. Accessories are skipped silently. A push starts
   * it after `autoScanDelayMs`; a copy (`now`) starts it before its 201 is sent, as Harbor v2.15.2 does.
   */
  onPush(project: ProjectRec, art: ArtifactRec, o: { now?: boolean } = {}): void {
    if (project.metadata.auto_scan !== 'true' || this.faults.scanner === 'unavailable') return;
    if (!scannable(this.s, art)) return;
    if (o.now) {
      this.scanner.tryStart(art);
      return;
    }
    const fire = (): void => {
      this.pendingAutoScans.delete(timer);
      const live = this.s.artifacts.find((a) => a.id === art.id);
      if (live) this.scanner.tryStart(live);
    };
    const timer = setTimeout(fire, this.autoScanDelayMs).unref();
    this.pendingAutoScans.set(timer, fire);
  }

  private readonly pendingAutoScans = new Map<NodeJS.Timeout, () => void>();

  /** Start every auto-scan that is still waiting for its delay (used by /_sim/scans/step and complete). */
  flushAutoScans(): void {
    for (const [timer, fire] of [...this.pendingAutoScans]) {
      clearTimeout(timer);
      fire();
    }
  }

  shutdown(): void {
    for (const timer of this.pendingAutoScans.keys()) clearTimeout(timer);
    this.pendingAutoScans.clear();
    this.scanner.shutdown();
  }
}
