// Manifest parsing and what a manifest PUT records: artifact, tag, accessory link, push event.
import { HarborError } from './errors';
import { artifactByDigest, ensureRepo, putTag } from './model';
import type { Sim } from './sim';
import type { ArtifactRec, BlobRef, ProjectRec } from './store';
import { now } from './store';

export const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const COSIGN_SIG_TYPES = [
  'application/vnd.dev.cosign.artifact.sig.v1+json',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
];
const NOTATION = 'application/vnd.cncf.notary.signature';
const HARBOR_SBOM = 'application/vnd.goharbor.harbor.sbom.v1';
const IMAGE_CONFIGS = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
];
export const SIG_TAG_RE = /^sha256-([a-f0-9]{64})\.sig$/;

export interface ParsedManifest {
  mediaType: string;
  config: BlobRef | null;
  layers: BlobRef[];
  children: { digest: string; platform?: Record<string, unknown>; annotations?: Record<string, string> }[];
  subject: string | null;
  artifactType: string;
  annotations: Record<string, string>;
}

interface RawDesc {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: Record<string, unknown>;
  annotations?: Record<string, string>;
}
interface RawManifest {
  mediaType?: string;
  config?: RawDesc;
  layers?: RawDesc[];
  manifests?: RawDesc[];
  subject?: RawDesc;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const blob = (d: RawDesc): BlobRef => ({
  digest: String(d.digest ?? ''),
  size: Number(d.size ?? 0),
  mediaType: String(d.mediaType ?? ''),
});

export function parseManifest(body: Buffer, contentType: string): ParsedManifest {
  let m: RawManifest;
  try {
    m = JSON.parse(body.toString('utf8')) as RawManifest;
  } catch {
    throw new HarborError('MANIFEST_INVALID', 'manifest invalid: invalid JSON');
  }
  if (typeof m !== 'object' || m === null) throw new HarborError('MANIFEST_INVALID', 'manifest invalid');
  const mediaType =
    m.mediaType ||
    contentType.split(';')[0]!.trim() ||
    (m.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json');
  return {
    mediaType,
    config: m.config ? blob(m.config) : null,
    layers: (m.layers ?? []).map(blob),
    children: (m.manifests ?? []).map((d) => ({
      digest: String(d.digest ?? ''),
      platform: d.platform,
      annotations: d.annotations,
    })),
    subject: m.subject?.digest ?? null,
    artifactType: m.artifactType ?? '',
    annotations: m.annotations ?? {},
  };
}

export function artifactKind(p: ParsedManifest): string {
  if (p.children.length || /index|manifest\.list/.test(p.mediaType)) return 'IMAGE';
  const cfg = p.config?.mediaType ?? '';
  if (IMAGE_CONFIGS.includes(cfg)) return 'IMAGE';
  if (cfg === 'application/vnd.cncf.helm.config.v1+json') return 'CHART';
  if (cfg === 'application/vnd.cnab.config.v1+json') return 'CNAB';
  if (cfg === 'application/vnd.wasm.config.v1+json') return 'WASM';
  return 'UNKNOWN';
}

/** Accessory type for an OCI `subject` referrer. */
function subjectAccessoryType(p: ParsedManifest): string {
  const kinds = [p.config?.mediaType ?? '', p.artifactType];
  if (kinds.some((k) => COSIGN_SIG_TYPES.includes(k))) return 'signature.cosign';
  if (kinds.includes(NOTATION)) return 'signature.notation';
  if (kinds.includes(HARBOR_SBOM)) return 'sbom.harbor';
  return 'subject.accessory';
}

export function linkAccessory(sim: Sim, art: ArtifactRec, subject: ArtifactRec, type: string): void {
  const s = sim.s;
  if (s.accessories.some((a) => a.artifactId === art.id && a.subjectArtifactId === subject.id)) return;
  s.accessories.push({
    id: sim.store.nextId('accessory'),
    artifactId: art.id,
    subjectArtifactId: subject.id,
    type,
    creationTime: now(),
  });
}

/**
 * Record a pushed manifest (from /v2 or from a copy). Creates the repository and artifact if needed,
 * moves the tag, links accessories. Returns the artifact. Does not save or fire the push event.
 */
export async function recordManifest(
  sim: Sim,
  project: ProjectRec,
  repoFull: string,
  ref: string,
  digest: string,
  body: Buffer,
  contentType: string,
): Promise<ArtifactRec> {
  const s = sim.s;
  const p = parseManifest(body, contentType);
  const repo = ensureRepo(s, project, repoFull, sim.ids('repository'));
  const t = now();
  let art = artifactByDigest(s, repo, digest);
  if (!art) {
    const childSizes = p.children.reduce((n, c) => n + (artifactByDigest(s, repo, c.digest)?.size ?? 0), 0);
    art = {
      id: sim.store.nextId('artifact'),
      repositoryId: repo.id,
      digest,
      manifestMediaType: p.mediaType,
      mediaType: p.children.length ? p.mediaType : (p.config?.mediaType ?? p.mediaType),
      artifactType: p.artifactType || p.config?.mediaType || '',
      type: artifactKind(p),
      size: body.length + (p.config?.size ?? 0) + p.layers.reduce((n, l) => n + l.size, 0) + childSizes,
      pushTime: t,
      pullTime: '',
      annotations: p.annotations,
      extraAttrs: {},
      config: p.config,
      layers: p.layers,
      children: p.children,
      subjectDigest: p.subject,
    };
    s.artifacts.push(art);
    if (art.type === 'IMAGE' && p.config && IMAGE_CONFIGS.includes(p.config.mediaType)) {
      try {
        const cfg = (await sim.registry.blobJson(repoFull, p.config.digest)) as Record<string, unknown>;
        art.extraAttrs = Object.fromEntries(
          Object.entries({
            architecture: cfg.architecture,
            os: cfg.os,
            config: cfg.config ?? {},
            author: cfg.author,
            created: cfg.created,
          }).filter(([, v]) => v !== undefined && v !== ''),
        );
      } catch {
        /* the config is informational only */
      }
    }
  } else {
    art.pushTime = t;
  }
  repo.updateTime = t;
  if (!ref.startsWith('sha256:')) putTag(s, art, ref, sim.ids('tag'), t);
  // accessories: OCI subject, or a cosign `sha256-<hex>.sig` tag with a simple-signing layer
  if (p.subject) {
    const subject = artifactByDigest(s, repo, p.subject);
    if (subject) linkAccessory(sim, art, subject, subjectAccessoryType(p));
  }
  const sig = SIG_TAG_RE.exec(ref);
  if (sig && p.layers.some((l) => l.mediaType === COSIGN_SIMPLESIGNING)) {
    const subject = artifactByDigest(s, repo, `sha256:${sig[1]}`);
    if (subject) linkAccessory(sim, art, subject, 'signature.cosign');
  }
  return art;
}
