// Scan, scan stop and scan logs.
import { z } from 'zod';
import { badRequest, notFound, precondition, unprocessable } from './errors';
import { readJson, sendEmpty } from './httpx';
import { findArtifact, requireProject } from './api-common';
import { copyArtifact } from './copy';
import { isFinal, SCANNER } from './report';
import { scannable } from './render';
import type { ApiCtx, Route } from './router';

const A = '/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}';
const ScanType = z.object({ scan_type: z.string().optional() }).passthrough();

function scanType(body: unknown, required: boolean): string {
  if (body === undefined) {
    if (required) throw unprocessable(['scanType in body is required']);
    return 'vulnerability';
  }
  const r = ScanType.safeParse(body);
  if (!r.success) throw badRequest('bad request: invalid scan type');
  const t = r.data.scan_type ?? 'vulnerability';
  if (t !== 'vulnerability' && t !== 'sbom')
    throw unprocessable([`scan_type in body should be one of [vulnerability sbom]`]);
  return t;
}

async function scan(c: ApiCtx): Promise<void> {
  const p = requireProject(c, c.params.project_name ?? '', 'scan:create', true);
  const art = findArtifact(c);
  const type = scanType(await readJson(c.req, false), false);
  if (c.sim.faults.scanner === 'unavailable') throw precondition(`no available scanner for project: ${p.id}`);
  if (type === 'sbom' || !scannable(c.sim.s, art)) {
    throw badRequest(
      `the configured scanner ${SCANNER.name} does not support scanning artifact with mime type ${art.manifestMediaType}`,
    );
  }
  c.sim.scanner.start(art);
  sendEmpty(c.res, 202);
}

async function stop(c: ApiCtx): Promise<void> {
  requireProject(c, c.params.project_name ?? '', 'scan:stop', true);
  const art = findArtifact(c);
  scanType(await readJson(c.req, false), true);
  if (!c.sim.scanner.stop(art.digest)) throw badRequest(`no scan job for artifact digest=${art.digest}`);
  sendEmpty(c.res, 202);
}

function log(c: ApiCtx): void {
  requireProject(c, c.params.project_name ?? '', 'scan:read', true);
  const art = findArtifact(c);
  const r = c.sim.s.reports.find((x) => x.digest === art.digest && x.reportId === c.params.report_id);
  if (!r) throw notFound(`report ${c.params.report_id ?? ''} not found`);
  const text = r.log.join('\n') + (isFinal(r.status) ? '\n' : '');
  c.res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  c.res.end(text);
}

export function scanRoutes(): Route[] {
  return [
    { method: 'POST', path: `${A}/scan`, family: 'scan', handler: scan },
    { method: 'POST', path: `${A}/scan/stop`, family: 'scan', handler: stop },
    { method: 'GET', path: `${A}/scan/{report_id}/log`, handler: log },
    {
      method: 'POST',
      path: '/projects/{project_name}/repositories/{repository_name}/artifacts',
      query: ['from'],
      family: 'copy',
      handler: copyArtifact,
    },
  ];
}
