/**
 * What a CI build attaches next to its image so a pipeline's `requires` (src/domain/evidence.ts) is met: an
 * SPDX SBOM and a SLSA v1 provenance, each a cosign attestation in the legacy `.att` format (as
 * src/activities/attest.ts writes them), signed with the promoter's key because that is the key the pipeline
 * trusts. Uses the real cosign, offline; the key password goes in COSIGN_PASSWORD and the registry
 * credentials in a private DOCKER_CONFIG, never argv. Used by the integration tests and the demo.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { attestArgs } from '../../src/activities/attest';
import { authFileContent } from '../../src/activities/secrets';

const run = promisify(execFile);

export type BuildEvidence = 'sbom' | 'provenance';

export interface AttestBuildOptions {
  cosignBin: string;
  /** The promoter's cosign private key and its password. */
  keyFile: string;
  keyPassword: string;
  /** `host/project/repository@sha256:…` */
  image: string;
  /** An account that may push in that project (the CI robot or the promoter). */
  username: string;
  password: string;
  plainHttp: boolean;
  kinds: readonly BuildEvidence[];
}

/** A minimal SPDX 2.3 document for the image (what `syft -o spdx-json` would write, much shortened). */
export function spdxDocument(image: string): object {
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: image,
    documentNamespace: `https://harbor-promote.dev/demo/spdx/${encodeURIComponent(image)}`,
    creationInfo: { created: new Date().toISOString(), creators: ['Tool: harbor-promote-demo'] },
    packages: [{ SPDXID: 'SPDXRef-image', name: image, downloadLocation: 'NOASSERTION' }],
  };
}

/** A minimal SLSA v1 provenance predicate (buildDefinition + runDetails). */
export function slsaProvenance(image: string): object {
  return {
    buildDefinition: {
      buildType: 'https://harbor-promote.dev/demo/build/v1',
      externalParameters: { image },
      internalParameters: {},
      resolvedDependencies: [],
    },
    runDetails: {
      builder: { id: 'https://harbor-promote.dev/demo/builder' },
      metadata: { invocationId: `demo-${Date.now()}` },
    },
  };
}

/** Attests each kind on the image; throws with cosign's stderr when one fails. */
export async function attestBuildEvidence(o: AttestBuildOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hp-build-evidence-'));
  try {
    const host = o.image.split('/')[0]!;
    writeFileSync(join(dir, 'config.json'), authFileContent(host, o.username, o.password), { mode: 0o600 });
    for (const kind of o.kinds) {
      const file = join(dir, `${kind}.json`);
      writeFileSync(file, JSON.stringify(kind === 'sbom' ? spdxDocument(o.image) : slsaProvenance(o.image)));
      const args = attestArgs(o.image, {
        keyFile: o.keyFile,
        predicateFile: file,
        type: kind === 'sbom' ? 'spdxjson' : 'slsaprovenance1',
        plainHttp: o.plainHttp,
      });
      await run(o.cosignBin, args, {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          DOCKER_CONFIG: dir,
          TUF_ROOT: join(dir, 'tuf'),
          COSIGN_PASSWORD: o.keyPassword,
        },
        timeout: 120_000,
      }).catch((e: { stderr?: string; message: string }) => {
        throw new Error(`cosign attest --type ${kind} ${o.image}: ${e.stderr?.trim() || e.message}`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
