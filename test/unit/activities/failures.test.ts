import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../../../src/domain/failures.js';
import {
  HarborIncompatibleError,
  HarborNetworkError,
  errorFromResponse,
  type RequestContext,
} from '../../../src/harbor/errors.js';
import { TRANSIENT, toFailure } from '../../../src/activities/failures.js';
import { SpawnError } from '../../../src/activities/process.js';

const rest: RequestContext = { method: 'GET', path: '/api/v2.0/x', requestId: 'rid-7', api: 'rest' };
const reg: RequestContext = { ...rest, path: '/v2/p/r/manifests/sha256:1', api: 'registry' };
const need = { project: 'platform-staging', role: 'Developer', permission: 'artifact:create' };
const fc = { action: 'copy x', need, subject: 'artifact x' };

function map(status: number, body = '', ctx = rest): ApplicationFailure {
  const f = toFailure(errorFromResponse(status, body, ctx), fc, 'robot$promoter');
  assert.ok(f instanceof ApplicationFailure);
  return f;
}

describe('toFailure', () => {
  it('403 names the project, the role and the permission, non-retryable', () => {
    const f = map(403, '{"errors":[{"code":"FORBIDDEN","message":"forbidden"}]}');
    assert.equal(f.type, FailureType.PermissionDenied);
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /project 'platform-staging'/);
    assert.match(f.message, /Developer role/);
    assert.match(f.message, /artifact:create/);
    assert.match(f.message, /FORBIDDEN forbidden/);
    assert.match(f.message, /rid-7/);
  });

  it('404 → ImageNotFound', () => {
    const f = map(404, '{"errors":[{"code":"NOT_FOUND","message":"artifact p/r:1 not found"}]}');
    assert.equal(f.type, FailureType.ImageNotFound);
    assert.match(f.message, /artifact p\/r:1 not found/);
  });

  it('412 on /v2 → Quarantined with Harbor message', () => {
    const msg = 'The image is not signed by cosign.';
    const f = map(412, JSON.stringify({ errors: [{ code: 'PROJECTPOLICYVIOLATION', message: msg }] }), reg);
    assert.equal(f.type, FailureType.Quarantined);
    assert.ok(f.message.includes(msg));
  });

  it('412 on /v2 while a scan is still running → retryable (the block ends with the scan)', () => {
    const msg =
      'current image with "Running" status of vulnerability scanning cannot be pulled due to configured policy in \'Prevent images with vulnerability severity of "High" or higher from running.\'';
    const f = map(412, JSON.stringify({ errors: [{ code: 'PROJECTPOLICYVIOLATION', message: msg }] }), reg);
    assert.equal(f.nonRetryable, false);
    assert.match(f.message, /waiting for the vulnerability scan to finish/);
  });

  it('401 → PermissionDenied; on /v2 it names the project too', () => {
    assert.equal(map(401).type, FailureType.PermissionDenied);
    assert.match(map(401, '', reg).message, /platform-staging/);
  });

  it('400/412 REST/422 → InvalidInput, all non-retryable types are in the shared list', () => {
    for (const s of [400, 412, 422]) {
      const f = map(s);
      assert.equal(f.type, FailureType.InvalidInput);
      assert.ok(NON_RETRYABLE_FAILURE_TYPES.includes(f.type!));
    }
  });

  it('5xx, 429, 409 and network errors stay retryable', () => {
    for (const s of [500, 503, 429, 409]) {
      const f = map(s);
      assert.equal(f.type, TRANSIENT);
      assert.equal(f.nonRetryable, false);
      assert.ok(!NON_RETRYABLE_FAILURE_TYPES.includes(TRANSIENT));
    }
    const f = toFailure(new HarborNetworkError('ECONNREFUSED', rest), fc) as ApplicationFailure;
    assert.equal(f.type, TRANSIENT);
    assert.equal(f.nonRetryable, false);
  });

  it('uses Retry-After as the next retry delay', () => {
    const f = toFailure(errorFromResponse(429, '', rest, '7'), fc) as ApplicationFailure;
    assert.equal(f.nextRetryDelay, 7000);
  });

  it('a missing binary is InvalidInput; other errors pass through', () => {
    assert.equal(
      (toFailure(new SpawnError('cannot start'), fc) as ApplicationFailure).type,
      FailureType.InvalidInput,
    );
    const e = new Error('x');
    assert.equal(toFailure(e, fc), e);
  });
});

describe('HarborIncompatible', () => {
  it('a response of another shape fails at once (non-retryable) with endpoint, field and version', () => {
    const err = new HarborIncompatibleError(
      'GET /projects/{project_name}/repositories/{repository_name}/artifacts/{reference}',
      'tags',
      'expected array, received number',
      'v2.15.2',
      rest,
    );
    const f = toFailure(err, fc, 'robot$promoter');
    assert.ok(f instanceof ApplicationFailure);
    assert.equal(f.type, FailureType.HarborIncompatible);
    assert.equal(f.nonRetryable, true);
    assert.ok(NON_RETRYABLE_FAILURE_TYPES.includes(FailureType.HarborIncompatible));
    assert.match(f.message, /^copy x: Harbor v2\.15\.2 answered GET \/projects\/.*field 'tags'/);
  });
});
