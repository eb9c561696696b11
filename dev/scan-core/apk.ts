// Alpine package database parsing, apk version ordering, and matching against advisory data. Shared by
// harbor-sim's built-in scanner and dev/scanner-adapter so both report the same findings for one image.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Finding } from './findings';

export interface ApkPackage {
  name: string;
  version: string;
}

/** `lib/apk/db/installed`: stanzas separated by blank lines, lines `P:name` and `V:version`. */
export function parseApkInstalled(text: string): ApkPackage[] {
  const out: ApkPackage[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    let name = '';
    let version = '';
    for (const line of stanza.split('\n')) {
      if (line.startsWith('P:')) name = line.slice(2).trim();
      else if (line.startsWith('V:')) version = line.slice(2).trim();
    }
    if (name && version) out.push({ name, version });
  }
  return out;
}

function tokens(v: string): (number | string)[] {
  return (v.match(/\d+|[a-zA-Z]+/g) ?? []).map((t) => (/^\d+$/.test(t) ? Number(t) : t));
}

/** Simplified apk version ordering: numeric and alphabetic runs compared in turn; `-rN` is just one more run. */
export function compareVersions(a: string, b: string): number {
  const ta = tokens(a);
  const tb = tokens(b);
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x < y ? -1 : 1;
    } else if (typeof x === 'string' && typeof y === 'string') {
      if (x !== y) return x < y ? -1 : 1;
    } else {
      return typeof x === 'number' ? 1 : -1; // 1.0 > 1.0_alpha
    }
  }
  return 0;
}

/** The advisory severities are the scanner adapter spec's own scale, so reports need no mapping. */
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;

export const AdvisorySchema = z.object({
  id: z.string().min(1),
  package: z.string().min(1),
  affectedBelow: z.string().min(1),
  fixedVersion: z.string(),
  severity: z.enum(SEVERITIES),
  score: z.number().min(0).max(10),
  description: z.string(),
});
export type Advisory = z.infer<typeof AdvisorySchema>;

const cache = new Map<string, Advisory[]>();

/** Read and validate an advisories file (cached per path); a bad file names the entry and field. */
export function loadAdvisoriesFile(path: string): Advisory[] {
  const hit = cache.get(path);
  if (hit) return hit;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`advisories file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = z.array(AdvisorySchema).safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(
      `advisories file ${path}: ${i ? `[${i.path.join('.')}] ${i.message}` : 'invalid'}; ` +
        'expected an array of {id, package, affectedBelow, fixedVersion, severity, score, description}',
    );
  }
  cache.set(path, r.data);
  return r.data;
}

export function matchAdvisories(pkgs: ApkPackage[], advisories: Advisory[]): Finding[] {
  const out: Finding[] = [];
  for (const p of pkgs) {
    for (const a of advisories) {
      if (a.package !== p.name || compareVersions(p.version, a.affectedBelow) >= 0) continue;
      out.push({
        id: a.id,
        package: p.name,
        version: p.version,
        fix_version: a.fixedVersion,
        severity: a.severity,
        description: a.description,
        links: [`https://avd.aquasec.com/nvd/${a.id.toLowerCase()}`],
        score: a.score,
      });
    }
  }
  return out;
}
