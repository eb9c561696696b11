import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageReference, referenceProblem, shortDigest } from '../../../src/domain/image-ref.js';
import { promotionWorkflowId } from '../../../src/domain/promotion.js';

const D = `sha256:${'ab'.repeat(32)}`;

describe('parseImageReference', () => {
  const ok: [string, object][] = [
    ['myservice:1.4.2-a1b2c3d', { repository: 'myservice', tag: '1.4.2-a1b2c3d' }],
    [`myservice@${D}`, { repository: 'myservice', digest: D }],
    ['team/app:tag', { repository: 'team/app', tag: 'tag' }],
    [`team/app:v1@${D}`, { repository: 'team/app', tag: 'v1', digest: D }],
    ['a__b/c-d.e:_X.y-Z', { repository: 'a__b/c-d.e', tag: '_X.y-Z' }],
  ];
  for (const [text, want] of ok)
    it(`parses ${text}`, () => assert.deepEqual(parseImageReference(text), want));

  const bad: [string, RegExp][] = [
    ['MyService:1.0', /image: repository "MyService" has upper case letters; use "myservice"/],
    ['myservice', /neither a tag nor a digest; add one, e.g. `myservice:1.4.2`/],
    ['myservice:-bad', /image: tag "-bad" is not a valid tag/],
    [`myservice:${'x'.repeat(129)}`, /Harbor tags have at most 128/],
    ['myservice@sha256:abc', /digest "sha256:abc" is not a sha256 digest; expected "sha256:" followed by 64/],
    ['harbor.example.com/platform-dev/myservice:1', /looks like a full image address/],
    ['team//app:1', /invalid path component ""/],
    ['', /is empty/],
  ];
  for (const [text, re] of bad)
    it(`rejects ${JSON.stringify(text).slice(0, 40)}`, () =>
      assert.throws(() => parseImageReference(text), re));

  it('names the field it was given', () =>
    assert.throws(() => parseImageReference('X', '--image'), /^ImageReferenceError: --image:/));
});

describe('references and ids', () => {
  it('accepts a tag or a digest as a bare reference', () => {
    assert.equal(referenceProblem('1.4.2'), undefined);
    assert.equal(referenceProblem(D), undefined);
    assert.match(referenceProblem('sha512:00')!, /not a sha256 digest/);
  });
  it('builds unambiguous workflow ids', () => {
    assert.equal(promotionWorkflowId('myservice', '1.4.2-a1b2c3d'), 'promote-myservice@1.4.2-a1b2c3d');
    assert.equal(promotionWorkflowId('team/app', D), `promote-team/app@${D}`);
    assert.notEqual(promotionWorkflowId('a-b', 'c'), promotionWorkflowId('a', 'b-c'));
  });
  it('shortens digests for summaries only', () => assert.equal(shortDigest(D), `sha256:${'ab'.repeat(6)}`));
});
