/** Human output: the status board (status/watch), list rows and the promotion record. Pure functions. */
import type { PromotionRecord, StepRecord } from '../domain/promotion.js';
import type { PromotionStatus } from '../workflows/messages.js';

const MARK: Record<StepRecord['state'], string> = {
  pending: '·',
  running: '▶',
  waiting: '…',
  succeeded: '✓',
  skipped: '-',
  failed: '✗',
  cancelled: '✗',
};

export function shortDigest(d: string | undefined): string {
  if (!d) return '-';
  return d.startsWith('sha256:') ? `${d.slice(0, 19)}…` : d;
}

/** Step details and failures can carry tool output: the board shows the first line, shortened. */
export function oneLine(text: string | undefined, max = 140): string {
  if (!text) return '';
  const first = text.split('\n')[0]!.trim();
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

/** A failure for humans: the first line and, when the message goes on, its last line (the fix). */
export function failureLines(text: string): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length <= 1) return lines;
  return [lines[0]!, lines[lines.length - 1]!];
}

function clock(iso: string | undefined): string {
  return iso ? iso.slice(11, 19) : '';
}

function elapsed(a?: string, b?: string): string {
  if (!a || !b) return '';
  const s = Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A Temporal failure as `describe()` returns it (raw proto): message, type and the cause chain. */
export interface RawFailure {
  message?: string | null;
  cause?: RawFailure | null;
  applicationFailureInfo?: { type?: string | null } | null;
}

/** The fields of a raw `PendingActivityInfo` the board reads (structural, so tests can pass plain objects). */
export interface RawPendingActivity {
  activityType?: { name?: string | null } | null;
  attempt?: number | null;
  maximumAttempts?: number | null;
  lastFailure?: RawFailure | null;
  nextAttemptScheduleTime?: { seconds?: number | string | { toNumber(): number } | null } | null;
}

/** An activity Temporal is retrying, as `status`/`watch` show it (the workflow itself cannot see retries). */
export interface RetryingActivity {
  activity: string;
  attempt: number;
  /** `<Type>: <message>`, then each cause's message (`… ← cause`). */
  lastFailure: string;
  nextAttemptAt?: string;
}

function seconds(v: NonNullable<RawPendingActivity['nextAttemptScheduleTime']>['seconds']): number {
  if (v === null || v === undefined) return NaN;
  return typeof v === 'object' ? v.toNumber() : Number(v);
}

/** The retrying activities of `handle.describe().raw.pendingActivities`: those with a last failure. */
export function retryingActivities(
  pending: readonly RawPendingActivity[] | null | undefined,
): RetryingActivity[] {
  const out: RetryingActivity[] = [];
  for (const p of pending ?? []) {
    if (!p.lastFailure) continue;
    const parts: string[] = [];
    for (let f: RawFailure | null | undefined = p.lastFailure, i = 0; f && i < 5; f = f.cause, i++) {
      const type = f.applicationFailureInfo?.type;
      if (f.message) parts.push(type ? `${type}: ${f.message}` : f.message);
    }
    const next = seconds(p.nextAttemptScheduleTime?.seconds);
    out.push({
      activity: p.activityType?.name ?? 'activity',
      attempt: p.attempt ?? 1,
      lastFailure: parts.join(' ← ') || 'failed (no message)',
      ...(Number.isFinite(next) && next > 0 && { nextAttemptAt: new Date(next * 1000).toISOString() }),
    });
  }
  return out;
}

/** One line per retrying activity: which, the attempt, the last failure, when it runs again. */
export function retryingLines(retrying: readonly RetryingActivity[]): string[] {
  return retrying.map(
    (r) =>
      `  retrying ${r.activity} (attempt ${r.attempt}${r.nextAttemptAt ? `, next at ${clock(r.nextAttemptAt)}` : ''}): ${oneLine(r.lastFailure, 400)}`,
  );
}

/** The status board: header, one line per step, the pending gate and the command that moves it. */
export function renderStatus(
  st: PromotionStatus,
  extra: { url?: string; retrying?: readonly RetryingActivity[] } = {},
): string[] {
  const lines: string[] = [];
  lines.push(`${st.promotionId}`);
  lines.push(
    `  image ${st.repository}${st.reference.startsWith('sha256:') ? '@' : ':'}${st.reference}   digest ${st.digest ?? '(not resolved yet)'}`,
  );
  lines.push(`  stage ${st.stage} in ${st.currentEnvironment}   path ${st.environments.join(' → ')}`);
  for (const s of st.steps) {
    const time = s.finishedAt
      ? `${clock(s.startedAt)} ${elapsed(s.startedAt, s.finishedAt).padStart(6)}`
      : clock(s.startedAt);
    lines.push(
      `  ${MARK[s.state]} ${(s.environment ?? '').padEnd(12)} ${s.step.padEnd(26)} ${s.state.padEnd(9)} ${time.padEnd(16)} ${oneLine(s.detail)}`.trimEnd(),
    );
  }
  if (st.pendingGate) {
    const g = st.pendingGate;
    lines.push(`  waiting for: ${g.needs}${g.until ? ` (until ${g.until})` : ''}`);
    if (g.command) lines.push(`  to move it:  ${g.command}`);
  }
  if (st.failure)
    lines.push(...failureLines(st.failure).map((l, i) => (i === 0 ? `  failed: ${l}` : `          ${l}`)));
  for (const m of st.ignoredMessages.slice(-3))
    lines.push(
      `  ignored ${m.kind} for ${m.environment}${m.approver ? ` from ${m.approver}` : ''}: ${m.reason}`,
    );
  if (!st.failure) lines.push(...retryingLines(extra.retrying ?? []));
  if (extra.url) lines.push(`  UI: ${extra.url}`);
  return lines;
}

/** One line for plain (non-TTY) watch output: printed when something changed. */
export function statusLine(st: PromotionStatus, retrying: readonly RetryingActivity[] = []): string {
  const active = st.steps.find((s) => s.state === 'running' || s.state === 'waiting');
  const what = st.pendingGate
    ? `waiting for ${st.pendingGate.needs}${st.pendingGate.command ? ` — ${st.pendingGate.command}` : ''}`
    : active
      ? `${active.step}${active.detail ? `: ${oneLine(active.detail)}` : ''}`
      : st.failure
        ? `failed: ${oneLine(st.failure, 400)}`
        : '';
  const r = st.failure ? undefined : retrying[0];
  const retry = r ? ` — retrying ${r.activity} (attempt ${r.attempt}): ${oneLine(r.lastFailure, 400)}` : '';
  return `${new Date().toISOString().slice(11, 19)} ${st.stage.padEnd(17)} ${st.currentEnvironment.padEnd(12)} ${what}${retry}`.trimEnd();
}

export interface ListRow {
  workflowId: string;
  status: string;
  stage?: string;
  environment?: string;
  repository?: string;
  tag?: string;
  digest?: string;
  startTime: string;
  closeTime?: string;
}

export function renderList(rows: ListRow[]): string[] {
  if (rows.length === 0) return ['no promotions match'];
  const head = ['ID', 'STATUS', 'STAGE', 'ENVIRONMENT', 'DIGEST', 'STARTED'];
  const body = rows.map((r) => [
    r.workflowId,
    r.status,
    r.stage ?? '-',
    r.environment ?? '-',
    shortDigest(r.digest),
    r.startTime.replace('T', ' ').slice(0, 19),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cols: string[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...body.map(fmt)];
}

/** The digest table: one row per project, and whether every digest is the pinned one. */
export function renderDigestTable(proof: PromotionRecord['proof'], pinned: string): string[] {
  const head = ['PROJECT', 'REPOSITORY', 'DIGEST', 'SIGNED'];
  const body = proof.map((p) => [p.project, p.repository, p.digest, p.signed ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cols: string[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const same = proof.every((p) => p.digest === pinned);
  return [
    fmt(head),
    ...body.map(fmt),
    same ? `all ${proof.length} digests identical: ${pinned}` : `DIGESTS DIFFER (pinned ${pinned})`,
  ];
}

export function renderRecord(r: PromotionRecord): string[] {
  const lines = [
    `${r.promotionId}: completed`,
    `  image ${r.repository}${r.reference.startsWith('sha256:') ? '@' : ':'}${r.reference} → ${r.digest}`,
    `  path ${r.environments.join(' → ')}   ${r.startedAt} … ${r.finishedAt} (${elapsed(r.startedAt, r.finishedAt)})`,
  ];
  if (r.requestedBy) lines.push(`  requested by ${r.requestedBy}`);
  for (const [env, s] of Object.entries(r.scans)) {
    const counts = Object.entries(s.bySeverity)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(`  scan ${env}: highest ${s.severity}${counts ? ` (${counts})` : ''}, report ${s.reportId}`);
  }
  for (const [env, why] of Object.entries(r.notScanned ?? {})) lines.push(`  scan ${env}: ${why}`);
  for (const [env, a] of Object.entries(r.approvals))
    lines.push(
      `  approval ${env}: ${a.decision}${a.approvals.length ? ` by ${a.approvals.map((x) => x.approver + (x.comment ? ` ("${x.comment}")` : '') + (x.signature ? ` [signed ${x.signature.fingerprint}]` : '')).join(', ')}` : ''}`,
    );
  for (const [env, v] of Object.entries(r.verifications))
    lines.push(`  verification ${env}: ${v.passed ? 'passed' : 'failed'}${v.url ? ` ${v.url}` : ''}`);
  for (const [env, o] of Object.entries(r.overlays))
    lines.push(
      `  overlay ${env}: ${o.path} @ ${o.commit.slice(0, 12)}${o.changed ? '' : ' (already current)'}`,
    );
  lines.push('', ...renderDigestTable(r.proof, r.digest));
  return lines;
}
