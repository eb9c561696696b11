// page/page_size (422 above 100), X-Total-Count and Link headers, and Harbor's `q` query syntax.
import { badRequest, unprocessable } from './errors';

export interface Page {
  page: number;
  size: number;
}

function intParam(q: URLSearchParams, name: string, def: number, errors: string[]): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return def;
  if (!/^-?\d+$/.test(raw)) {
    errors.push(`${name} in query must be of type int64: "${raw}"`);
    return def;
  }
  return Number(raw);
}

export function parsePage(q: URLSearchParams): Page {
  const errors: string[] = [];
  const page = intParam(q, 'page', 1, errors);
  const size = intParam(q, 'page_size', 10, errors);
  if (size > 100) errors.push('page_size in query should be less than or equal to 100');
  if (errors.length) throw unprocessable(errors);
  return { page: page < 1 ? 1 : page, size: size < 0 ? 10 : size };
}

export function paginate<T>(items: T[], p: Page): T[] {
  if (p.size === 0) return items;
  return items.slice((p.page - 1) * p.size, p.page * p.size);
}

/** Path-relative Link header with the original query params; entries joined by " , ". */
export function pagingHeaders(
  path: string,
  q: URLSearchParams,
  p: Page,
  total: number,
): Record<string, string> {
  const h: Record<string, string> = { 'X-Total-Count': String(total) };
  if (p.size === 0) return h;
  const link = (page: number): string => {
    const qq = new URLSearchParams(q);
    qq.set('page', String(page));
    qq.set('page_size', String(p.size));
    return `<${path}?${qq.toString()}>`;
  };
  const parts: string[] = [];
  if (p.page > 1 && (p.page - 1) * p.size < total) parts.push(`${link(p.page - 1)}; rel="prev"`);
  if (p.page * p.size < total) parts.push(`${link(p.page + 1)}; rel="next"`);
  if (parts.length) h.Link = parts.join(' , ');
  return h;
}

export type QClause =
  | { key: string; kind: 'exact'; value: string }
  | { key: string; kind: 'fuzzy'; value: string }
  | { key: string; kind: 'range'; min: string; max: string }
  | { key: string; kind: 'or' | 'and'; values: string[] };

const Q_ERR = 'the query string must contain "=" and the key/value cannot be empty';

/** k=v, k=~v, k=[a~b], k={a b}, k=(a b); clauses separated by commas (not inside brackets). */
export function parseQ(q: string | null): QClause[] {
  if (!q) return [];
  const clauses: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of q) {
    if ('[{('.includes(ch)) depth++;
    if (']})'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      clauses.push(cur);
      cur = '';
    } else cur += ch;
  }
  clauses.push(cur);
  return clauses.map((c) => {
    const i = c.indexOf('=');
    if (i <= 0 || i === c.length - 1) throw badRequest(Q_ERR);
    const key = c.slice(0, i).trim();
    const v = c.slice(i + 1).trim();
    if (!key || !v) throw badRequest(Q_ERR);
    if (v.startsWith('~')) return { key, kind: 'fuzzy', value: v.slice(1) };
    let m = /^\[(.*)~(.*)\]$/.exec(v);
    if (m) return { key, kind: 'range', min: m[1] ?? '', max: m[2] ?? '' };
    m = /^\{(.*)\}$/.exec(v);
    if (m) return { key, kind: 'or', values: (m[1] ?? '').split(/\s+/).filter(Boolean) };
    m = /^\((.*)\)$/.exec(v);
    if (m) return { key, kind: 'and', values: (m[1] ?? '').split(/\s+/).filter(Boolean) };
    return { key, kind: 'exact', value: v };
  });
}

/** Match a clause against a set of values (e.g. an artifact's tag names). */
export function matchValues(c: QClause, values: string[]): boolean {
  switch (c.kind) {
    case 'exact':
      if (c.value === '*') return values.length > 0;
      if (c.value === 'nil') return values.length === 0;
      return values.includes(c.value);
    case 'fuzzy':
      return values.some((v) => v.includes(c.value));
    case 'or':
      return c.values.some((x) => values.includes(x));
    case 'and':
      return c.values.every((x) => values.includes(x));
    case 'range':
      return values.some((v) => (!c.min || v >= c.min) && (!c.max || v <= c.max));
  }
}
