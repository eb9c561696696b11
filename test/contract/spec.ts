// Harbor's own swagger, dereferenced with @apidevtools/swagger-parser; bodies validated with ajv.
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SPEC_PATH = [
  process.env.HARBOR_SWAGGER,
  join(__dirname, '../../../shared/reference/harbor-swagger-v2.yaml'),
  '/work/shared/reference/harbor-swagger-v2.yaml',
].find((p): p is string => !!p && existsSync(p))!;

interface Param {
  name: string;
  in: string;
  required?: boolean;
}
interface Operation {
  parameters?: Param[];
  responses: Record<string, { schema?: object }>;
}
export interface Spec {
  basePath: string;
  paths: Record<string, Record<string, Operation>>;
}

/**
 * go-swagger generates `interface{}` for a schema that is just `type: object` with no properties, so Harbor
 * sends any JSON value there (e.g. ExtraAttrs' `"architecture": "amd64"`). Mirror that: such a schema
 * accepts anything; and an array may be `null`. Applied once to the dereferenced spec (shared objects are
 * visited once).
 */
function goSwaggerSemantics(node: unknown, seen = new Set<object>()): void {
  if (typeof node !== 'object' || node === null || seen.has(node)) return;
  seen.add(node);
  const o = node as Record<string, unknown>;
  if (o.type === 'object' && !('properties' in o) && !('additionalProperties' in o) && !('allOf' in o))
    delete o.type;
  // go-swagger does not omit arrays: a nil slice is sent as `null` (Harbor v2.15.2, harbor-api.md §0).
  if (o.type === 'array') o.type = ['array', 'null'];
  for (const v of Object.values(o)) goSwaggerSemantics(v, seen);
}

let loaded: Promise<Spec> | null = null;
export function loadSpec(): Promise<Spec> {
  loaded ??= (SwaggerParser.dereference(SPEC_PATH) as unknown as Promise<Spec>).then((s) => {
    goSwaggerSemantics(s.paths);
    return s;
  });
  return loaded;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addFormat('int', true);
const cache = new Map<object, ValidateFunction>();

/** Normalise `{project_name_or_id}` etc. so sim templates and spec keys compare. */
export function normPath(p: string): string {
  return p.replace(/\{[^}]+\}/g, '{}').replace(/\/$/, '/');
}

export function findOperation(spec: Spec, method: string, template: string): Operation | undefined {
  const key = Object.keys(spec.paths).find(
    (k) => normPath(k) === normPath(template) && k.split('{').length === template.split('{').length,
  );
  return key ? spec.paths[key]?.[method.toLowerCase()] : undefined;
}

/** Match a concrete request path (below /api/v2.0) to its spec template. */
export function templateFor(spec: Spec, method: string, path: string): string | undefined {
  const segs = path.split('?')[0]!.split('/');
  return Object.keys(spec.paths).find((k) => {
    const ks = k.split('/');
    if (ks.length !== segs.length || !spec.paths[k]?.[method.toLowerCase()]) return false;
    return ks.every((s, i) => s.startsWith('{') || s === segs[i]);
  });
}

/** Validate a JSON body against the spec's schema for that method/path/status. Returns error text or null. */
export function validateBody(
  spec: Spec,
  method: string,
  path: string,
  status: number,
  body: unknown,
): string | null {
  const tpl = templateFor(spec, method, path);
  if (!tpl) return `no spec operation for ${method} ${path}`;
  const op = spec.paths[tpl]![method.toLowerCase()]!;
  const resp = op.responses[String(status)] ?? op.responses.default;
  if (!resp) return `status ${status} not declared for ${method} ${tpl}`;
  if (!resp.schema)
    return body === undefined ? null : `no schema for ${status} of ${method} ${tpl}, but a body was sent`;
  // additions are raw content (`type: string` in the spec); their JSON shape is checked by the tests themselves
  if ((resp.schema as { type?: string }).type === 'string') return null;
  let v = cache.get(resp.schema);
  if (!v) {
    v = ajv.compile(resp.schema);
    cache.set(resp.schema, v);
  }
  return v(body) ? null : `${method} ${tpl} ${status}: ${ajv.errorsText(v.errors)}`;
}
