// The one table of tool-output patterns (src/activities/tool-output.ts), checked against stderr recorded
// from the pinned cosign/skopeo/git (fixtures/tool-output.json, written by
// test/support/record-tool-output.ts) and against lines where 401/403/412 occur only inside digests,
// sizes and request ids: those must classify as nothing, i.e. stay retryable (issue 15).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { policyBlock } from '../../../src/activities/cosign.js';
import {
  classifyToolOutput,
  TOOL_OUTPUT_PATTERNS,
  type OutputKind,
  type Tool,
} from '../../../src/activities/tool-output.js';

interface Fixture {
  name: string;
  tool: Tool;
  what: string;
  exitCode: number | null;
  stderr: string;
  expect: OutputKind | null;
}
const { cases } = JSON.parse(readFileSync(join(__dirname, 'fixtures/tool-output.json'), 'utf8')) as {
  cases: Fixture[];
};
const recorded = (name: string): Fixture => {
  const f = cases.find((c) => c.name === name);
  if (!f) throw new Error(`fixture ${name} missing: rerun test/support/record-tool-output.ts`);
  return f;
};
const kind = (tool: Tool, text: string) => classifyToolOutput(tool, text)?.kind ?? null;
const by = (tool: Tool, text: string) => classifyToolOutput(tool, text)?.name;

describe('recorded tool output classifies as the activities need', () => {
  for (const c of cases)
    it(`${c.name}: ${c.what} → ${c.expect ?? 'nothing (retryable)'}`, () => {
      assert.equal(kind(c.tool, c.stderr), c.expect, c.stderr);
    });

  it('the transient recordings carry 401/403/412 inside digests (what the old classifiers misread)', () => {
    for (const name of [
      'cosign-sign-503-blob-upload',
      'cosign-sign-500-manifest-put',
      'cosign-verify-502-manifest-get',
      'skopeo-copy-500-manifest-get',
    ])
      assert.match(recorded(name).stderr, /sha256[:-][0-9a-f]*(401|403|412)/, name);
    // The old cosign classifier on one of them: a 503 would have become PermissionDenied.
    assert.ok(
      /401|403|UNAUTHORIZED|DENIED|unauthorized/.test(recorded('cosign-sign-503-blob-upload').stderr),
    );
    assert.ok(/412|PROJECTPOLICYVIOLATION/.test(recorded('skopeo-copy-500-manifest-get').stderr));
  });
});

/**
 * One test per pattern: lines it must match (recorded where the stack can produce the case, otherwise the
 * tool's documented wording, toolchain.md/harbor-api.md) and lines with the same numbers it must not.
 */
const EXAMPLES: Record<string, { tool: Tool; match: string[]; noMatch: string[] }> = {
  'scan-running-block': {
    tool: 'skopeo',
    match: [recorded('skopeo-copy-scan-pending').stderr, recorded('cosign-sign-scan-pending').stderr],
    noMatch: ['current image with "Success" status of vulnerability scanning'],
  },
  'harbor-policy-code': {
    tool: 'cosign',
    match: [
      'GET http://h/v2/p/r/manifests/sha256:aa: PROJECTPOLICYVIOLATION: current image with 3 critical vulnerabilities cannot be pulled',
    ],
    noMatch: ['GET http://h/v2/p/r/manifests/sha256:412a412: UNKNOWN: internal server error'],
  },
  'harbor-policy-message': {
    tool: 'skopeo',
    match: [
      recorded('skopeo-copy-quarantined').stderr,
      'reading manifest sha256:aa in h/p/r: unknown: The image is not signed in Cosign.',
    ],
    noMatch: ['reading manifest sha256:412 in h/p/r: unknown: internal server error'],
  },
  'status-412-phrase': {
    tool: 'cosign',
    match: [
      'HEAD http://h/v2/p/r/manifests/sha256:aa: unexpected status code 412 Precondition Failed (HEAD responses have no body, use GET for details)',
      'reading manifest sha256:aa in h/p/r: received unexpected HTTP status: 412 Precondition Failed',
      'reading manifest sha256:aa in h/p/r: StatusCode: 412, "<html>"',
    ],
    noMatch: [
      'reading manifest sha256:aa in h/p/r: received unexpected HTTP status: 503 Service Unavailable (request id 412-4120)',
      'Copying blob sha256:412412 done | 412.0 B / 4.12 KiB',
    ],
  },
  'registry-unauthorized-code': {
    tool: 'cosign',
    match: [recorded('cosign-sign-guest-denied').stderr, recorded('skopeo-copy-guest-denied').stderr],
    noMatch: ['POST http://h/v2/p/unauthorized-images/blobs/uploads/: UNKNOWN: internal server error'],
  },
  'registry-denied-code': {
    tool: 'skopeo',
    match: [
      'writing manifest: uploading manifest x to h/p/r: denied: The system is in read only mode. Any modification is prohibited.',
      'PUT http://h/v2/p/r/manifests/x: DENIED: Quota exceeded when processing the request of adding 412.0 MiB',
      'POST http://h/v2/p/r/blobs/uploads/: FORBIDDEN: forbidden',
    ],
    noMatch: ['POST http://h/v2/p/denied/blobs/uploads/: UNKNOWN: internal server error'],
  },
  'status-401-403-phrase': {
    tool: 'cosign',
    match: [
      'HEAD http://h/v2/p/r/manifests/sha256:aa: unexpected status code 401 Unauthorized (HEAD responses have no body, use GET for details)',
      'GET http://h/v2/: unexpected status code 403 Forbidden',
      'initiating layer upload to /v2/p/r/blobs/uploads/ in h: received unexpected HTTP status: 403 Forbidden',
    ],
    noMatch: [
      'GET http://h/v2/p/r/manifests/sha256:4013: unexpected status code 500 Internal Server Error',
      'unexpected status code 4010 Whatever',
    ],
  },
  'authentication-required': {
    tool: 'skopeo',
    match: [
      'unauthorized: authentication required',
      'requested access to the resource is denied',
      'authenticating creds for "h": invalid username/password',
    ],
    noMatch: ['GET http://h/v2/p/r/manifests/sha256:401: UNKNOWN: internal server error'],
  },
  'manifest-unknown': {
    tool: 'skopeo',
    match: [
      recorded('skopeo-copy-not-found').stderr,
      'GET http://h/v2/p/r/manifests/1.0: MANIFEST_UNKNOWN: manifest unknown; unknown tag=1.0',
      'reading manifest 1.0 in h/p/r: manifest unknown',
    ],
    noMatch: ['reading manifest sha256:404404 in h/p/r: received unexpected HTTP status: 502 Bad Gateway'],
  },
  'harbor-artifact-not-found': {
    tool: 'harbor',
    match: [
      'artifact platform-dev/app@sha256:4124014030000000000000000000000000000000000000000000000000000000 not found',
      'repository platform-dev/app not found',
    ],
    noMatch: ['internal server error', 'the operation is not supported for artifact 412'],
  },
  'git-push-rejected': {
    tool: 'git',
    match: [
      recorded('git-push-non-fast-forward').stderr,
      ' ! [rejected]        HEAD -> main (non-fast-forward)',
      "error: cannot lock ref 'refs/heads/main': is at 4012 but expected 4031",
    ],
    noMatch: [
      "fatal: unable to access 'https://git.example/r.git/': The requested URL returned error: 503",
      "remote: Permission to r.git denied to bot.\nfatal: unable to access 'https://git.example/r.git/': The requested URL returned error: 403",
    ],
  },
  'temporal-namespace-not-found': {
    tool: 'temporal',
    match: ['Namespace nope is not found.', 'namespace nope does not exist'],
    noMatch: ['14 UNAVAILABLE: No connection established (task queue 401 not found in cache)'],
  },
};

