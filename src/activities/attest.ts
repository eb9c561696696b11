/**
 * attestEnvironment and verifyAttestations: the signed evidence of one environment (tracker issue 11,
 * docs/attestations.md). `cosign attest` writes cosign's legacy format (`--new-bundle-format=false`: a DSSE
 * envelope per predicate type under the tag `sha256-<hex>.att`; the bundle format would count as a cosign
 * signature in Harbor and hide the real `.sig`, docs/attestations-on-harbor.md) with `--replace`, which
 * swaps the envelope of the same predicate type: a retried or crashed attempt leaves one VSA and one record.
 * Offline flags, key password in COSIGN_PASSWORD and registry credentials in a private DOCKER_CONFIG, as
 * for signing (cosign.ts). Checks are in-process (signature.ts over the worker's Harbor connection).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  canonicalJson,
  canonicalPipeline,
  policyUri,
  RECORD_PREDICATE_TYPE,
  recordPredicate,
  resourceUri,
  VSA_PREDICATE_TYPE,
  vsaPredicate,
  type ResourceDescriptor,
} from '../domain/attestation.js';
import {
  EVIDENCE_KINDS,
  EVIDENCE_PREDICATE_TYPES,
  type EvidenceFinding,
  type EvidenceKind,
} from '../domain/evidence.js';
import { FailureType } from '../domain/failures.js';
import { validatePipeline, type Pipeline } from '../domain/pipeline.js';
import type {
  ArtifactRef,
  AttestationProof,
  AttestEnvironmentInput,
  AttestResult,
  CheckEvidenceInput,
} from './contract.js';
import { cosignTools, throwIfBlocked } from './cosign.js';
import { imageRef, type Deps } from './deps.js';
import { readAttestation, readSignature } from './evidence.js';
import { mapFailures, nonRetryable, retryable } from './failures.js';
import { READ } from './harbor.js';
import { currentContext, ToolError } from './process.js';
import { withPrivateDir } from './secrets.js';
import { attestationTag, signatureTag } from './signature.js';
import { toolOutputSays } from './tool-output.js';
import { checkArtifact } from './validate.js';

/** Tries of one `cosign attest` run within an activity attempt (transient registry failures only). */
const ATTEST_TRIES = 4;

export const ATTESTED_TYPES = [VSA_PREDICATE_TYPE, RECORD_PREDICATE_TYPE] as const;

/** harbor-promote's version (package.json), the VSA's verifier.version. */
export const TOOL_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
})();

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function validPipeline(value: unknown): Pipeline {
  try {
    return validatePipeline(value, 'the promotion pipeline');
  } catch (err) {
    throw nonRetryable(FailureType.InvalidInput, (err as Error).message);
  }
}

export function attestArgs(
  ref: string,
  o: { keyFile: string; predicateFile: string; type: string; plainHttp: boolean },
): string[] {
  return [
    'attest',
    '--key',
    o.keyFile,
    '--use-signing-config=false',
    '--tlog-upload=false',
    '--new-bundle-format=false',
    '--replace',
    '--type',
    o.type,
    '--predicate',
    o.predicateFile,
    '--yes',
    ...(o.plainHttp ? ['--allow-http-registry'] : []),
    ref,
  ];
}

