// Harbor's own swagger, dereferenced with @apidevtools/swagger-parser; bodies validated with ajv.
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ZodType } from 'zod';
import { missingFields, type SpecSchema } from '../support/schema-walk';

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
  produces?: string[];
  responses: Record<string, { schema?: object }>;
}
export interface Spec {
  basePath: string;
  produces?: string[];
  paths: Record<string, Record<string, Operation>>;
}

/**
 * go-swagger generates `interface{}` for a schema that is just `type: object` with no properties, so Harbor
 * sends any JSON value there (e.g. ExtraAttrs' `"architecture": "amd64"`). Mirror that: such a schema
 * accepts anything. And a Go slice that is nil is sent as `null`, never left out (real Harbor v2.15.2:
 * `"tags": null`, real-harbor.md), so every array-typed property also accepts `null`.
 * Applied once to the dereferenced spec (shared objects are visited once).
 */
function goSwaggerSemantics(node: unknown, seen = new Set<object>()): void {
  if (typeof node !== 'object' || node === null || seen.has(node)) return;
  seen.add(node);
  const o = node as Record<string, unknown>;
  if (o.type === 'object' && !('properties' in o) && !('additionalProperties' in o) && !('allOf' in o))
    delete o.type;
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

/** Harbor's error body, exactly: `{"errors":[{"code","message"}]}` and nothing else (harbor-api.md §1). */
const validateEnvelope = ajv.compile({
  type: 'object',
  required: ['errors'],
  additionalProperties: false,
  properties: {
    errors: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: { code: { type: 'string', minLength: 1 }, message: { type: 'string' } },
      },
    },
  },
});

/** The client's view of an operation: its zod schema and whether it reads a list (see client-operations). */
export interface ClientRead {
  template: string;
  method: string;
  schema?: ZodType;
  list: boolean;
}

export interface Answer {
  method: string;
  /** path below /api/v2.0, without the query */
  path: string;
  status: number;
  contentType: string | null;
  text: string;
}

/**
 * Everything wrong with one REST answer, empty when it is what Harbor's swagger and the client expect:
 * the content type is one the operation produces (errors: JSON); a 2xx body validates against the spec's
 * schema and, when the client reads this operation, parses with the client's own schema and carries the
 * fields the client needs (required by it, or `x-omitempty: false` in the spec); an error body is exactly
 * Harbor's envelope.
 */
export function answerProblems(spec: Spec, clientOps: ClientRead[], a: Answer): string[] {
  const where = `${a.method} ${a.path} ${a.status}`;
  const tpl = templateFor(spec, a.method, a.path);
  if (!tpl) return [`${where}: no spec operation`];
  const op = spec.paths[tpl]![a.method.toLowerCase()]!;
  const mime = (a.contentType ?? '').split(';')[0]!.trim();
  const problems: string[] = [];
  if (!a.text) {
    // HEAD has no body; 2xx writes are empty (harbor-api.md §0); an error from the API always has the envelope
    if (a.status >= 300 && a.method !== 'HEAD') problems.push(`${where}: error without a body`);
    return problems;
  }
  const allowed =
    a.status >= 300 ? ['application/json'] : (op.produces ?? spec.produces ?? ['application/json']);
  if (!allowed.includes(mime))
    problems.push(`${where}: content type ${a.contentType} not one of ${allowed.join(', ')}`);
  if (mime !== 'application/json') return problems;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return [...problems, `${where}: body is not JSON`];
  }
  if (a.status >= 300) {
    if (!validateEnvelope(body)) problems.push(`${where}: not Harbor's error envelope: ${a.text.trim()}`);
    return problems;
  }
  const specErr = validateBody(spec, a.method, a.path, a.status, body);
  if (specErr) problems.push(specErr);
  const read = clientOps.find((o) => o.method === a.method && o.template === tpl && o.schema);
  if (read?.schema) {
    const schema = read.list ? read.schema.array() : read.schema;
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      problems.push(
        `${where}: the client's schema refuses it: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const resp = op.responses[String(a.status)]?.schema as SpecSchema | undefined;
    if (resp && (resp as { type?: unknown }).type !== 'string') {
      const missing = missingFields(schema, resp, body);
      if (missing.length)
        problems.push(`${where}: fields the client reads are missing: ${missing.join(', ')}`);
    }
  }
  return problems;
}
