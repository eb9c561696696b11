/**
 * The replay fixtures and their manifest (fixtures.sha256, `sha256sum` format): every history ever
 * recorded, by file name and hash. New recordings get a new version name; old ones are never replaced.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'histories');
export const MANIFEST = join(FIXTURES, 'fixtures.sha256');

/** `happy.json` → happy, `happy-v2.json` → happy. */
export const scenarioOf = (file: string) => file.replace(/(-v\d+)?\.json$/, '');

export function readManifest(): Map<string, string> {
  const m = new Map<string, string>();
  if (!existsSync(MANIFEST)) return m;
  for (const line of readFileSync(MANIFEST, 'utf8').split('\n')) {
    const hit = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line.trim());
    if (hit) m.set(hit[2]!, hit[1]!);
  }
  return m;
}

/** The first unused name for a new recording of `scenario`: happy.json, then happy-v2.json, … */
export function nextFixtureName(scenario: string): string {
  const taken = new Set(readdirSync(FIXTURES));
  if (!taken.has(`${scenario}.json`)) return `${scenario}.json`;
  for (let v = 2; ; v++) if (!taken.has(`${scenario}-v${v}.json`)) return `${scenario}-v${v}.json`;
}
