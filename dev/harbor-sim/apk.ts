// Alpine package database parsing, apk version ordering, and matching against the fixture advisories.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { storedSeverity } from './severity';
import type { VulnRec } from './store';

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

export const AdvisorySchema = z.object({
  id: z.string().min(1),
  package: z.string().min(1),
  affectedBelow: z.string().min(1),
  fixedVersion: z.string(),
  severity: z.enum(['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown']),
  score: z.number().min(0).max(10),
  description: z.string(),
});
export type Advisory = z.infer<typeof AdvisorySchema>;

let cached: Advisory[] | null = null;
export function loadAdvisories(): Advisory[] {
  cached ??= z
    .array(AdvisorySchema)
    .parse(JSON.parse(readFileSync(join(__dirname, 'advisories.json'), 'utf8')));
  return cached;
}

export function matchAdvisories(pkgs: ApkPackage[], advisories: Advisory[]): VulnRec[] {
  const out: VulnRec[] = [];
  for (const p of pkgs) {
    for (const a of advisories) {
      if (a.package !== p.name || compareVersions(p.version, a.affectedBelow) >= 0) continue;
      out.push({
        id: a.id,
        package: p.name,
        version: p.version,
        fix_version: a.fixedVersion,
        severity: storedSeverity(a.severity),
        description: a.description,
        links: [`https://avd.aquasec.com/nvd/${a.id.toLowerCase()}`],
        score: a.score,
      });
    }
  }
  return out;
}
