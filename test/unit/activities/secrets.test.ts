import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authFileContent, Redactor } from '../../../src/activities/secrets.js';

describe('Redactor', () => {
  const r = new Redactor().addCredentials('robot$promoter', 'S3cr3t-pass').add('cosign-pw-123', '', 'abc');

  it('removes plain, base64 and URL-encoded forms', () => {
    const b64 = Buffer.from('robot$promoter:S3cr3t-pass').toString('base64');
    const text = `pw=S3cr3t-pass auth=${b64} key=cosign-pw-123 url=${encodeURIComponent('cosign-pw-123')} b=${Buffer.from('cosign-pw-123').toString('base64')}`;
    const out = r.redact(text);
    for (const s of [
      'S3cr3t-pass',
      b64,
      'cosign-pw-123',
      Buffer.from('cosign-pw-123').toString('base64').replace(/=+$/, ''),
    ]) {
      assert.ok(!out.includes(s), `${s} leaked in ${out}`);
    }
    assert.match(out, /pw=\*\*\*/);
  });

  it('ignores secrets too short to redact safely', () => {
    assert.equal(r.redact('abc abc'), 'abc abc');
  });

  it('redacts the auth file content completely', () => {
    const content = authFileContent('127.0.0.1:8080', 'robot$promoter', 'S3cr3t-pass');
    assert.ok(!r.redact(content).includes(Buffer.from('robot$promoter:S3cr3t-pass').toString('base64')));
  });
});
