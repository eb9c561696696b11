// Harbor's error envelope and the code → status table of harbor-api.md §1.

export const CODE_STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  DIGEST_INVALID: 400,
  MANIFEST_INVALID: 400,
  UNSUPPORTED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  DENIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PRECONDITION: 412,
  VIOLATE_FOREIGN_KEY_CONSTRAINT: 412,
  PROJECTPOLICYVIOLATION: 412,
  REQUEST_ENTITY_TOO_LARGE: 413,
  UNPROCESSABLE_ENTITY: 422,
  TOO_MANY_REQUEST: 429,
  UNKNOWN: 500,
};

export class HarborError extends Error {
  readonly status: number;
  constructor(
    readonly code: string,
    message: string,
    status?: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status ?? CODE_STATUS[code] ?? 500;
  }
}

export const badRequest = (msg: string): HarborError => new HarborError('BAD_REQUEST', msg);
export const notFound = (msg: string): HarborError => new HarborError('NOT_FOUND', msg);
export const conflict = (msg: string): HarborError => new HarborError('CONFLICT', msg);
export const unauthorized = (): HarborError => new HarborError('UNAUTHORIZED', 'unauthorized');
export const forbidden = (msg = 'forbidden'): HarborError => new HarborError('FORBIDDEN', msg);
export const denied = (msg: string): HarborError => new HarborError('DENIED', msg);
export const precondition = (msg: string): HarborError => new HarborError('PRECONDITION', msg);
/** go-swagger validation failure: 422, code is the upper-cased status text. */
export const unprocessable = (lines: string[]): HarborError =>
  new HarborError('UNPROCESSABLE_ENTITY', `validation failure list:\n${lines.join('\n')}`);

/** The JSON body Harbor sends for every non-2xx, with its trailing newline. 5xx bodies are rewritten. */
export function envelope(err: HarborError): string {
  const e =
    err.status >= 500
      ? { code: 'UNKNOWN', message: 'internal server error' }
      : { code: err.code, message: err.message };
  return JSON.stringify({ errors: [e] }) + '\n';
}
