// The pure part of the in-process cosign signature check (src/activities/signature.ts), with keys made by
// node:crypto: which layers verify, which do not and why, and the errors for malformed input.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  checkLayer,
  COSIGN_SIGNATURE_TYPE,
  parsePublicKey,
  parseSignatureManifest,
  SIGNATURE_ANNOTATION,
  signatureTag,
  SIMPLE_SIGNING_MEDIA_TYPE,
  verifySignatureManifest,
  type SignatureLayer,
  type SignatureManifest,
} from '../../../src/activities/signature.js';

const DIGEST = 'sha256:' + 'a'.repeat(64);
const OTHER = 'sha256:' + 'b'.repeat(64);
const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ours = pair();
const theirs = pair();
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const KEY = parsePublicKey(pem(ours.publicKey));
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** A payload as cosign writes it (simple signing). */
function payload(digest = DIGEST, type = COSIGN_SIGNATURE_TYPE): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': '127.0.0.1:8080/platform-staging/app' },
        image: { 'docker-manifest-digest': digest },
        type,
      },
      optional: null,
    }),
  );
}

function layer(p: Buffer, by: KeyObject = ours.privateKey, sig?: string): SignatureLayer {
  return {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    digest: sha(p),
    size: p.length,
    annotations: { [SIGNATURE_ANNOTATION]: sig ?? sign('sha256', p, by).toString('base64') },
  };
}

const manifest = (...layers: SignatureLayer[]): SignatureManifest => ({ schemaVersion: 2, layers });

describe('checkLayer', () => {
  it('accepts a payload for the digest signed with our key', () => {
    const p = payload();
    assert.equal(checkLayer(layer(p), p, KEY, DIGEST), undefined);
  });

  it('rejects another key, a tampered payload, another digest, a wrong type, and a blob not matching its digest', () => {
    const p = payload();
    assert.match(
      checkLayer(layer(p, theirs.privateKey), p, KEY, DIGEST)!,
      /does not verify.*wrong key or tampered/,
    );
    const l = layer(p);
    const tampered = Buffer.from(p.toString().replace('"critical"', '"critical" '));
    assert.match(checkLayer({ ...l, digest: sha(tampered) }, tampered, KEY, DIGEST)!, /does not verify/);
    assert.match(checkLayer(l, tampered, KEY, DIGEST)!, /blob's sha256 is/);
    const o = payload(OTHER);
    assert.match(checkLayer(layer(o), o, KEY, DIGEST)!, new RegExp(`payload is for ${OTHER}, not ${DIGEST}`));
    const t = payload(DIGEST, 'something else');
    assert.match(checkLayer(layer(t), t, KEY, DIGEST)!, /critical.type is 'something else'/);
  });

  it('malformed annotation: missing, not base64, not a DER signature, not a string → a reason naming it', () => {
    const p = payload();
    const l = layer(p);
    assert.match(
      checkLayer({ ...l, annotations: {} }, p, KEY, DIGEST)!,
      /no 'dev.cosignproject.cosign\/signature' annotation/,
    );
    assert.match(checkLayer(layer(p, undefined, 'not base64!'), p, KEY, DIGEST)!, /is not standard base64/);
    assert.match(checkLayer(layer(p, undefined, 'QUJD'), p, KEY, DIGEST)!, /does not verify/);
    assert.match(checkLayer(layer(p, undefined, ''), p, KEY, DIGEST)!, /is not standard base64/);
    assert.match(
      checkLayer({ ...l, annotations: { [SIGNATURE_ANNOTATION]: 5 } }, p, KEY, DIGEST)!,
      /is not a string/,
    );
  });

  it('a signed payload that is not a simple-signing document is not a signature', () => {
    const p = Buffer.from('{"critical":{}}');
    assert.match(checkLayer(layer(p), p, KEY, DIGEST)!, /payload field 'critical.type'/);
    const q = Buffer.from('not json');
    assert.match(checkLayer(layer(q), q, KEY, DIGEST)!, /not JSON/);
  });
});

describe('verifySignatureManifest', () => {
  const p = payload();
  const f = payload();
  const mine = layer(p);
  const foreign = layer(f, theirs.privateKey);

  it('no manifest or no simple-signing layer → none', () => {
    assert.equal(verifySignatureManifest(undefined, new Map(), KEY, DIGEST).state, 'none');
    const other = { ...mine, mediaType: 'application/octet-stream' };
    assert.equal(verifySignatureManifest(manifest(other), new Map(), KEY, DIGEST).state, 'none');
  });

  it('two signatures, one valid → valid, in either order', () => {
    // same payload bytes, different annotation: the map is keyed by digest, so use distinct payloads
    const f2 = Buffer.from(f.toString() + ' ');
    const foreign2 = layer(f2, theirs.privateKey);
    const payloads = new Map([
      [mine.digest, p],
      [foreign2.digest, f2],
    ]);
    assert.equal(verifySignatureManifest(manifest(foreign2, mine), payloads, KEY, DIGEST).state, 'valid');
    assert.equal(verifySignatureManifest(manifest(mine, foreign2), payloads, KEY, DIGEST).state, 'valid');
  });

  it('only foreign signatures → invalid with a reason per layer', () => {
    const v = verifySignatureManifest(manifest(foreign), new Map([[foreign.digest, f]]), KEY, DIGEST);
    assert.equal(v.state, 'invalid');
    assert.equal(v.reasons.length, 1);
    assert.match(v.reasons[0]!, /wrong key or tampered/);
  });
});

describe('malformed input', () => {
  it('PEM: not PEM, a broken PEM, a private key → an error naming the setting and the fix', () => {
    assert.throws(
      () => parsePublicKey('hello', 'COSIGN_PUBLIC_KEY_FILE /k.pub'),
      /COSIGN_PUBLIC_KEY_FILE \/k.pub: not a PEM public key.*cosign generate-key-pair/,
    );
    assert.throws(
      () => parsePublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'),
      /COSIGN_PUBLIC_KEY: the PEM public key does not parse/,
    );
    const priv = ours.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(() => parsePublicKey(priv), /not a PEM public key/);
  });

  it('signature manifest: not JSON, or a field of the wrong shape → an error naming the field', () => {
    assert.throws(() => parseSignatureManifest('{'), /signature manifest is not JSON/);
    assert.throws(() => parseSignatureManifest('{"schemaVersion":2}'), /field 'layers'/);
    assert.throws(
      () => parseSignatureManifest('{"schemaVersion":2,"layers":[{"mediaType":1,"digest":"x"}]}'),
      /field 'layers.0.mediaType'/,
    );
  });

  it('signatureTag: sha256-<hex>.sig, and a bad digest is refused', () => {
    assert.equal(signatureTag(DIGEST), `sha256-${'a'.repeat(64)}.sig`);
    assert.throws(() => signatureTag('latest'), /digest 'latest' is not sha256/);
  });
});
