/**
 * src/domain is pure (docs/CONVENTIONS.md): the workflow bundle, the CLI and the worker all import it, so
 * it must not pull in activities, the Harbor client, Temporal or Node I/O. ESLint enforces the same rule
 * (eslint.config.mjs); this test keeps it when lint is not run.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const DOMAIN = join(__dirname, '../../../src/domain');
const ALLOWED = /^(\.\/[\w-]+\.js|zod|yaml)$/;
/** sshsig.ts verifies signatures with node:crypto: computation, no I/O (the workflow never imports it). */
const CRYPTO_ALLOWED = new Set(['sshsig.ts']);

describe('src/domain', () => {
  it('imports only itself, zod and yaml (and node:crypto in sshsig.ts)', () => {
    const bad: string[] = [];
    for (const f of readdirSync(DOMAIN).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(join(DOMAIN, f), 'utf8');
      for (const m of src.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g))
        if (!ALLOWED.test(m[1]!) && !(m[1] === 'node:crypto' && CRYPTO_ALLOWED.has(f)))
          bad.push(`${f}: ${m[1]}`);
    }
    assert.deepEqual(bad, []);
  });
});
