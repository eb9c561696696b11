// dev/scan-core: which apk database an image's layers leave behind, and the findings from it.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadAdvisories } from '../../../dev/harbor-sim/apk';
import { loadAdvisoriesFile } from '../../../dev/scan-core/apk';
import { scanImage, scanImages, sortFindings } from '../../../dev/scan-core/findings';
import { apkDbOfImage, type LayerRef } from '../../../dev/scan-core/layers';
import { apkInstalled } from '../../../dev/oci-image/build';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ustar } from '../../support/tar';

const blobs = new Map<string, Buffer>();
let n = 0;
function layer(data: Buffer, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'): LayerRef {
  const digest = `sha256:${String(++n).padStart(64, '0')}`;
  blobs.set(digest, data);
  return { mediaType, digest };
}
const open = (d: string) => Promise.resolve(Readable.from([blobs.get(d)!]));
const db = (pkgs: { name: string; version: string }[]) => apkInstalled(pkgs);

test('the last layer that writes the apk database wins; a whiteout removes it; non-tar blobs are skipped', async () => {
  const old = layer(gzipSync(ustar([['lib/apk/db/installed', db([{ name: 'zlib', version: '1.2.0-r0' }])]])));
  const unrelated = layer(ustar([['./etc/hostname', 'x']]), 'application/vnd.oci.image.layer.v1.tar');
  const fresh = layer(
    gzipSync(ustar([['./lib/apk/db/installed', db([{ name: 'zlib', version: '1.3.1-r0' }])]])),
  );
  const whiteout = layer(gzipSync(ustar([['lib/apk/db/.wh.installed', '']])));
  const notTar = layer(Buffer.from('{"cosign":true}'), 'application/vnd.dev.cosign.simplesigning.v1+json');
  assert.match((await apkDbOfImage([old, unrelated], open))!, /V:1\.2\.0-r0/);
  assert.match((await apkDbOfImage([old, unrelated, fresh, notTar], open))!, /V:1\.3\.1-r0/);
  assert.equal(await apkDbOfImage([old, whiteout], open), null);
  assert.equal(await apkDbOfImage([unrelated], open), null);
  assert.deepEqual(
    (await scanImage([old], open, loadAdvisories())).map((f) => f.id),
    ['CVE-2023-45853'],
  );
  assert.deepEqual(await scanImage([old, fresh], open, loadAdvisories()), []);
  assert.equal((await scanImages([[old], [old, fresh], [old]], open, loadAdvisories())).length, 2);
});

test('findings sort by CVE, package, version', () => {
  const f = (id: string, p: string, v: string) => ({ id, package: p, version: v });
  assert.deepEqual(sortFindings([f('CVE-2', 'a', '1'), f('CVE-1', 'b', '1'), f('CVE-1', 'a', '2')]), [
    f('CVE-1', 'a', '2'),
    f('CVE-1', 'b', '1'),
    f('CVE-2', 'a', '1'),
  ]);
});

test('a broken advisories file is refused naming the entry, the field and the expected shape', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sa-adv-'));
  const bad = join(dir, 'advisories.json');
  writeFileSync(
    bad,
    JSON.stringify([
      {
        id: 'CVE-1',
        package: 'x',
        affectedBelow: '1',
        fixedVersion: '',
        severity: 'Severe',
        score: 1,
        description: '',
      },
    ]),
  );
  assert.throws(
    () => loadAdvisoriesFile(bad),
    /advisories file .*advisories\.json: \[0\.severity\] .*expected an array of \{id, package/,
  );
  writeFileSync(join(dir, 'nojson.json'), '{');
  assert.throws(() => loadAdvisoriesFile(join(dir, 'nojson.json')), /advisories file .*nojson\.json: /);
});
