// One finding per (advisory, installed package), and the scan of one image or of an index's images.
import { matchAdvisories, parseApkInstalled, type Advisory } from './apk';
import { apkDbOfImage, type LayerRef, type OpenBlob } from './layers';

export interface Finding {
  id: string;
  package: string;
  version: string;
  /** '' when the distribution has no fix */
  fix_version: string;
  /** title case, one of SEVERITIES */
  severity: string;
  description: string;
  links: string[];
  /** CVSS v3 base score */
  score: number;
}

/** Findings of one image manifest (its layers in order). An image without an apk database has none. */
export async function scanImage(
  layers: LayerRef[],
  open: OpenBlob,
  advisories: Advisory[],
): Promise<Finding[]> {
  const db = await apkDbOfImage(layers, open);
  return db === null ? [] : matchAdvisories(parseApkInstalled(db), advisories);
}

/** Findings of several images (an index's children): the concatenation, in the order given. */
export async function scanImages(
  images: LayerRef[][],
  open: OpenBlob,
  advisories: Advisory[],
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const layers of images) out.push(...(await scanImage(layers, open, advisories)));
  return out;
}

/** Harbor's identity of a vulnerability record: CVE, package and installed version. */
export const findingKey = (f: Pick<Finding, 'id' | 'package' | 'version'>): string =>
  `${f.id}|${f.package}|${f.version}`;

/** A stable order for comparing two reports. */
export function sortFindings<T extends Pick<Finding, 'id' | 'package' | 'version'>>(fs: T[]): T[] {
  return [...fs].sort((a, b) => (findingKey(a) < findingKey(b) ? -1 : findingKey(a) > findingKey(b) ? 1 : 0));
}
