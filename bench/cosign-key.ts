/**
 * `npx tsx bench/cosign-key.ts [N]`: CPU (user+sys, from /usr/bin/time) of N offline `cosign sign-blob` runs
 * with the operator's key as `cosign generate-key-pair` writes it (scrypt N=2^16) and with the worker's
 * session copy (src/activities/session-key.ts, scrypt N=2^15, the cheapest cosign accepts), interleaved so
 * both see the same machine load. Not part of `npm test` or `npm run bench` (a figure, not a check).
 * Measured 2026-11-29 on the 2-core dev machine (load ~11 from other jobs; CPU time, not wall time), N=10:
 * operator key 0.215 s CPU per run, session copy 0.120 s, `cosign version` 0.021 s; so the derivation goes
 * from ~0.19 s to ~0.10 s per cosign process, and making the copy costs the worker 0.33 s once. The same
 * day against the local stack (harbor-sim; children's CPU from /proc/self/stat around the activities, K=5
 * artifacts each, the operator key via a wrapper that swaps --key and COSIGN_PASSWORD back): signImage
 * 0.250 → 0.136 s, attestEnvironment (two `cosign attest`) 0.470 → 0.280 s per artifact. README, "The
 * signing key in the worker".
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath } from '../scripts/tools';
import { SigningKeySession } from '../src/activities/session-key';

const COSIGN = process.env.COSIGN_BIN || binaryPath('cosign');
const N = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'bench-cosign-key-'));

/** user+sys CPU seconds of one cosign run (GNU time writes them as the last line of stderr). */
function cpu(args: string[], password: string): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', COSIGN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, TUF_ROOT: join(dir, 'tuf'), COSIGN_PASSWORD: password },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`cosign ${args[0]} failed: ${r.stderr}`);
  const [user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return user! + sys!;
}

const signBlob = (key: string) => [
  'sign-blob',
  '--key',
  key,
  '--use-signing-config=false',
  '--tlog-upload=false',
  '--new-bundle-format=false',
  '--output-signature',
  'blob.sig',
  '--yes',
  'blob.txt',
];

async function main() {
  try {
    const pw = 'bench-operator-password';
    cpu(['generate-key-pair'], pw);
    writeFileSync(join(dir, 'blob.txt'), 'payload\n');
    const session = new SigningKeySession({ file: join(dir, 'cosign.key') }, pw);
    const t0 = process.cpuUsage();
    writeFileSync(join(dir, 'session.key'), await session.pem(), { mode: 0o600 });
    const once = process.cpuUsage(t0);
    const totals = { operator: 0, session: 0, version: 0 };
    for (let i = 0; i < N; i++) {
      totals.operator += cpu(signBlob('cosign.key'), pw);
      totals.session += cpu(signBlob('session.key'), session.password);
      totals.version += cpu(['version'], '');
    }
    const f = (s: number) => `${s.toFixed(2)} s total, ${(s / N).toFixed(3)} s per run`;
    console.log(`cosign sign-blob ×${N}, CPU user+sys:`);
    console.log(`  operator key (scrypt N=2^16): ${f(totals.operator)}`);
    console.log(`  session copy (scrypt N=2^15): ${f(totals.session)}`);
    console.log(`  cosign version (start-up only): ${f(totals.version)}`);
    console.log(
      `  session copy made once in the worker: ${((once.user + once.system) / 1e6).toFixed(3)} s CPU (decrypt N=2^16 + encrypt N=2^15)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
