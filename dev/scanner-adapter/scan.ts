// One scan: authenticate at Harbor's /v2, read the manifest (an index: each child image), then the apk
// database from the layers, matched against the advisories by dev/scan-core like harbor-sim does.
import type { Advisory } from '../scan-core/apk';
import { scanImages } from '../scan-core/findings';
import type { LayerRef } from '../scan-core/layers';
import type { ScanRequest } from './api';
import type { ScanOutcome } from './jobs';
import { PullError, RegistryPuller } from './registry';

export async function scanArtifact(
  req: ScanRequest,
  credential: string | undefined,
  advisories: Advisory[],
): Promise<ScanOutcome> {
  const puller = new RegistryPuller(
    req.registry.url,
    req.artifact.repository,
    credential,
    req.registry.insecure === true,
  );
  await puller.authenticate();
  const top = await puller.manifest(req.artifact.digest);
  const images: LayerRef[][] = [];
  if (top.kind === 'image') images.push(top.layers);
  else {
    // Harbor scans an index's children as artifacts of their own; a direct request for the index gets
    // the union of its children's findings, as harbor-sim reports it.
    for (const child of top.children) {
      const m = await puller.manifest(child.digest);
      if (m.kind === 'image') images.push(m.layers);
    }
    if (images.length === 0) throw new PullError(`index ${top.digest} has no image manifests`);
  }
  const findings = await scanImages(images, (d) => puller.openBlob(d), advisories);
  return { findings, authMode: puller.mode, images: images.length };
}
