// `scan` per environment: false, { required: false }, or the default (required); bad values name the fix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePipelineYaml } from '../../../src/domain/pipeline-file.js';
import { PipelineError, scanMode } from '../../../src/domain/pipeline.js';
import { checkPromotionInput } from '../../../src/domain/promotion.js';

const yaml = (stagingScan: string) => `apiVersion: harbor-promote/v1
registry: harbor.example.com
environments:
  - { name: dev, project: platform-dev }
  - { name: staging, project: platform-staging${stagingScan ? `, scan: ${stagingScan}` : ''} }
`;

function problems(text: string): string[] {
  try {
    parsePipelineYaml(text, 'p.yaml');
  } catch (e) {
    assert.ok(e instanceof PipelineError, String(e));
    return e.problems;
  }
  assert.fail('expected the pipeline to be rejected');
}

describe('pipeline scan setting', () => {
  it('default is required, with the old shape kept (no `required` key added)', () => {
    const p = parsePipelineYaml(yaml(''));
    assert.deepEqual(p.environments[1]!.scan, { timeout: '30m', pollInterval: '15s' });
    assert.equal(scanMode(p.environments[1]!), 'required');
  });
  it('false turns the gate off; { required: false } makes it optional', () => {
    assert.equal(scanMode(parsePipelineYaml(yaml('false')).environments[1]!), 'off');
    const opt = parsePipelineYaml(yaml('{ required: false, timeout: 5m }')).environments[1]!;
    assert.equal(scanMode(opt), 'optional');
    assert.deepEqual(opt.scan, { required: false, timeout: '5m', pollInterval: '15s' });
  });
  it('the validated pipeline is valid workflow input again (the workflow re-validates it)', () => {
    const pipeline = parsePipelineYaml(yaml('false'));
    const r = checkPromotionInput({ pipeline, repository: 'myservice', reference: '1.0' });
    assert.ok(r.ok);
    assert.equal(r.input.pipeline.environments[1]!.scan, false);
  });
  it('bad values: one line naming the field and the fix', () => {
    assert.deepEqual(problems(yaml('true')), [
      'environments[1].scan: must be `false` (no scan gate) or a mapping with `required`, `timeout` and `pollInterval` (e.g. `{ required: false }`)',
    ]);
    assert.deepEqual(problems(yaml('{ required: maybe }')), [
      'environments[1].scan.required: must be true or false',
    ]);
    assert.deepEqual(problems(yaml('{ timeout: soon }')), [
      'environments[1].scan.timeout: is not a duration; write e.g. "30s", "15m", "72h" or "1h30m"',
    ]);
    assert.deepEqual(problems(yaml('{ requird: false }')), [
      'environments[1].scan.requird: unknown key; did you mean "required"?',
    ]);
  });
});