describe('one test per pattern', () => {
  it('every pattern has examples', () => {
    assert.deepEqual(
      TOOL_OUTPUT_PATTERNS.map((p) => p.name).sort(),
      Object.keys(EXAMPLES).sort(),
      'add EXAMPLES for a new pattern',
    );
  });
  for (const p of TOOL_OUTPUT_PATTERNS) {
    const ex = EXAMPLES[p.name];
    it(`${p.name} (${p.kind}): ${p.why}`, () => {
      assert.ok(ex);
      for (const m of ex.match) {
        assert.ok(p.pattern.test(m), `${p.name} should match:\n${m}`);
        assert.equal(kind(ex.tool, m), p.kind, m);
      }
      for (const n of ex.noMatch) assert.ok(!p.pattern.test(n), `${p.name} must not match:\n${n}`);
    });
  }
  it('patterns never consist of a bare status number', () => {
    for (const p of TOOL_OUTPUT_PATTERNS)
      for (const n of ['401', '403', '404', '412', '4012', 'sha256:401403412'])
        assert.ok(!p.pattern.test(n), `${p.name} matches the bare text ${n}`);
  });
});

describe('401/403/412 only inside digests, sizes and request ids: nothing (retryable)', () => {
  const lines = [
    'Error: signing [h/p/r@sha256:7272e2e7ff844040174f00]: signing digest: POST http://h/v2/p/r/blobs/uploads/: UNKNOWN: internal server error',
    'PUT http://h/v2/p/r/manifests/sha256-403aa.sig: UNKNOWN: internal server error',
    'level=fatal msg="writing blob: initiating layer upload to /v2/p/r/blobs/uploads/ in h: received unexpected HTTP status: 503 Service Unavailable"',
    'Copying blob sha256:412412412 [====>] 4.01 MiB / 40.3 MiB | 412 B/s',
    'GET http://h/v2/p/r/manifests/sha256:aa: unexpected status code 502 Bad Gateway: upstream 401 ms (request id 403-412-401)',
    'reading manifest sha256:401 in h/p/r: StatusCode: 500, "request 412 failed"',
  ];
  for (const line of lines)
    it(line.slice(0, 90), () => {
      for (const tool of ['cosign', 'skopeo'] as const) assert.equal(kind(tool, line), null, by(tool, line));
    });
});

describe("cosign's policyBlock on recorded output", () => {
  it('a scan still running is transient, with Harbor message', () => {
    const b = policyBlock(recorded('cosign-sign-scan-pending').stderr);
    assert.equal(b?.transient, true);
    assert.match(
      b!.message,
      /^current image with "Pending" status of vulnerability scanning cannot be pulled/,
    );
  });
  it('a 5xx on a digest with 412 is no block', () => {
    assert.equal(policyBlock(recorded('cosign-verify-502-manifest-get').stderr), undefined);
  });
});
