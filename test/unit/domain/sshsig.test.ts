/**
 * Signed approvals: the canonical statement, allowed_signers lines, and SSHSIG verification, checked
 * against OpenSSH itself. Each case signs with real `ssh-keygen -Y sign` (keys generated in a temp dir)
 * and asks both `ssh-keygen -Y verify` and verifyApprovalSignature: they must agree, and agree with the
 * expected answer (valid; wrong key; tampered statement; other namespace), for ed25519 and ECDSA P-256
 * keys and both hash algorithms ssh-keygen can use.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  APPROVAL_NAMESPACE,
  approvalStatement,
  canonicalApprovalStatement,
  keysOf,
  parseAllowedSignerLine,
  parseAllowedSigners,
  parseApprovalStatement,
  statementMismatch,
  type ApprovalStatement,
} from '../../../src/domain/approval-statement.js';
import { sshFingerprint, verifyApprovalSignature } from '../../../src/domain/sshsig.js';

const STATEMENT: ApprovalStatement = approvalStatement({
  promotionId: 'promote-myservice@1.4.2',
  environment: 'production',
  digest: `sha256:${'d1'.repeat(32)}`,
  approver: 'alice',
  decision: 'approve',
  comment: 'CAB-123 "quoted" ünïcode',
  time: '2026-01-01T00:00:00.000Z',
  nonce: '0f3c6a52-7f0e-4c7b-9f55-2b6f1c1d2e3f',
});

let dir: string;
const keygen = (args: string[], input?: string) => spawnSync('ssh-keygen', args, { input, encoding: 'utf8' });

function newKey(name: string, type: 'ed25519' | 'ecdsa'): { path: string; pub: string } {
  const path = join(dir, name);
  const r = keygen([
    '-q',
    '-t',
    type,
    ...(type === 'ecdsa' ? ['-b', '256'] : []),
    '-N',
    '',
    '-C',
    name,
    '-f',
    path,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return { path, pub: readFileSync(`${path}.pub`, 'utf8').trim() };
}

/** `ssh-keygen -Y sign` over `message` (a file, as the CLI does): the armored signature. */
function sign(key: string, message: string, namespace = APPROVAL_NAMESPACE, hashalg?: string): string {
  const file = join(dir, `msg-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, message);
  const r = keygen([
    '-Y',
    'sign',
    '-n',
    namespace,
    '-f',
    key,
    ...(hashalg ? ['-O', `hashalg=${hashalg}`] : []),
    file,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(`${file}.sig`, 'utf8');
}

/** OpenSSH's answer: `ssh-keygen -Y verify` with the same allowed signers, principal and namespace. */
function opensshVerifies(
  allowed: string,
  principal: string,
  message: string,
  sig: string,
  namespace = APPROVAL_NAMESPACE,
) {
  const signers = join(dir, 'allowed_signers');
  const sigFile = join(dir, 'check.sig');
  writeFileSync(signers, allowed);
  writeFileSync(sigFile, sig);
  const r = keygen(['-Y', 'verify', '-f', signers, '-I', principal, '-n', namespace, '-s', sigFile], message);
  return r.status === 0;
}

const tamper = (s: ApprovalStatement, edit: Partial<ApprovalStatement>) =>
  canonicalApprovalStatement({ ...s, ...edit });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sshsig-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SSHSIG verification agrees with ssh-keygen -Y verify', () => {
  for (const [type, hashalg] of [
    ['ed25519', undefined],
    ['ecdsa', undefined],
    ['ecdsa', 'sha256'],
    ['ed25519', 'sha256'],
  ] as const) {
    it(`${type} key${hashalg ? `, hashalg=${hashalg}` : ''}: valid, wrong key, tampered, other namespace`, () => {
      const alice = newKey(`alice-${type}-${hashalg ?? 'default'}`, type);
      const mallory = newKey(`mallory-${type}-${hashalg ?? 'default'}`, type);
      const allowed = `alice ${alice.pub}\nbob ${mallory.pub.replace(/^(\S+ \S+).*/, '$1')}\n`;
      const text = canonicalApprovalStatement(STATEMENT);
      const cases = [
        {
          name: 'valid',
          message: text,
          sig: sign(alice.path, text, APPROVAL_NAMESPACE, hashalg),
          valid: true,
        },
        // Signed by a key that is listed, but for bob: it does not count for alice.
        {
          name: 'wrong key',
          message: text,
          sig: sign(mallory.path, text, APPROVAL_NAMESPACE, hashalg),
          valid: false,
        },
        {
          name: 'tampered',
          message: tamper(STATEMENT, { digest: `sha256:${'e2'.repeat(32)}` }),
          sig: sign(alice.path, text, APPROVAL_NAMESPACE, hashalg),
          valid: false,
        },
        { name: 'other namespace', message: text, sig: sign(alice.path, text, 'git', hashalg), valid: false },
      ];
      for (const c of cases) {
        const ours = verifyApprovalSignature(c.message, c.sig, allowed);
        assert.equal(ours.valid, c.valid, `${c.name}: ours ${JSON.stringify(ours)}`);
        assert.equal(opensshVerifies(allowed, 'alice', c.message, c.sig), c.valid, `${c.name}: ssh-keygen`);
      }
      const ok = verifyApprovalSignature(text, cases[0]!.sig, allowed);
      assert.ok(ok.valid);
      // The fingerprint is the one ssh-keygen -l prints for the key.
      const l = keygen(['-l', '-f', `${alice.path}.pub`]).stdout.split(' ')[1];
      assert.equal(ok.fingerprint, l);
      assert.equal(ok.statement.approver, 'alice');
    });
  }

  it('gives the reason: wrong key, tampered, other namespace, not a signature', () => {
    const alice = newKey('alice-reasons', 'ed25519');
    const other = newKey('other-reasons', 'ed25519');
    const allowed = `alice ${alice.pub}`;
    const text = canonicalApprovalStatement(STATEMENT);
    const wrong = verifyApprovalSignature(text, sign(other.path, text), allowed);
    assert.ok(
      !wrong.valid && /not an allowed signer for this approver/.test(wrong.reason),
      JSON.stringify(wrong),
    );
    const tampered = verifyApprovalSignature(
      tamper(STATEMENT, { nonce: 'another-nonce' }),
      sign(alice.path, text),
      allowed,
    );
    assert.ok(!tampered.valid && /does not match the statement/.test(tampered.reason));
    const ns = verifyApprovalSignature(text, sign(alice.path, text, 'file'), allowed);
    assert.ok(!ns.valid && ns.reason.includes(`not "${APPROVAL_NAMESPACE}"`));
    const junk = verifyApprovalSignature(text, 'hello', allowed);
    assert.ok(!junk.valid && /not an SSH signature/.test(junk.reason));
    // A key limited to other namespaces does not count.
    const limited = verifyApprovalSignature(
      text,
      sign(alice.path, text),
      `alice namespaces="git" ${alice.pub}`,
    );
    assert.ok(!limited.valid && /no key is listed/.test(limited.reason));
  });
});

describe('approval statement', () => {
  it('has one canonical text: sorted keys, no whitespace, round-trips', () => {
    const text = canonicalApprovalStatement(STATEMENT);
    assert.equal(
      text,
      '{"approver":"alice","comment":"CAB-123 \\"quoted\\" ünïcode","decision":"approve","digest":"sha256:' +
        'd1'.repeat(32) +
        '","environment":"production","nonce":"0f3c6a52-7f0e-4c7b-9f55-2b6f1c1d2e3f","promotionId":"promote-myservice@1.4.2",' +
        '"time":"2026-01-01T00:00:00.000Z","type":"https://harbor-promote.dev/approval-statement/v1"}',
    );
    assert.deepEqual(parseApprovalStatement(text), { ok: true, statement: STATEMENT });
    // The same fields, in another order or with spaces, are not the canonical bytes.
    const loose = JSON.stringify(STATEMENT, null, 1);
    assert.deepEqual(parseApprovalStatement(loose).ok, false);
    assert.match((parseApprovalStatement('{"type":"x"}') as { problem: string }).problem, /field type/);
  });

  it('names the first field that does not match the gate, and a stale nonce', () => {
    const gate = { ...STATEMENT };
    assert.equal(statementMismatch(STATEMENT, gate), undefined);
    assert.match(
      statementMismatch(STATEMENT, { ...gate, promotionId: 'other' })!,
      /promotionId "promote-myservice@1.4.2", not "other"/,
    );
    assert.match(statementMismatch(STATEMENT, { ...gate, environment: 'staging' })!, /environment/);
    assert.match(statementMismatch(STATEMENT, { ...gate, digest: 'sha256:x' })!, /digest/);
    assert.match(
      statementMismatch(STATEMENT, { ...gate, nonce: 'n2-000000' })!,
      /nonce .* is not the gate's current nonce n2-000000/,
    );
  });
});

describe('allowed signers', () => {
  const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIJ0o8E1qz7RV0a4pQzP0NyR3Y9Q6cGkqv3m8hJ2Xk3fW';
  it('reads principals, options and the key; skips comments', () => {
    const { signers, problems } = parseAllowedSigners(
      `# approvers\nalice,alice@example.com ssh-ed25519 ${KEY} alice@laptop\n\nbob namespaces="harbor-promote-approval@v1,git" ssh-ed25519 ${KEY}\n`,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(signers[0]!.principals, ['alice', 'alice@example.com']);
    assert.deepEqual(signers[1]!.namespaces, [APPROVAL_NAMESPACE, 'git']);
    assert.equal(keysOf(signers, 'bob').length, 1);
    assert.equal(keysOf(signers, 'bob', 'file').length, 0);
    assert.equal(sshFingerprint(Buffer.from(KEY, 'base64')).startsWith('SHA256:'), true);
  });
  it('says what is wrong with a line', () => {
    const problem = (l: string) => (parseAllowedSignerLine(l) as { problem: string }).problem;
    assert.match(
      problem(`alice ssh-rsa ${KEY}`),
      /key type "ssh-rsa" is not supported; use ssh-ed25519 or ecdsa-sha2-nistp256/,
    );
    assert.match(problem(`* ssh-ed25519 ${KEY}`), /patterns such as "\*" are not supported/);
    assert.match(
      problem(`alice cert-authority ssh-ed25519 ${KEY}`),
      /option "cert-authority" is not supported/,
    );
    assert.match(problem('alice ssh-ed25519 not!base64'), /not valid base64/);
    assert.match(problem(`alice ecdsa-sha2-nistp256 ${KEY}`), /not a ecdsa-sha2-nistp256 key/);
    assert.match(problem(`ssh-ed25519 ${KEY}`), /expected "<principals>/);
    assert.deepEqual(
      parseAllowedSigners(`alice ssh-rsa ${KEY}`).problems.map((p) => p.slice(0, 7)),
      ['line 1:'],
    );
  });
});
