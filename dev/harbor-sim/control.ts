// /_sim/*: the test/benchmark control API (admin Basic auth; not part of Harbor's API).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { identifyRequest } from './auth';
import { badRequest, notFound, unauthorized } from './errors';
import { ArtifactFieldsSchema, FAMILIES, FaultRuleSchema, ScannerModeSchema, type Family } from './faults';
import { readJson, sendJson } from './httpx';
import { isSysadmin } from './rbac';
import type { Sim } from './sim';

const FaultsBody = z
  .object({
    rules: z.partialRecord(z.enum(FAMILIES), FaultRuleSchema).optional(),
    scanner: ScannerModeSchema.optional(),
    artifactFields: ArtifactFieldsSchema.optional(),
  })
  .strict();
const DurationBody = z.object({ ms: z.number().int().min(-1).max(3_600_000) }).strict();

function parse<T>(schema: z.ZodType<T>, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success)
    throw badRequest(
      `bad request: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

function faultsView(sim: Sim): unknown {
  return { rules: sim.faults.rules, scanner: sim.faults.scanner, artifactFields: sim.faults.artifactFields };
}

export async function handleControl(
  sim: Sim,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const id = await identifyRequest(sim.s, req);
  if (!isSysadmin(id)) throw unauthorized();
  const key = `${req.method} ${path.replace(/\/$/, '')}`;
  switch (key) {
    case 'GET /_sim/faults':
      return sendJson(res, 200, faultsView(sim));
    case 'PUT /_sim/faults': {
      const b = parse(FaultsBody, await readJson(req));
      sim.faults.rules = {};
      for (const [f, r] of Object.entries(b.rules ?? {})) sim.faults.rules[f as Family] = r;
      if (b.scanner) sim.faults.scanner = b.scanner;
      sim.faults.artifactFields = b.artifactFields ?? {};
      sim.log(`faults set: ${JSON.stringify(faultsView(sim))}`);
      return sendJson(res, 200, faultsView(sim));
    }
    case 'DELETE /_sim/faults':
      sim.faults.clear();
      return sendJson(res, 200, faultsView(sim));
    case 'GET /_sim/counters':
      return sendJson(res, 200, sim.faults.counters);
    case 'POST /_sim/counters/reset':
      sim.faults.resetCounters();
      return sendJson(res, 200, {});
    case 'GET /_sim/scan-duration':
      return sendJson(res, 200, { ms: sim.scanDurationMs });
    case 'PUT /_sim/scan-duration': {
      sim.scanDurationMs = parse(DurationBody, await readJson(req)).ms;
      sim.scanner.reschedule();
      return sendJson(res, 200, { ms: sim.scanDurationMs });
    }
    case 'GET /_sim/scans':
      return sendJson(
        res,
        200,
        sim.s.reports.map((r) => ({
          digest: r.digest,
          report_id: r.reportId,
          status: r.status,
          start_time: r.startTime,
          end_time: r.endTime,
          vulnerabilities: r.vulnerabilities.length,
        })),
      );
    case 'POST /_sim/scans/complete':
      return sendJson(res, 200, { completed: await sim.scanner.completeAll() });
    case 'POST /_sim/scans/step':
      return sendJson(res, 200, { advanced: await sim.scanner.step() });
    case 'GET /_sim/state': {
      const s = sim.s;
      return sendJson(res, 200, {
        projects: s.projects.length,
        repositories: s.repositories.length,
        artifacts: s.artifacts.length,
        tags: s.tags.length,
        accessories: s.accessories.length,
        reports: s.reports.length,
      });
    }
    default:
      throw notFound('not found');
  }
}
