/**
 * `harbor-promote verify`: the decisions, from what was read off the registry (the signature's and the
 * attestations' verdicts, their predicates) and the pipeline file. Pure; src/cli/commands/verify.ts reads.
 * One check per line, each naming what failed; the command exits 1 when any fails.
 */
import {
  RecordPredicateSchema,
  VsaPredicateSchema,
  verifiedLevel,
  type ParsedRecordPredicate,
} from './attestation.js';
import type { Environment, Pipeline } from './pipeline.js';
import { verifyApprovalSignature } from './sshsig.js';

export interface Check {
  name: string;
  ok: boolean;
  message: string;
}

export type Read<T> = { state: 'valid'; value: T } | { state: 'none' | 'invalid'; reasons: string[] };

export interface VerifyInput {
  pipeline: Pipeline;
  /** sha256 (hex) of the pipeline file's canonical form. */
  policyDigest: string;
  environment: Environment;
  /** The environments of the pipeline up to this one. */
  upTo: Environment[];
  project: string;
  repository: string;
  digest: string;
  signature: Read<undefined>;
  /** The VSA statement's predicate. */
  vsa: Read<unknown>;
  /** The promotion-record predicate; only read with --require-approvals. */
  record?: Read<unknown>;
}

const why = (r: { reasons: string[] }) => r.reasons.join('; ');

/** Every check, in the order they print. */
export function verifyChecks(i: VerifyInput): Check[] {
  const at = `${i.project}/${i.repository}@${i.digest}`;
  const checks: Check[] = [
    i.signature.state === 'valid'
      ? { name: 'signature', ok: true, message: `a cosign signature by the key verifies for ${at}` }
      : {
          name: 'signature',
          ok: false,
          message: `${i.signature.state === 'none' ? 'no cosign signature' : 'no signature verifies with the key'} for ${at}: ${why(i.signature)}`,
        },
  ];
  checks.push(...vsaChecks(i, at));
  if (i.record) checks.push(...recordChecks(i, i.record));
  return checks;
}

function vsaChecks(i: VerifyInput, at: string): Check[] {
  if (i.vsa.state !== 'valid')
    return [
      {
        name: 'vsa',
        ok: false,
        message: `${i.vsa.state === 'none' ? 'no verification summary (VSA) attestation' : 'no VSA verifies with the key'} for ${at}: ${why(i.vsa)}; was it promoted into ${i.environment.name}?`,
      },
    ];
  const p = VsaPredicateSchema.safeParse(i.vsa.value);
  if (!p.success)
    return [
      {
        name: 'vsa',
        ok: false,
        message: `the VSA's predicate is malformed: ${p.error.issues[0]!.path.join('.')}: ${p.error.issues[0]!.message}`,
      },
    ];
  const v = p.data;
  const suffix = `/${i.project}/${i.repository}@${i.digest}`;
  const level = verifiedLevel(i.environment.name);
  return [
    { name: 'vsa', ok: true, message: `a signed VSA by ${v.verifier.id} at ${v.timeVerified}` },
    v.resourceUri.endsWith(suffix)
      ? { name: 'resource', ok: true, message: `the VSA is about ${v.resourceUri}` }
      : { name: 'resource', ok: false, message: `the VSA is about ${v.resourceUri}, not …${suffix}` },
    v.policy.digest.sha256 === i.policyDigest
      ? {
          name: 'policy',
          ok: true,
          message: `policy ${v.policy.uri} sha256:${i.policyDigest.slice(0, 12)}… is the given pipeline's`,
        }
      : {
          name: 'policy',
          ok: false,
          message: `the VSA's policy ${v.policy.uri} has sha256:${v.policy.digest.sha256.slice(0, 12)}…, the given pipeline has sha256:${i.policyDigest.slice(0, 12)}…: promoted under another pipeline`,
        },
    v.verificationResult === 'PASSED'
      ? { name: 'result', ok: true, message: 'verificationResult PASSED' }
      : { name: 'result', ok: false, message: `verificationResult is ${v.verificationResult}, not PASSED` },
    v.verifiedLevels.includes(level)
      ? { name: 'level', ok: true, message: `verifiedLevels has ${level}` }
      : {
          name: 'level',
          ok: false,
          message: `verifiedLevels [${v.verifiedLevels.join(', ')}] lacks ${level}: not promoted into ${i.environment.name}`,
        },
  ];
}

