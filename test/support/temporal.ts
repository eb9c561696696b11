/**
 * Temporal from a test: a client for the stack's server, readiness of a worker (its poller is listed on
 * the task queue), history export and counting, and a stop/start of the stack's dev server (same SQLite
 * file, so nothing is lost) for the "server restarts during an approval wait" proof.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal as temporalService } from '../../dev/stack/components';
import { paths, stackConfig, type StackConfig } from '../../dev/stack/config';
import { isOurs, readPid, startDetached, stopProcess, waitFor } from '../../dev/stack/processes';
import { ensureTools } from '../../scripts/tools';
import { need, type Env } from './env';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function connectClient(env: Env): Promise<Client> {
  const connection = await Connection.connect({ address: need(env, 'TEMPORAL_ADDRESS') });
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE || 'default' });
}

/** Identities of the workflow pollers seen on a task queue (recent ones, so a dead worker may linger). */
export async function pollerIdentities(client: Client, taskQueue: string): Promise<string[]> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: 1 /* NORMAL */ },
    taskQueueType: 1 /* WORKFLOW */,
  });
  return (res.pollers ?? []).map((p) => p.identity ?? '');
}

/** Polls `check` until it yields a value (not undefined/false); fails with `what` after the timeout. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`,
  );
}

/** The whole history as the `temporal workflow show -o json` JSON (the SDK's historyToJSON form). */
export async function historyJson(handle: WorkflowHandle): Promise<{ text: string; events: number }> {
  const history = await handle.fetchHistory();
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils.js');
  return { text: historyToJSON(history), events: history.events?.length ?? 0 };
}

/** Counts events of each type in a history (e.g. ActivityTaskScheduled per activity type). */
export async function historyEvents(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  return history.events ?? [];
}

/** Activity type name → attempts seen in ActivityTaskStarted events (attempt > 1 means a retry ran). */
export async function activityAttempts(handle: WorkflowHandle): Promise<Record<string, number[]>> {
  const events = await historyEvents(handle);
  const typeOf = new Map<string, string>();
  const out: Record<string, number[]> = {};
  for (const e of events) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes)
      typeOf.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    if (e.activityTaskStartedEventAttributes) {
      const t = typeOf.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) ?? '?';
      (out[t] ??= []).push(e.activityTaskStartedEventAttributes.attempt ?? 1);
    }
  }
  return out;
}

/**
 * Stops the stack's Temporal dev server (SIGTERM, as a host restart would) and starts it again with the
 * same command and SQLite file, waiting until it serves. dev/stack exposes the pieces; this composes them
 * so the test does not have to restart the registry and harbor-sim too.
 */
export async function restartTemporal(
  config: StackConfig = stackConfig(),
  downMs = 2_000,
): Promise<{ oldPid: number; newPid: number }> {
  const p = paths(config);
  const rec = readPid(p.pids, temporalService.name);
  if (!isOurs(rec))
    throw new Error(`the stack's Temporal server is not running (no live pid file in ${p.pids})`);
  await stopProcess(p.pids, temporalService.name);
  await sleep(downMs);
  const tools = await ensureTools(undefined, true);
  const spec = temporalService.command(config, tools);
  const newPid = startDetached({ name: temporalService.name, pidDir: p.pids, logDir: p.logs, ...spec });
  await waitFor(
    temporalService.what,
    async () => isOurs(readPid(p.pids, temporalService.name)) && temporalService.healthy(config, tools),
    temporalService.timeoutMs,
    `${p.logs}/${temporalService.name}.log`,
  );
  return { oldPid: rec.pid, newPid };
}
