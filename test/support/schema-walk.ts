/**
 * Walks the client's zod response schemas next to Harbor's (dereferenced) swagger schemas: which fields the
 * client reads, whether each exists in the spec with a compatible type, which of them the spec says are always
 * sent (`x-omitempty: false`), and spec-valid sample bodies (every property filled, or every array `null` as
 * go-swagger sends a nil slice) to feed back into the client's schemas.
 */
import type { z } from 'zod';

/** The parts of a (Swagger 2 / OpenAPI 3) schema object this walker reads. */
export interface SpecSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  properties?: Record<string, SpecSchema>;
  additionalProperties?: SpecSchema | boolean;
  items?: SpecSchema;
  allOf?: SpecSchema[];
  'x-omitempty'?: boolean;
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
};
const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The zod schema with optional/nullable/default/transform wrappers removed, and whether null is accepted. */
export function unwrap(s: z.ZodType): { core: z.ZodType; optional: boolean; nullable: boolean } {
  let optional = false;
  let nullable = false;
  for (;;) {
    const d = def(s);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'prefault') optional = true;
    else if (d.type === 'nullable') nullable = true;
    else if (d.type !== 'pipe' && d.type !== 'readonly' && d.type !== 'catch')
      return { core: s, optional, nullable };
    // a pipe (`.transform`) reads what its input accepts
    s = d.type === 'pipe' ? d.in! : d.innerType!;
  }
}

/** A spec schema with `allOf` merged (Harbor uses it rarely; enough for properties). */
function flat(s: SpecSchema): SpecSchema {
  if (!s.allOf) return s;
  const out: SpecSchema = { ...s, properties: { ...s.properties } };
  for (const part of s.allOf.map(flat)) Object.assign(out.properties!, part.properties);
  out.type ??= 'object';
  return out;
}

const specType = (s: SpecSchema): string | undefined => {
  const f = flat(s);
  const t = Array.isArray(f.type) ? f.type.find((x) => x !== 'null') : f.type;
  return t ?? (f.properties || f.additionalProperties ? 'object' : undefined);
};

/** Problems: a field the client reads that the spec lacks, or whose type differs. Empty when compatible. */
export function compareToSpec(schema: z.ZodType, spec: SpecSchema, at = '(root)'): string[] {
  const { core } = unwrap(schema);
  const d = def(core);
  const st = specType(spec);
  const f = flat(spec);
  if (d.type === 'unknown' || d.type === 'any') return [];
  if (st === undefined) return []; // go-swagger interface{}: any JSON value
  switch (d.type) {
    case 'string':
      return st === 'string' ? [] : [`${at}: client reads a string, spec says ${st}`];
    case 'number':
    case 'int':
      return st === 'integer' || st === 'number' ? [] : [`${at}: client reads a number, spec says ${st}`];
    case 'boolean':
      return st === 'boolean' ? [] : [`${at}: client reads a boolean, spec says ${st}`];
    case 'array':
      if (st !== 'array' || !f.items) return [`${at}: client reads an array, spec says ${st}`];
      return compareToSpec(d.element!, f.items, `${at}[]`);
    case 'record': {
      if (st !== 'object') return [`${at}: client reads a map, spec says ${st}`];
      const ap = f.additionalProperties;
      // a map over a model with fixed properties (Project.metadata): each property must fit the map's values
      if (ap === undefined || ap === true)
        return Object.entries(f.properties ?? {}).flatMap(([k, p]) =>
          compareToSpec(d.valueType!, p, `${at}{${k}}`),
        );
      if (ap === false) return [`${at}: client reads a map, spec forbids extra keys`];
      return compareToSpec(d.valueType!, ap, `${at}{}`);
    }
    case 'object': {
      if (st !== 'object') return [`${at}: client reads an object, spec says ${st}`];
      const props = f.properties ?? {};
      return Object.entries(d.shape!).flatMap(([k, v]) => {
        const p = props[k];
        const where = at === '(root)' ? k : `${at}.${k}`;
        if (!p) return [`${where}: client reads it, the spec does not define it`];
        return compareToSpec(v, p, where);
      });
    }
    default:
      return [`${at}: zod type ${d.type} not understood by this walker`];
  }
}

/**
 * Fields the client reads that are missing from `value` although the spec says Harbor always sends them
 * (`x-omitempty: false`, harbor-api.md §0), and fields the client requires (not optional in its schema).
 */
export function missingFields(schema: z.ZodType, spec: SpecSchema, value: unknown, at = '(root)'): string[] {
  const { core } = unwrap(schema);
  const d = def(core);
  const f = flat(spec);
  if (value === null || value === undefined) return [];
  if (d.type === 'array' && Array.isArray(value) && f.items)
    return value.flatMap((v, i) => missingFields(d.element!, f.items!, v, `${at}[${i}]`));
  if (d.type === 'record' && typeof value === 'object' && typeof f.additionalProperties === 'object')
    return Object.entries(value).flatMap(([k, v]) =>
      missingFields(d.valueType!, f.additionalProperties as SpecSchema, v, `${at}{${k}}`),
    );
  if (d.type !== 'object' || typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  return Object.entries(d.shape!).flatMap(([k, v]) => {
    const p = f.properties?.[k];
    const where = at === '(root)' ? k : `${at}.${k}`;
    if (!(k in obj)) return p?.['x-omitempty'] === false || !unwrap(v).optional ? [where] : [];
    return p ? missingFields(v, p, obj[k], where) : [];
  });
}

/**
 * A value valid for `spec`: `full` fills every property (arrays with one item); `nulls` sends every array as
 * `null` (a nil slice, as real Harbor does); both fill every scalar. Depth-bounded for recursive models.
 */
export function sampleFromSpec(spec: SpecSchema, mode: 'full' | 'nulls', depth = 0): unknown {
  const f = flat(spec);
  if (f.enum?.length) return f.enum[0];
  switch (specType(f)) {
    case 'string':
      return f.format === 'date-time' ? '2026-01-01T00:00:00.000Z' : 'sample';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return mode === 'nulls'
        ? null
        : depth > 6 || !f.items
          ? []
          : [sampleFromSpec(f.items, mode, depth + 1)];
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth > 6) return out;
      for (const [k, p] of Object.entries(f.properties ?? {})) out[k] = sampleFromSpec(p, mode, depth + 1);
      if (typeof f.additionalProperties === 'object')
        out.key = sampleFromSpec(f.additionalProperties, mode, depth + 1);
      return out;
    }
    default:
      return 'any'; // interface{}
  }
}
