// Drives the adapter the way Harbor's scan job does: POST /scan, then GET the report until it is not 302.
import { MIME } from '../../../dev/scanner-adapter/api';

export interface AdapterReport {
  severity: string;
  artifact: { repository: string; digest: string };
  vulnerabilities: {
    id: string;
    package: string;
    version: string;
    fix_version: string;
    severity: string;
    description: string;
    links: string[];
    preferred_cvss: { score_v3: number };
  }[];
}

export type ScanResult =
  { ok: true; status: 200; report: AdapterReport } | { ok: false; status: number; error: string };

export async function adapterScan(
  adapterUrl: string,
  req: { registryUrl: string; authorization?: string; repository: string; digest: string; tag?: string },
  timeoutMs = 30_000,
): Promise<ScanResult> {
  const sub = await fetch(`${adapterUrl}/api/v1/scan`, {
    method: 'POST',
    headers: { 'content-type': MIME.scanRequest, accept: MIME.scanResponse },
    body: JSON.stringify({
      registry: { url: req.registryUrl, authorization: req.authorization ?? '' },
      artifact: {
        repository: req.repository,
        digest: req.digest,
        tag: req.tag ?? '',
        mime_type: 'application/vnd.oci.image.manifest.v1+json',
      },
      enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [MIME.reportV11] }],
    }),
  });
  const subText = await sub.text();
  if (sub.status !== 202) throw new Error(`POST /scan: ${sub.status} ${subText}`);
  const { id } = JSON.parse(subText) as { id: string };
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${adapterUrl}/api/v1/scan/${id}/report`, {
      headers: { accept: MIME.reportV11 },
      redirect: 'manual',
    });
    const text = await r.text();
    if (r.status === 302) {
      if (!r.headers.get('refresh-after')) throw new Error('302 without Refresh-After');
      if (Date.now() > end) throw new Error(`scan ${id} not done after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 100)); // Harbor waits Refresh-After seconds; tests poll faster
      continue;
    }
    if (r.status === 200) return { ok: true, status: 200, report: JSON.parse(text) as AdapterReport };
    return {
      ok: false,
      status: r.status,
      error: (JSON.parse(text) as { error: { message: string } }).error.message,
    };
  }
}

/** The fields both harbor-sim and the adapter report, in a stable order, for comparing the two. */
export function comparable(
  vulns: {
    id: string;
    package: string;
    version: string;
    fix_version: string;
    severity: string;
    description: string;
    links: string[];
    preferred_cvss?: { score_v3?: number | null } | null;
  }[],
): string[] {
  return vulns
    .map((v) =>
      JSON.stringify([
        v.id,
        v.package,
        v.version,
        v.fix_version,
        v.severity,
        v.description,
        v.links,
        v.preferred_cvss?.score_v3 ?? null,
      ]),
    )
    .sort();
}
