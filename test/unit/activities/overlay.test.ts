import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readOverlayImage, setOverlayImage } from '../../../src/activities/overlay.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const SRC = `# staging overlay — keep this comment
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base # the base
images:
  # the app image, pinned by the promoter
  - name: myservice
    newName: harbor.local/platform-dev/myservice
    newTag: "1.4.1"
    digest: ${D1}
  - name: sidecar # untouched
    newTag: v2
namePrefix: staging-
`;

const pin = {
  name: 'myservice',
  newName: 'harbor.local/platform-staging/myservice',
  newTag: '1.4.2',
  digest: D2,
};

describe('setOverlayImage', () => {
  it('updates the entry and keeps comments and order', () => {
    const r = setOverlayImage(SRC, pin);
    assert.equal(r.changed, true);
    assert.match(r.text, /^# staging overlay — keep this comment/);
    assert.match(r.text, /- \.\.\/\.\.\/base # the base/);
    assert.match(r.text, /# the app image, pinned by the promoter/);
    assert.match(r.text, /- name: sidecar # untouched\n {4}newTag: v2/);
    assert.ok(r.text.indexOf('images:') < r.text.indexOf('namePrefix:'));
    assert.deepEqual(readOverlayImage(r.text, 'myservice'), pin);
    // Only the three values changed: the diff is three lines.
    const before = SRC.split('\n');
    const after = r.text.split('\n');
    assert.equal(after.length, before.length);
    assert.equal(before.filter((l, i) => l !== after[i]).length, 3);
  });

  it('reports no change when already current (no commit)', () => {
    const once = setOverlayImage(SRC, pin);
    const twice = setOverlayImage(once.text, pin);
    assert.equal(twice.changed, false);
    assert.equal(twice.text, once.text);
  });

  it('adds an images list or a missing entry', () => {
    const r = setOverlayImage('resources:\n  - ../base\n', pin);
    assert.equal(r.changed, true);
    assert.deepEqual(readOverlayImage(r.text, 'myservice'), pin);
    const r2 = setOverlayImage(SRC, { ...pin, name: 'other' });
    assert.deepEqual(readOverlayImage(r2.text, 'other'), { ...pin, name: 'other' });
    assert.deepEqual(readOverlayImage(r2.text, 'sidecar'), { name: 'sidecar', newTag: 'v2' });
  });

  it('leaves newTag alone when none is given', () => {
    const r = setOverlayImage(SRC, { name: 'myservice', newName: 'x/y', digest: D2 });
    assert.equal(readOverlayImage(r.text, 'myservice')?.newTag, '1.4.1');
  });

  it("reports the digest it replaced; a rollback without a tag removes the newer build's tag", () => {
    const r = setOverlayImage(SRC, { name: 'myservice', newName: 'x/y', digest: D2, dropTag: true });
    assert.equal(r.previousDigest, D1);
    assert.equal(readOverlayImage(r.text, 'myservice')?.newTag, undefined);
    assert.equal(setOverlayImage('resources: []\n', pin).previousDigest, undefined);
  });

  it('refuses broken YAML and non-list images', () => {
    assert.throws(() => setOverlayImage('images: [\n', pin), /does not parse/);
    assert.throws(() => setOverlayImage('images: {a: 1}\n', pin), /not a list/);
  });
});