function recordChecks(i: VerifyInput, r: Read<unknown>): Check[] {
  if (r.state !== 'valid')
    return [
      {
        name: 'record',
        ok: false,
        message: `${r.state === 'none' ? 'no promotion-record attestation' : 'no promotion record verifies with the key'}: ${why(r)}`,
      },
    ];
  const p = RecordPredicateSchema.safeParse(r.value);
  if (!p.success)
    return [
      {
        name: 'record',
        ok: false,
        message: `the promotion record is malformed: ${p.error.issues[0]!.path.join('.')}: ${p.error.issues[0]!.message}`,
      },
    ];
  const rec = p.data;
  const about = [
    rec.environment !== i.environment.name && `it is for ${rec.environment}, not ${i.environment.name}`,
    rec.digest !== i.digest && `it is about ${rec.digest}`,
  ].filter((x): x is string => typeof x === 'string');
  // A record of another environment or digest says nothing about these approvals; one of another
  // pipeline still does, judged by the given pipeline's rule.
  if (about.length > 0)
    return [{ name: 'record', ok: false, message: `the promotion record: ${about.join('; ')}` }];
  return [
    rec.policy.digest.sha256 === i.policyDigest
      ? { name: 'record', ok: true, message: `a signed promotion record of ${rec.promotionId}` }
      : {
          name: 'record',
          ok: false,
          message: `the promotion record of ${rec.promotionId} was made under another pipeline (policy sha256:${rec.policy.digest.sha256.slice(0, 12)}…)`,
        },
    approvalCheck(i.upTo, rec),
  ];
}

/** Every gated environment up to ENV: approved, by enough distinct approvers the pipeline lists. */
export function approvalCheck(envs: Environment[], rec: ParsedRecordPredicate): Check {
  const gated = envs.filter((e) => e.approval !== undefined);
  if (gated.length === 0)
    return { name: 'approvals', ok: true, message: 'the pipeline requires no approval up to here' };
  const ok: string[] = [];
  for (const e of gated) {
    const rule = e.approval!;
    const a = rec.approvals[e.name];
    if (!a) return { name: 'approvals', ok: false, message: `the record has no approval for ${e.name}` };
    if (a.decision !== 'approved')
      return {
        name: 'approvals',
        ok: false,
        message: `${e.name}: the decision is ${a.decision}, not approved`,
      };
    const listed = [...new Set(a.approvals.map((x) => x.approver))];
    const strangers = listed.filter((n) => !rule.approvers.includes(n));
    if (strangers.length > 0)
      return {
        name: 'approvals',
        ok: false,
        message: `${e.name}: approved by ${strangers.join(', ')}, not listed in the pipeline (approvers: ${rule.approvers.join(', ')})`,
      };
    if (listed.length < rule.required)
      return {
        name: 'approvals',
        ok: false,
        message: `${e.name}: ${listed.length} approval${listed.length === 1 ? '' : 's'}, the pipeline requires ${rule.required}`,
      };
    const unsigned = signatureProblem(e, a, rec);
    if (unsigned) return { name: 'approvals', ok: false, message: `${e.name}: ${unsigned}` };
    const signed = a.approvals.some((x) => x.signature) ? ', signatures verified' : '';
    ok.push(`${e.name} by ${listed.join(', ')} (${listed.length}/${rule.required}${signed})`);
  }
  return { name: 'approvals', ok: true, message: `approved: ${ok.join('; ')}` };
}

type GateRecord = ParsedRecordPredicate['approvals'][string];

/**
 * Re-checks signed approvals without Temporal: each approval of a gate that requires signatures (or that
 * carries one) must be an SSHSIG signature, by a key allowed for its approver, over a statement for this
 * promotion, environment, digest and approver. The keys are the pipeline's `allowedSigners`; a pipeline
 * that keeps them in the GitOps repository (`allowedSignersFile`) is checked against the lines the worker
 * read there when the gate opened, as the signed record names them (file and commit).
 */
function signatureProblem(e: Environment, gate: GateRecord, rec: ParsedRecordPredicate): string | undefined {
  const rule = e.approval!;
  const required = rule.allowedSigners !== undefined || rule.allowedSignersFile !== undefined;
  const keys = rule.allowedSigners ?? gate.allowedSigners;
  for (const a of gate.approvals) {
    if (!a.signature) {
      if (required) return `${a.approver}'s approval is not signed; the pipeline requires signed approvals`;
      continue;
    }
    if (!keys)
      return `${a.approver}'s approval is signed, but neither the pipeline nor the record lists the approvers' keys`;
    const v = verifyApprovalSignature(a.signature.statement, a.signature.signature, keys.join('\n'));
    if (!v.valid) return `${a.approver}'s signature does not verify: ${v.reason}`;
    const st = v.statement;
    const expected = {
      promotionId: rec.promotionId,
      environment: e.name,
      digest: rec.digest,
      approver: a.approver,
      decision: 'approve',
    } as const;
    for (const [k, want] of Object.entries(expected))
      if (st[k as keyof typeof expected] !== want)
        return `${a.approver}'s signed statement is for ${k} "${st[k as keyof typeof expected]}", not "${want}"`;
  }
  return undefined;
}
