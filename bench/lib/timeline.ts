/**
 * Where one promotion's wall time went after its approval, from its history's event times: waiting for a
 * worker to pick up a workflow task or an activity (ScheduledEvent → StartedEvent: queueing behind busy
 * slots, or a cache miss's replay), running them (Started → Completed), and the rest (signals from the
 * environment lock, timers). Sums over the events after WorkflowExecutionUpdateAccepted.
 */
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

export interface Timeline {
  /** Update accepted → workflow closed. */
  spanMs: number;
  wftWaitMs: number;
  wftRunMs: number;
  activityWaitMs: number;
  activityRunMs: number;
  /** Per activity type: wait and run. */
  byActivity: Record<string, { waitMs: number; runMs: number }>;
}

const ms = (e: Event | undefined): number => {
  const t = e?.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : NaN;
};

export function afterGateTimeline(events: Event[]): Timeline {
  const gate = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const t: Timeline = {
    spanMs: 0,
    wftWaitMs: 0,
    wftRunMs: 0,
    activityWaitMs: 0,
    activityRunMs: 0,
    byActivity: {},
  };
  if (gate < 0) return t;
  t.spanMs = ms(events[events.length - 1]) - ms(events[gate]);
  for (const e of events.slice(gate)) {
    const ws = e.workflowTaskStartedEventAttributes;
    if (ws) t.wftWaitMs += ms(e) - ms(byId.get(Number(ws.scheduledEventId)));
    const wc = e.workflowTaskCompletedEventAttributes ?? e.workflowTaskFailedEventAttributes;
    if (wc) t.wftRunMs += ms(e) - ms(byId.get(Number(wc.startedEventId)));
    const done =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    if (done) {
      const scheduled = byId.get(Number(done.scheduledEventId));
      const started = byId.get(Number(done.startedEventId));
      const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      const wait = ms(started) - ms(scheduled);
      const run = ms(e) - ms(started);
      t.activityWaitMs += wait;
      t.activityRunMs += run;
      const a = (t.byActivity[name] ??= { waitMs: 0, runMs: 0 });
      a.waitMs += wait;
      a.runMs += run;
    }
  }
  return t;
}

/** The mean of several timelines. */
export function meanTimeline(ts: Timeline[]): Timeline {
  const n = ts.length || 1;
  const m: Timeline = {
    spanMs: 0,
    wftWaitMs: 0,
    wftRunMs: 0,
    activityWaitMs: 0,
    activityRunMs: 0,
    byActivity: {},
  };
  for (const t of ts) {
    m.spanMs += t.spanMs / n;
    m.wftWaitMs += t.wftWaitMs / n;
    m.wftRunMs += t.wftRunMs / n;
    m.activityWaitMs += t.activityWaitMs / n;
    m.activityRunMs += t.activityRunMs / n;
    for (const [k, v] of Object.entries(t.byActivity)) {
      const a = (m.byActivity[k] ??= { waitMs: 0, runMs: 0 });
      a.waitMs += v.waitMs / n;
      a.runMs += v.runMs / n;
    }
  }
  return m;
}

/** One line for the report: "span 12.3 s = workflow tasks wait 4.1 s + run 0.3 s, activities wait …". */
export function describeTimeline(t: Timeline): string {
  const s = (x: number) => `${(x / 1000).toFixed(2)} s`;
  const other = t.spanMs - t.wftWaitMs - t.wftRunMs - t.activityWaitMs - t.activityRunMs;
  const acts = Object.entries(t.byActivity)
    .sort((a, b) => b[1].waitMs + b[1].runMs - (a[1].waitMs + a[1].runMs))
    .map(([k, v]) => `${k} ${s(v.waitMs)} + ${s(v.runMs)}`)
    .join(', ');
  return (
    `after the approval, a promotion took ${s(t.spanMs)} (mean of a sample): workflow tasks waited ${s(t.wftWaitMs)} ` +
    `and ran ${s(t.wftRunMs)}; activities waited ${s(t.activityWaitMs)} for a slot and ran ${s(t.activityRunMs)}; ` +
    `the rest, ${s(other)}, is between tasks (the environment lock's signals, history writes). Per activity, wait + run: ${acts}`
  );
}
