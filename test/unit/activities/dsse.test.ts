// The pure DSSE part of the in-process attestation check (src/activities/signature.ts), with keys made by
// node:crypto: PAE as the DSSE spec writes it, and which envelopes verify, which do not and why.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  attestationTag,
  DSSE_ENVELOPE_MEDIA_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  pae,
  parsePublicKey,
  verifyAttestationManifest,
  type SignatureManifest,
} from '../../../src/activities/signature.js';

const DIGEST = 'sha256:' + 'a'.repeat(64);
const VSA = 'https://slsa.dev/verification_summary/v1';
const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ours = pair();
const theirs = pair();
const KEY = parsePublicKey(ours.publicKey.export({ type: 'spki', format: 'pem' }).toString());
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

function statement(digest = DIGEST, type = VSA): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'h/p/r', digest: { sha256: digest.slice(7) } }],
      predicateType: type,
      predicate: { verificationResult: 'PASSED' },
    }),
  );
}

function envelope(payload: Buffer, key: KeyObject = ours.privateKey, signedPayload = payload): Buffer {
  const sig = sign('sha256', pae(IN_TOTO_PAYLOAD_TYPE, signedPayload), key).toString('base64');
  return Buffer.from(
    JSON.stringify({
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      payload: payload.toString('base64'),
      signatures: [{ keyid: '', sig }],
    }),
  );
}

function att(...envs: Buffer[]): { m: SignatureManifest; blobs: Map<string, Buffer> } {
  return {
    m: {
      schemaVersion: 2,
      layers: envs.map((e) => ({
        mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
        digest: sha(e),
        size: e.length,
        annotations: { predicateType: VSA },
      })),
    },
    blobs: new Map(envs.map((e) => [sha(e), e])),
  };
}

describe('DSSE', () => {
  it('PAE is "DSSEv1 <len> <type> <len> <body>" in bytes', () => {
    assert.equal(pae('t', Buffer.from('héllo')).toString('utf8'), 'DSSEv1 1 t 6 héllo');
  });

  it('the .att tag of a digest', () => {
    assert.equal(attestationTag(DIGEST), `sha256-${'a'.repeat(64)}.att`);
  });

  it('a statement about the digest, signed by our key: valid, with the statement', () => {
    const { m, blobs } = att(envelope(statement()));
    const v = verifyAttestationManifest(m, blobs, KEY, DIGEST, VSA);
    assert.equal(v.state, 'valid');
    assert.ok(v.state === 'valid' && v.statement.predicateType === VSA);
  });

  const refusals: [string, () => ReturnType<typeof att>, RegExp][] = [
    ['another key', () => att(envelope(statement(), theirs.privateKey)), /no signature verifies/],
    [
      'a payload changed after signing',
      () => att(envelope(statement(), ours.privateKey, statement('sha256:' + 'c'.repeat(64)))),
      /no signature verifies/,
    ],
    [
      'a statement about another digest',
      () => att(envelope(statement('sha256:' + 'b'.repeat(64)))),
      /is about sha256:b+, not/,
    ],
    [
      'a statement of another type',
      () => att(envelope(statement(DIGEST, 'https://x/y'))),
      /predicateType is 'https:\/\/x\/y'/,
    ],
    ['not an envelope', () => att(Buffer.from('{"hello":1}')), /not a DSSE envelope/],
  ];
  for (const [what, make, why] of refusals)
    it(`${what}: invalid, saying why`, () => {
      const { m, blobs } = make();
      const v = verifyAttestationManifest(m, blobs, KEY, DIGEST, VSA);
      assert.equal(v.state, 'invalid');
      assert.match(v.reasons.join('\n'), why);
    });

  it('a blob whose sha256 is not its layer digest: invalid', () => {
    const { m } = att(envelope(statement()));
    const v = verifyAttestationManifest(
      m,
      new Map([[m.layers[0]!.digest, Buffer.from('x')]]),
      KEY,
      DIGEST,
      VSA,
    );
    assert.ok(v.state === 'invalid' && /the blob's sha256 is/.test(v.reasons[0]!));
  });

  it('no .att, or none of that type: none', () => {
    assert.equal(verifyAttestationManifest(undefined, new Map(), KEY, DIGEST, VSA).state, 'none');
    const { m, blobs } = att(envelope(statement()));
    assert.equal(verifyAttestationManifest(m, blobs, KEY, DIGEST, 'https://other/v1').state, 'none');
  });

  it('one bad and one good envelope: valid (cosign accepts any that verifies)', () => {
    const { m, blobs } = att(envelope(statement(), theirs.privateKey), envelope(statement()));
    assert.equal(verifyAttestationManifest(m, blobs, KEY, DIGEST, VSA).state, 'valid');
  });
});
