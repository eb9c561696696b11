/**
 * The secret search of the proofs (test/support/proc-sampler.ts) finds a secret base64-encoded at any
 * byte offset of a longer document, not only when the secret starts the encoded text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findSecrets, secretForms } from '../support/proc-sampler';

const SECRET = 'HarborSecret-5f0c2a9e81d4b7';

describe('secretForms', () => {
  for (const prefix of ['', 'a', 'ab', 'abc', '{"password":"', 'robot$promoter:'])
    it(`finds base64 of the secret after ${JSON.stringify(prefix)} (offset ${prefix.length % 3})`, () => {
      for (const encoding of ['base64', 'base64url'] as const) {
        const doc = Buffer.from(`${prefix}${SECRET}","more":1}`).toString(encoding);
        assert.notDeepEqual(findSecrets({ s: secretForms(SECRET) }, { doc }), [], `${encoding}: ${doc}`);
      }
    });

  it('finds it as is and URL-encoded, and nothing in unrelated text', () => {
    assert.notDeepEqual(findSecrets({ s: secretForms(SECRET) }, { t: `x=${SECRET}` }), []);
    assert.notDeepEqual(findSecrets({ s: secretForms('p@ss w0rd/+x') }, { t: 'p%40ss%20w0rd%2F%2Bx' }), []);
    const other = Buffer.from('HarborSecret-000000000000000').toString('base64');
    assert.deepEqual(findSecrets({ s: secretForms(SECRET) }, { t: other }), []);
  });
});
