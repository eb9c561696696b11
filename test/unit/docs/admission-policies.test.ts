// The admission policies in docs/admission/ are files users apply as they are (after putting in their host,
// project and key): they must parse, require the VSA's predicate type with the environment's level, and
// carry a usable cosign public key (ECDSA P-256 PEM, what `cosign generate-key-pair` writes).
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { VSA_PREDICATE_TYPE, verifiedLevel } from '../../../src/domain/attestation.js';

const DIR = join(__dirname, '../../../docs/admission');
const LEVEL = verifiedLevel('production');

function docs(file: string): Record<string, unknown>[] {
  const all = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  for (const d of all)
    assert.deepEqual(d.errors, [], `${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return all.map((d) => d.toJS() as Record<string, unknown>);
}

/** Walks a parsed document by keys and indexes; fails naming the path that is missing. */
function at(v: unknown, ...path: (string | number)[]): unknown {
  let cur = v;
  for (const [i, k] of path.entries()) {
    assert.ok(
      cur !== null && typeof cur === 'object' && k in cur,
      `missing ${path.slice(0, i + 1).join('.')}`,
    );
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function ecP256(pem: unknown): void {
  assert.equal(typeof pem, 'string');
  const key = createPublicKey(pem as string);
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
}

describe('docs/admission', () => {
  it('Kyverno ClusterPolicy: the production namespace needs a signed VSA with the production level', () => {
    const [p, ...rest] = docs('kyverno-require-vsa.yaml');
    assert.equal(rest.length, 0);
    assert.deepEqual([p!.apiVersion, p!.kind], ['kyverno.io/v1', 'ClusterPolicy']);
    const rule = at(p, 'spec', 'rules', 0);
    assert.deepEqual(at(rule, 'match', 'any', 0, 'resources', 'namespaces'), ['production']);
    const vi = at(rule, 'verifyImages', 0);
    assert.equal(at(vi, 'failureAction'), 'Enforce');
    assert.equal(at(vi, 'required'), true);
    const att = at(vi, 'attestations', 0);
    assert.equal(at(att, 'type'), VSA_PREDICATE_TYPE);
    const keys = at(att, 'attestors', 0, 'entries', 0, 'keys');
    ecP256(at(keys, 'publicKeys'));
    assert.equal(at(keys, 'rekor', 'ignoreTlog'), true);
    const conditions = at(att, 'conditions', 0, 'all') as { key: string; value: unknown }[];
    assert.deepEqual(
      conditions.map((c) => [c.key, c.value]),
      [
        ['{{ verificationResult }}', 'PASSED'],
        ['{{ verifiedLevels }}', [LEVEL]],
      ],
    );
  });

  it('policy-controller ClusterImagePolicy: an opted-in namespace, the VSA type, the key and a rego check', () => {
    const [ns, cip, ...rest] = docs('policy-controller-require-vsa.yaml');
    assert.equal(rest.length, 0);
    assert.equal(ns!.kind, 'Namespace');
    assert.equal(at(ns, 'metadata', 'labels', 'policy.sigstore.dev/include'), 'true');
    assert.deepEqual([cip!.apiVersion, cip!.kind], ['policy.sigstore.dev/v1beta1', 'ClusterImagePolicy']);
    const authority = at(cip, 'spec', 'authorities', 0);
    ecP256(at(authority, 'key', 'data'));
    const att = at(authority, 'attestations', 0);
    assert.equal(at(att, 'predicateType'), VSA_PREDICATE_TYPE);
    assert.equal(at(att, 'policy', 'type'), 'rego');
    const rego = at(att, 'policy', 'data') as string;
    assert.match(rego, /^package sigstore$/m);
    assert.ok(rego.includes(`input.predicateType == "${VSA_PREDICATE_TYPE}"`));
    assert.ok(rego.includes('input.predicate.verificationResult == "PASSED"'));
    assert.ok(rego.includes(`input.predicate.verifiedLevels[_] == "${LEVEL}"`));
  });

  it('both show the same example key', () => {
    const k = at(
      docs('kyverno-require-vsa.yaml')[0],
      'spec',
      'rules',
      0,
      'verifyImages',
      0,
      'attestations',
      0,
      'attestors',
      0,
      'entries',
      0,
      'keys',
      'publicKeys',
    ) as string;
    const c = at(
      docs('policy-controller-require-vsa.yaml')[1],
      'spec',
      'authorities',
      0,
      'key',
      'data',
    ) as string;
    assert.equal(k.trim(), c.trim());
  });
});
