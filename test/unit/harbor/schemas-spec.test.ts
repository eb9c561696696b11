// The client's zod response schemas against Harbor's swagger, both ways, for every operation the client
// knows (derived from the client, test/support/client-operations.ts):
//   1. every field the client reads exists in the spec with a compatible type;
//   2. spec-valid samples generated from the swagger parse: every property filled, and every array `null`
//      (go-swagger sends a nil slice as null; real Harbor v2.15.2 does, real-harbor.md).
// The vulnerabilities addition is `type: string` in Harbor's swagger (raw content); its JSON is the scanner
// adapter's HarborVulnerabilityReport keyed by mime type, so it is checked against that spec instead.
import SwaggerParser from '@apidevtools/swagger-parser';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { z } from 'zod';
import { ArtifactSchema } from '../../../src/harbor/index';
import { findOperation, loadSpec, type Spec } from '../../contract/spec';
import { clientOperations, opKey, type ClientOperation } from '../../support/client-operations';
import { compareToSpec, sampleFromSpec, type SpecSchema } from '../../support/schema-walk';

const ADAPTER_SPEC = [
  process.env.HARBOR_SCANNER_ADAPTER_SPEC,
  join(__dirname, '../../../../shared/reference/harbor-scanner-adapter-v1.1.yaml'),
  '/work/shared/reference/harbor-scanner-adapter-v1.1.yaml',
].find((p): p is string => !!p && existsSync(p))!;

let spec: Spec;
let adapterReport: SpecSchema;
let ops: ClientOperation[];

before(async () => {
  spec = await loadSpec();
  const adapter = (await SwaggerParser.dereference(ADAPTER_SPEC)) as unknown as {
    components: { schemas: Record<string, SpecSchema> };
  };
  adapterReport = {
    type: 'object',
    additionalProperties: adapter.components.schemas.HarborVulnerabilityReport!,
  };
  ops = (await clientOperations()).filter((o) => o.api === 'rest' && o.schema);
});

/** The spec schema of one item (lists) or of the whole 200 body. */
function responseSchema(op: ClientOperation): SpecSchema {
  const found = findOperation(spec, op.method, op.template);
  assert.ok(found, `${opKey(op)} is not in the swagger`);
  const body = found.responses['200']?.schema as SpecSchema | undefined;
  assert.ok(body, `${opKey(op)}: the swagger declares no 200 body`);
  if (body.type === 'string' && op.template.endsWith('/additions/vulnerabilities')) return adapterReport;
  if (op.list) {
    // loadSpec lets every array be null (go-swagger's nil slice), so the type may be ['array', 'null']
    assert.ok(
      [body.type].flat().includes('array'),
      `${opKey(op)} is read as a list; the spec says ${String(body.type)}`,
    );
    return body.items!;
  }
  return body;
}

describe("client schemas ↔ Harbor's swagger", () => {
  it('the client reads JSON bodies from the operations this test knows how to check', () => {
    // getJson/listAll operations of HarborApi; a new one is covered below without editing this file.
    assert.ok(ops.length >= 7, ops.map(opKey).join('\n'));
  });

  it('every field the client reads exists in the spec with a compatible type', () => {
    const problems = ops.flatMap((op) =>
      compareToSpec(op.schema!, responseSchema(op)).map((p) => `${opKey(op)}: ${p}`),
    );
    assert.deepEqual(problems, []);
  });

  for (const mode of ['full', 'nulls'] as const) {
    it(`a spec-valid sample with ${mode === 'full' ? 'every property filled' : 'every array null'} parses`, () => {
      const problems = ops.flatMap((op) => {
        const sample = sampleFromSpec(responseSchema(op), mode);
        const r = op.schema!.safeParse(sample);
        return r.success
          ? []
          : [`${opKey(op)}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`];
      });
      assert.deepEqual(problems, []);
    });
  }

  it('the checks fail for a field the spec lacks, a wrong type, or a sample the schema refuses', () => {
    const artifact = responseSchema(ops.find((o) => o.caller === 'HarborApi.getArtifact')!);
    assert.deepEqual(compareToSpec(ArtifactSchema, artifact), []);
    assert.deepEqual(compareToSpec(z.looseObject({ digestt: z.string() }), artifact), [
      'digestt: client reads it, the spec does not define it',
    ]);
    assert.deepEqual(compareToSpec(z.looseObject({ size: z.string() }), artifact), [
      'size: client reads a string, spec says integer',
    ]);
    assert.deepEqual(
      compareToSpec(z.looseObject({ tags: z.array(z.looseObject({ name: z.boolean() })) }), artifact),
      ['tags[].name: client reads a boolean, spec says string'],
    );
    // an array that does not accept null refuses the nil-slice sample
    const strict = z.looseObject({ tags: z.array(z.unknown()).optional() });
    assert.equal(strict.safeParse(sampleFromSpec(artifact, 'nulls')).success, false);
  });
});
