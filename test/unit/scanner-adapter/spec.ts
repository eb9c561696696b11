// The Scanner Adapter API v1.1 spec (OpenAPI 3), dereferenced; component schemas compiled with ajv.
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ADAPTER_SPEC = [
  process.env.SCANNER_ADAPTER_SPEC,
  join(__dirname, '../../../../shared/reference/harbor-scanner-adapter-v1.1.yaml'),
  '/work/shared/reference/harbor-scanner-adapter-v1.1.yaml',
].find((p): p is string => !!p && existsSync(p))!;

type Doc = { components: { schemas: Record<string, object> } };
let doc: Promise<Doc> | null = null;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('url', (s: string) => /^https?:\/\//.test(s));
ajv.addFormat('float', true);

/** A validator for `#/components/schemas/<name>`; its errors as one line each. */
export async function schema(name: string): Promise<(v: unknown) => string[]> {
  doc ??= SwaggerParser.dereference(ADAPTER_SPEC) as unknown as Promise<Doc>;
  const s = (await doc).components.schemas[name];
  if (!s) throw new Error(`no schema ${name} in ${ADAPTER_SPEC}`);
  const v: ValidateFunction = ajv.compile(s);
  return (x) => (v(x) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}
