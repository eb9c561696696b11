/**
 * The Harbor operations the client knows, derived from the client itself rather than typed by hand: every
 * method of HarborApi and RegistryApi is called against a recording stand-in connection, once answering 2xx
 * and once failing every request with a 412 (so error-path requests, like the registry GET that fetches a
 * 412's message, are found too). A method added to the client is therefore in this list without anyone
 * editing a test, and the contract and conformance tests that check "every operation was exercised" see it.
 */
import type { z } from 'zod';
import {
  HarborApi,
  HarborHttpError,
  RegistryApi,
  type HarborConnection,
  type RawResponse,
  type RequestSpec,
} from '../../src/harbor/index';

export interface ClientOperation {
  /** `HarborApi.getArtifact`, `RegistryApi.headManifest`, … */
  caller: string;
  method: string;
  api: 'rest' | 'registry';
  /** REST: the swagger template (relative to /api/v2.0). Registry: `/v2/{name}/manifests/{reference}`. */
  template: string;
  /** The zod schema a 2xx body is parsed with; for list endpoints the item schema. */
  schema?: z.ZodType;
  list: boolean;
}

/** `METHOD template`, the key tests compare recorded requests by. */
export const opKey = (o: { method: string; template: string }): string => `${o.method} ${o.template}`;

/** A registry path as the client sends it → the route shape the operations list uses. */
export function registryTemplate(path: string): string {
  const m = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\/[^/]+$/.exec(path);
  if (m) return `/v2/{name}/${m[2]}/{reference}`;
  // A registry token for one repository (the signer's read): the repository varies, the actions do not.
  const t = /^\/service\/token\?service=([^&]+)&scope=repository%3A.+%3A([^&%]+(?:%2C[^&%]+)*)$/.exec(path);
  if (t) return `/service/token?service=${t[1]}&scope=repository:{name}:${decodeURIComponent(t[2]!)}`;
  return path;
}

type Recorder = (op: Omit<ClientOperation, 'caller'>) => void;

function standIn(record: Recorder, fail: boolean): HarborConnection {
  const note = (spec: RequestSpec, schema?: z.ZodType, list = false): void => {
    const api = spec.api ?? 'rest';
    const template = api === 'rest' ? spec.template : registryTemplate(spec.template);
    record({ method: spec.method, api, template, schema, list });
  };
  const answer = (spec: RequestSpec): RawResponse => {
    if (fail)
      throw new HarborHttpError(412, 'HTTP_412', '', {
        method: spec.method,
        path: spec.template,
        requestId: 'stand-in',
        api: spec.api ?? 'rest',
      });
    return { status: 200, headers: {}, body: '', requestId: 'stand-in' };
  };
  const conn = {
    request: (spec: RequestSpec) => {
      note(spec);
      return Promise.resolve().then(() => answer(spec));
    },
    getJson: (schema: z.ZodType, spec: Omit<RequestSpec, 'method'>) => {
      note({ ...spec, method: 'GET' }, schema);
      return Promise.resolve().then(() => (answer({ ...spec, method: 'GET' }), {}));
    },
    listAll: (schema: z.ZodType, spec: Omit<RequestSpec, 'method'>) => {
      note({ ...spec, method: 'GET' }, schema, true);
      return Promise.resolve().then(() => (answer({ ...spec, method: 'GET' }), []));
    },
  };
  return conn as unknown as HarborConnection;
}

/** Instance methods of a class, from its prototype (the constructor and getters excluded). */
function methodsOf(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter((n) => {
    if (n === 'constructor') return false;
    const d = Object.getOwnPropertyDescriptor(proto, n);
    return typeof d?.value === 'function';
  });
}

let cached: Promise<ClientOperation[]> | undefined;

/** Every operation the client can send, one entry per distinct (method, template). */
export function clientOperations(): Promise<ClientOperation[]> {
  cached ??= (async () => {
    const found = new Map<string, ClientOperation>();
    for (const fail of [false, true]) {
      for (const [cls, make] of [
        ['HarborApi', (c: HarborConnection) => new HarborApi(c)],
        ['RegistryApi', (c: HarborConnection) => new RegistryApi(c)],
      ] as const) {
        for (const name of methodsOf(cls === 'HarborApi' ? HarborApi.prototype : RegistryApi.prototype)) {
          const recordFor: Recorder = (op) => {
            const key = opKey(op);
            const prev = found.get(key);
            // The 2xx pass knows the schema; keep it when the failing pass records the same request.
            if (!prev || (!prev.schema && op.schema)) found.set(key, { caller: `${cls}.${name}`, ...op });
          };
          const target = make(standIn(recordFor, fail)) as unknown as Record<
            string,
            (...a: unknown[]) => Promise<unknown>
          >;
          // Placeholder strings for every parameter: the methods only pass them into paths and queries.
          await target[name]!('x', 'x', 'x', 'x', undefined).catch(() => undefined);
        }
      }
    }
    return [...found.values()].sort((a, b) => opKey(a).localeCompare(opKey(b)));
  })();
  return cached;
}