export function attestActivities(d: Deps) {
  const { cfg } = d;
  const { prepare, run, publicKey } = cosignTools(d);
  const signal = () => currentContext()?.cancellationSignal;
  /** A short wait that a cancelled activity ends at once (the activity context's sleep when there is one). */
  const pause = (ms: number) => currentContext()?.sleep(ms) ?? delay(ms);

  /** The `.sig` manifest's digest in this project (what the signature gate verified), if there is one. */
  async function signatureInput(a: ArtifactRef, registry: string): Promise<ResourceDescriptor[]> {
    const m = await d.registry.getManifest(a.project, a.repository, signatureTag(a.digest), signal());
    if (!m) return [];
    const uri = `oci://${registry}/${a.project}/${a.repository}:${signatureTag(a.digest)}`;
    return [{ uri, digest: { sha256: sha256(m.bytes) } }];
  }

  async function attestEnvironment(input: AttestEnvironmentInput): Promise<AttestResult> {
    checkArtifact(input.artifact);
    const a = input.artifact;
    const ev = input.evidence;
    const name = `${a.project}/${a.repository}@${a.digest}`;
    if (ev.digest !== a.digest)
      throw nonRetryable(FailureType.InvalidInput, `attest ${name}: the evidence is about ${ev.digest}`);
    const pipeline = validPipeline(input.pipeline);
    const policy: ResourceDescriptor = {
      uri: policyUri(pipeline),
      digest: { sha256: sha256(canonicalPipeline(pipeline)) },
    };
    const fc = { action: `attest ${name}`, need: READ(a.project), subject: `artifact ${name}` };
    const sig = await mapFailures(fc, cfg.harborUsername, () => signatureInput(a, pipeline.registry));
    const scan = ev.scans[ev.environment];
    const scanInput: ResourceDescriptor[] = scan
      ? [
          {
            // The report Harbor keeps for this digest; the digest is of the summary the gate judged (the
            // record's `scans`), since Harbor's report JSON is regenerated on every read.
            uri: `${cfg.harborUrl.replace(/\/$/, '')}/api/v2.0/projects/${a.project}/repositories/${encodeURIComponent(encodeURIComponent(a.repository))}/artifacts/${a.digest}/additions/vulnerabilities#report=${scan.reportId}`,
            digest: { sha256: sha256(canonicalJson(scan)) },
          },
        ]
      : [];
    const at = new Date().toISOString();
    const resource = resourceUri(pipeline.registry, a.project, a.repository, a.digest);
    const predicates = {
      [VSA_PREDICATE_TYPE]: vsaPredicate({
        identity: cfg.harborUsername,
        version: TOOL_VERSION,
        timeVerified: at,
        environment: ev.environment,
        resourceUri: resource,
        policy,
        inputAttestations: [...sig, ...scanInput],
      }),
      [RECORD_PREDICATE_TYPE]: recordPredicate(ev, { policy, attestedAt: at, resourceUri: resource }),
    };
    await withPrivateDir(async (dir) => {
      const p = await prepare(dir);
      const ref = imageRef(cfg, a.project, a.repository, a.digest);
      for (const type of ATTESTED_TYPES) {
        const file = await dir.write(
          type === VSA_PREDICATE_TYPE ? 'vsa.json' : 'record.json',
          JSON.stringify(predicates[type]),
        );
        const args = attestArgs(ref, {
          keyFile: p.keyFile,
          predicateFile: file,
          type,
          plainHttp: cfg.plainHttp,
        });
        // A run makes about a dozen registry requests; cosign (go-containerregistry) tries each 3 times,
        // then the whole run fails. A few quick tries here keep the predicate already attested (--replace
        // makes a repeat harmless) instead of starting both over on the next activity attempt.
        for (let attempt = 1; ; attempt++) {
          const r = await run(dir, args, 'cosign attest', p.env);
          if (r.code === 0) break;
          const err = new ToolError('cosign', r, `cosign attest --type ${type} ${ref}`);
          throwIfBlocked(r, `cosign attest ${ref}`);
          if (toolOutputSays('cosign', 'denied', r.stderr))
            throw nonRetryable(
              FailureType.PermissionDenied,
              `${err.message}\nThe Harbor account '${cfg.harborUsername}' needs the Developer role (robot permission repository:push) on project '${a.project}' to push attestations.`,
            );
          if (attempt >= ATTEST_TRIES) throw retryable(err.message);
          await pause(500 * 2 ** (attempt - 1));
        }
      }
    });
    // The `.att`'s digest from the REST API (not policy-checked). Harbor files the `.att` as a plain image
    // and scans it, so in a prevent_vul project only a signer's read (push token, cosign User-Agent) gets
    // its manifest: the final proof reads that way (docs/attestations.md).
    const att = await mapFailures(fc, cfg.harborUsername, () =>
      d.api.getArtifact(a.project, a.repository, attestationTag(a.digest), { withTag: false }, signal()),
    );
    return {
      predicateTypes: [...ATTESTED_TYPES],
      policyDigest: policy.digest.sha256,
      attestedAt: at,
      attestationDigest: att.digest,
    };
  }

  /** The final proof's attestation part: both predicate types verify with our key in every project. */
  async function verifyAttestations(input: { artifacts: ArtifactRef[] }): Promise<AttestationProof[]> {
    input.artifacts.forEach(checkArtifact);
    const key = await publicKey();
    const out: AttestationProof[] = [];
    for (const a of input.artifacts) {
      const name = `${a.project}/${a.repository}@${a.digest}`;
      const fc = {
        action: `verify attestations of ${name}`,
        need: READ(a.project),
        subject: `artifact ${name}`,
      };
      for (const type of ATTESTED_TYPES) {
        const v = await mapFailures(fc, cfg.harborUsername, () =>
          readAttestation(d.registry, a, key, type, { signer: true, signal: signal() }),
        );
        if (v.state !== 'valid')
          throw nonRetryable(
            FailureType.SignatureInvalid,
            `${name}: ${v.state === 'none' ? `no ${type} attestation` : `the ${type} attestation does not verify with the configured public key: ${v.reasons.join('; ')}`}`,
          );
      }
      out.push({ project: a.project, repository: a.repository, predicateTypes: [...ATTESTED_TYPES] });
    }
    return out;
  }

  /**
   * Required evidence (src/domain/evidence.ts): for each kind the environment requires, whether the artifact
   * in the previous project carries it, valid with the promoter's public key. In-process, as the final proof:
   * the `.sig` as `cosign verify --key`, each SBOM/provenance predicate type as `cosign verify-attestation`.
   * Returns findings; the workflow decides (decideEvidence) and fails `EvidenceMissing`.
   */
  async function checkEvidence(input: CheckEvidenceInput): Promise<EvidenceFinding[]> {
    checkArtifact(input.artifact);
    const bad = input.requires.filter((k) => !(EVIDENCE_KINDS as readonly string[]).includes(k));
    if (bad.length > 0)
      throw nonRetryable(
        FailureType.InvalidInput,
        `requires: ${bad.join(', ')} is not a kind of evidence; allowed values: ${EVIDENCE_KINDS.join(', ')}`,
      );
    const a = input.artifact;
    const name = `${a.project}/${a.repository}@${a.digest}`;
    const fc = {
      action: `check the evidence of ${name}`,
      need: READ(a.project),
      subject: `artifact ${name}`,
    };
    const key = await publicKey();
    const out: EvidenceFinding[] = [];
    for (const kind of input.requires as EvidenceKind[]) {
      if (kind === 'signature') {
        const v = await mapFailures(fc, cfg.harborUsername, () =>
          readSignature(d.registry, a, key, { signal: signal() }),
        );
        out.push({ kind, state: v.state, ...(v.state !== 'valid' && { reasons: v.reasons }) });
        continue;
      }
      // Any accepted predicate type will do; an invalid one is reported only when none is valid.
      const reasons: string[] = [];
      let finding: EvidenceFinding = { kind, state: 'none' };
      for (const type of EVIDENCE_PREDICATE_TYPES[kind]) {
        // A signer's read: in a prevent_vul project Harbor blocks a plain pull of the `.att` (attestEnvironment).
        const v = await mapFailures(fc, cfg.harborUsername, () =>
          readAttestation(d.registry, a, key, type, { signer: true, signal: signal() }),
        );
        if (v.state === 'valid') {
          finding = { kind, state: 'valid', predicateType: type };
          break;
        }
        if (v.state === 'invalid') {
          finding = { kind, state: 'invalid' };
          reasons.push(...v.reasons);
        }
      }
      out.push(finding.state === 'invalid' ? { ...finding, reasons } : finding);
    }
    return out;
  }

  return { attestEnvironment, verifyAttestations, checkEvidence };
}
