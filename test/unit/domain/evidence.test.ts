import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideEvidence, type EvidenceFinding } from '../../../src/domain/evidence.js';
import { parsePipelineYaml } from '../../../src/domain/pipeline-file.js';
import { PipelineError } from '../../../src/domain/pipeline.js';

const WHERE = 'staging (platform-staging/myservice)';
const yaml = (src: string, dst: string) =>
  `apiVersion: harbor-promote/v1\nregistry: harbor.example.com\nenvironments:\n  - { name: dev, project: platform-dev${src} }\n  - { name: staging, project: platform-staging${dst} }\n`;

function problems(text: string): string[] {
  try {
    parsePipelineYaml(text, 'p.yaml');
  } catch (e) {
    assert.ok(e instanceof PipelineError, String(e));
    return e.problems;
  }
  assert.fail('expected the pipeline to be rejected');
}

describe('requires in the pipeline', () => {
  it('accepts any subset of sbom, provenance, signature on a destination', () => {
    const p = parsePipelineYaml(yaml('', ', requires: [signature, sbom, provenance]'));
    assert.deepEqual(p.environments[1]!.requires, ['signature', 'sbom', 'provenance']);
    assert.equal(parsePipelineYaml(yaml('', '')).environments[1]!.requires, undefined);
  });

  it('refuses an unknown kind, naming the field and the allowed values', () => {
    const [p, ...rest] = problems(yaml('', ', requires: [sbom, attestation]'));
    assert.equal(rest.length, 0);
    assert.match(p!, /environments\[1\]\.requires\[1\]/);
    assert.match(p!, /"attestation" is not a kind of evidence; allowed values: sbom, provenance, signature/);
  });

  it('refuses a kind listed twice and a value that is not a list', () => {
    assert.match(problems(yaml('', ', requires: [sbom, sbom]')).join('\n'), /requires.*twice/);
    assert.match(
      problems(yaml('', ', requires: sbom')).join('\n'),
      /requires.*must be a list of evidence kinds/,
    );
  });

  it('refuses requires on the source environment', () => {
    assert.match(
      problems(yaml(', requires: [sbom]', '')).join('\n'),
      /environments\[0\]\.requires.*the first environment is the source/,
    );
  });
});

describe('decideEvidence', () => {
  const valid = (kind: EvidenceFinding['kind'], predicateType?: string): EvidenceFinding => ({
    kind,
    state: 'valid',
    ...(predicateType && { predicateType }),
  });

  it('nothing missing when every required kind is valid', () => {
    const d = decideEvidence(
      ['signature', 'sbom'],
      [valid('signature'), valid('sbom', 'https://spdx.dev/Document')],
      WHERE,
      'production',
    );
    assert.deepEqual(d.missing, []);
    assert.match(d.message, /carries a valid signature, sbom \(https:\/\/spdx\.dev\/Document\)/);
  });

  it('names each missing kind, what would satisfy it and where, in the pipeline order', () => {
    const d = decideEvidence(
      ['sbom', 'provenance', 'signature'],
      [valid('signature'), { kind: 'sbom', state: 'none' }, { kind: 'provenance', state: 'none' }],
      WHERE,
      'production',
    );
    assert.deepEqual(d.missing, ['sbom', 'provenance']);
    assert.match(
      d.message,
      /^production requires sbom, provenance, signature; staging \(platform-staging\/myservice\) is missing sbom \(no cosign attestation of type https:\/\/spdx\.dev\/Document or https:\/\/cyclonedx\.org\/bom\); provenance \(no cosign attestation of type https:\/\/slsa\.dev\/provenance\/v1 or https:\/\/slsa\.dev\/provenance\/v0\.2\)\. Attach it/,
    );
    assert.match(
      d.message,
      /sbom \(no cosign attestation of type https:\/\/spdx\.dev\/Document or https:\/\/cyclonedx\.org\/bom\)/,
    );
    assert.match(d.message, /https:\/\/slsa\.dev\/provenance\/v1/);
    assert.doesNotMatch(d.message, /signature \(/);
  });

  it('an invalid piece (other key) is missing too, with its reasons', () => {
    const d = decideEvidence(
      ['signature'],
      [{ kind: 'signature', state: 'invalid', reasons: ['layer x: wrong key'] }],
      WHERE,
      'production',
    );
    assert.deepEqual(d.missing, ['signature']);
    assert.match(
      d.message,
      /signature \(a cosign signature is there but does not verify with the promoter's public key: layer x: wrong key\)/,
    );
  });

  it('a required kind the check did not report counts as missing', () => {
    assert.deepEqual(decideEvidence(['provenance'], [], WHERE, 'production').missing, ['provenance']);
  });
});
