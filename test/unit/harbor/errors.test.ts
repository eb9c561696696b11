import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  errorFromResponse,
  fieldPath,
  HarborHttpError,
  HarborIncompatibleError,
  isTransient,
  parseErrorBody,
  type RequestContext,
} from '../../../src/harbor/errors.js';
import { encodeRepositoryName, fillTemplate, nextLink } from '../../../src/harbor/paths.js';

const ctx: RequestContext = { method: 'GET', path: '/api/v2.0/projects/x', requestId: 'req-1', api: 'rest' };

describe('Harbor error mapping', () => {
  it('keeps Harbor code, message and request id', () => {
    const e = errorFromResponse(403, '{"errors":[{"code":"FORBIDDEN","message":"forbidden"}]}\n', ctx);
    assert.ok(e instanceof HarborHttpError);
    assert.equal(e.status, 403);
    assert.equal(e.code, 'FORBIDDEN');
    assert.equal(e.harborMessage, 'forbidden');
    assert.match(e.message, /403 FORBIDDEN: forbidden \(request id req-1\)/);
    assert.equal(e.transient, false);
  });

  for (const [status, transient] of [
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [409, false],
    [412, false],
    [422, false],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
  ] as const) {
    it(`${status} is ${transient ? '' : 'not '}transient`, () => {
      assert.equal(isTransient(errorFromResponse(status, '', ctx)), transient);
    });
  }

  it('tolerates empty, non-JSON and odd bodies', () => {
    assert.deepEqual(parseErrorBody(''), { message: '' });
    assert.deepEqual(parseErrorBody('Bad Gateway'), { message: 'Bad Gateway' });
    assert.deepEqual(parseErrorBody('{"errors":[]}'), { message: '{"errors":[]}' });
    const multi = parseErrorBody('{"errors":[{"code":"UNKNOWN","message":"a"},{"code":"X","message":"b"}]}');
    assert.deepEqual(multi, { code: 'UNKNOWN', message: 'a; b' });
    assert.equal(errorFromResponse(412, '', { ...ctx, method: 'HEAD' }).code, 'HTTP_412');
  });

  it('reads Retry-After seconds', () => {
    assert.equal(errorFromResponse(429, '', ctx, '3').retryAfterSeconds, 3);
    assert.equal(
      errorFromResponse(429, '', ctx, 'Wed, 21 Oct 2015 07:28:00 GMT').retryAfterSeconds,
      undefined,
    );
  });
});

describe('paths', () => {
  it('double-encodes repository names with slashes', () => {
    assert.equal(encodeRepositoryName('team/app'), 'team%252Fapp');
    assert.equal(
      fillTemplate('/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}', {
        project_name: 'platform-dev',
        repository_name: 'team/app',
        reference: 'sha256:abc',
      }),
      '/projects/platform-dev/repositories/team%252Fapp/artifacts/sha256:abc',
    );
  });

  it('refuses a missing parameter', () => {
    assert.throws(() => fillTemplate('/projects/{project_name}', {}), /missing path parameter project_name/);
  });

  it('finds rel="next" in Harbor Link headers', () => {
    const link =
      '</api/v2.0/p?page=1&page_size=10>; rel="prev" , </api/v2.0/p?page=3&page_size=10>; rel="next"';
    assert.equal(nextLink(link), '/api/v2.0/p?page=3&page_size=10');
    assert.equal(nextLink('</x?page=1>; rel="prev"'), undefined);
    assert.equal(nextLink(undefined), undefined);
  });
});

describe('HarborIncompatibleError', () => {
  it('names the endpoint, the field, the problem and Harbor version; not transient', () => {
    const e = new HarborIncompatibleError(
      'GET /projects/{project_name}/repositories/{repository_name}/artifacts/{reference}',
      'tags',
      'expected array, received number',
      'v2.15.2-080b0220',
      ctx,
    );
    assert.match(e.message, /^Harbor v2\.15\.2-080b0220 answered GET \/projects\/\{project_name\}/);
    assert.match(e.message, /field 'tags': expected array, received number/);
    assert.match(e.message, /request id req-1/);
    assert.equal(isTransient(e), false);
  });

  it('field paths read like JavaScript', () => {
    assert.equal(fieldPath(['tags']), 'tags');
    assert.equal(fieldPath(['accessories', 0, 'digest']), 'accessories[0].digest');
    assert.equal(fieldPath([3, 'tags']), '[3].tags');
    assert.equal(fieldPath([]), '(root)');
  });
});
