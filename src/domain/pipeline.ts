/**
 * The pipeline file: the ordered environments a promotion walks through, each bound to one Harbor project
 * with its own gates. Validated by zod here (pure; the worker checks a workflow's input with the same schema
 * in an activity, and the workflow bundle uses the zod-free pipeline-rules.ts instead of this file); YAML
 * parsing lives in pipeline-file.ts.
 * Harbor's URL and credentials are the worker's (env), never part of this file.
 */
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.js';
import {
  digestProblem,
  projectProblem,
  referenceProblem,
  repositoryProblem,
  tagProblem,
} from './image-ref.js';
import { FreezeList } from './freeze.js';
import { WebhookSpec } from './notify.js';
import { RequiresList } from './evidence.js';
import { CONCURRENCY_POLICIES } from './environment-lock.js';
import { THRESHOLDS } from './severity.js';
import { keysOf, parseAllowedSignerLine } from './approval-statement.js';
import { durationLimitProblems, formatPath } from './pipeline-rules.js';

// The zod-free rules (the workflow imports them from pipeline-rules.ts directly).
export {
  concurrencyOf,
  durationLimitProblems,
  formatPath,
  repositoryIn,
  scanMode,
  scanSettings,
  type ScanMode,
} from './pipeline-rules.js';

/** Check a string with one of the image-ref "problem" functions, so messages are the same everywhere. */
const checked = (problem: (s: string) => string | undefined) =>
  z.string().superRefine((s, ctx) => {
    const p = problem(s);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });

export const RepositoryName = checked(repositoryProblem);
export const ProjectName = checked(projectProblem);
export const Reference = checked(referenceProblem);
export const Tag = checked(tagProblem);
export const Digest = checked(digestProblem);
export const EnvironmentName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, {
  error: 'must be lower case letters, digits or "-", starting with a letter (e.g. "staging")',
});
export const Duration = z
  .string({ error: 'must be a duration string such as "30s", "15m", "72h" or "1h30m"' })
  .regex(DURATION_PATTERN, { error: 'is not a duration; write e.g. "30s", "15m", "72h" or "1h30m"' });
const Approver = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, {
  error: 'must be a user name (letters, digits, ".", "_", "@", "+", "-"), as passed to `--as`',
});
/** Where clusters pull from (for overlay `newName`): a host[:port] only; the API URL is the worker's. */
const RegistryHost = z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/, {
  error: 'must be a registry host such as "harbor.example.com" (no scheme, path or credentials)',
});

export const ScanSpec = z.strictObject({
  /**
   * `false`: when Harbor has no scanner, pass this gate with a warning instead of failing the promotion
   * (a scanner that exists still gates). Absent means `true`: kept optional so existing inputs keep their shape.
   */
  required: z.boolean({ error: 'must be true or false' }).optional(),
  /** Overall deadline for a finished scan (triggering one when there is none). */
  timeout: Duration.default('30m'),
  /** How often the activity re-checks the report while the scan runs. */
  pollInterval: Duration.default('15s'),
});

export const ApprovalSpec = z
  .strictObject({
    approvers: z.array(Approver).min(1, { error: 'lists nobody; add at least one approver' }),
    required: z.int().min(1, { error: 'must be at least 1' }).default(1),
    /** How long the gate stays open once reached; then the promotion fails with ApprovalExpired. */
    expiry: Duration.default('72h'),
    /** `true`: the promotion's requester may approve its own gate. Absent or `false`: refused (separation of duties). */
    allowSelfApproval: z.boolean({ error: 'must be true or false' }).optional(),
    /**
     * Signed approvals: the approvers' SSH public keys as `allowed_signers` lines
     * (`alice ssh-ed25519 AAAA…`). With keys, every approval and rejection of this gate must be signed.
     */
    allowedSigners: z
      .array(z.string())
      .min(1, { error: 'is empty; list the approvers\' keys ("alice ssh-ed25519 AAAA…") or remove it' })
      .optional(),
    /** The same lines in a file of the GitOps repository (read by the worker when the gate opens). */
    allowedSignersFile: z
      .string()
      .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\0]+$/, {
        error: 'must be a relative path inside the GitOps repository (no leading "/" or "..")',
      })
      .optional(),
  })
  .superRefine((a, ctx) => {
    if (a.allowedSigners && a.allowedSignersFile !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['allowedSignersFile'],
        message: 'give the keys inline (`allowedSigners`) or in a file (`allowedSignersFile`), not both',
      });
    const signers = (a.allowedSigners ?? []).flatMap((line, i) => {
      const r = parseAllowedSignerLine(line);
      if (!('problem' in r)) return [r];
      ctx.addIssue({ code: 'custom', path: ['allowedSigners', i], message: r.problem });
      return [];
    });
    if (a.allowedSigners && signers.length === a.allowedSigners.length) {
      const keyless = a.approvers.filter((name) => keysOf(signers, name).length === 0);
      if (keyless.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['allowedSigners'],
          message: `no key for ${keyless.join(', ')}; every approver needs a line "<name> ssh-ed25519 AAAA…" (or remove them from approvers)`,
        });
    }
    const seen = new Set<string>();
    a.approvers.forEach((name, i) => {
      if (seen.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['approvers', i],
          message: `"${name}" is listed twice; list each approver once`,
        });
      seen.add(name);
    });
    if (a.required > seen.size)
      ctx.addIssue({
        code: 'custom',
        path: ['required'],
        message: `${a.required} exceeds the ${seen.size} approver${seen.size === 1 ? '' : 's'} listed; lower it or add approvers`,
      });
  });

export const VerificationSpec = z
  .strictObject({
    /** argv of an integration-test command run by the worker (no shell); exit 0 passes. */
    command: z
      .array(z.string().min(1))
      .min(1, { error: 'is empty; give the program and its arguments' })
      .optional(),
    /** A URL the worker POSTs to; the answer (or a polled status) decides. No credentials in it. */
    webhook: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** Wait for a `reportVerification` signal (e.g. from CI) instead of running anything. */
    external: z.literal(true, { error: 'must be `true` when present' }).optional(),
    timeout: Duration.default('15m'),
  })
  .superRefine((v, ctx) => {
    const kinds = [v.command && 'command', v.webhook && 'webhook', v.external && 'external'].filter(Boolean);
    if (kinds.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'says nothing to run; give exactly one of `command`, `webhook` or `external: true`'
            : `gives ${kinds.join(' and ')}; give exactly one of \`command\`, \`webhook\` or \`external: true\``,
      });
    if (v.webhook && /^[a-z]+:\/\/[^/]*@/i.test(v.webhook))
      ctx.addIssue({
        code: 'custom',
        path: ['webhook'],
        message:
          'contains credentials; remove them (secrets live in the worker environment, never in the pipeline)',
      });
  });

export const OverlaySpec = z.strictObject({
  /** kustomization.yaml inside the GitOps repository (the repository itself is the worker's GITOPS_REPO_URL). */
  path: z
    .string()
    .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$)).*(?:^|\/)(?:kustomization\.ya?ml|Kustomization)$/, {
      error:
        'must be a relative path to a kustomization.yaml inside the GitOps repository (no leading "/" or "..")',
    }),
  /** `images[].name` to rewrite; defaults to the repository name. */
  imageName: z.string().min(1).optional(),
  /** `images[].newName`; defaults to `<registry>/<project>/<repository>`. */
  newName: z.string().min(1).optional(),
});

export const RollbackSpec = z.strictObject({
  /** Default true: a rollback passes the environment's approval gate like a promotion. */
  approval: z.boolean({ error: 'must be true or false' }).default(true),
});

export const EnvironmentSpec = z.strictObject({
  name: EnvironmentName,
  project: ProjectName,
  /** The repository in this project; defaults to the promotion's repository. */
  repository: RepositoryName.optional(),
  /** Lowest severity that fails the scan gate (Harbor's ranking: `none` blocks any finding). */
  severityThreshold: z
    .enum(THRESHOLDS, { error: `must be one of ${THRESHOLDS.join(', ')}` })
    .default('critical'),
  /**
   * The scan gate: `false` turns it off (the record says "not scanned"), `{ required: false }` gates only
   * when Harbor has a scanner; default: a finished scan is required.
   */
  scan: z
    .union([z.literal(false), ScanSpec], {
      error:
        'must be `false` (no scan gate) or a mapping with `required`, `timeout` and `pollInterval` (e.g. `{ required: false }`)',
    })
    .prefault({}),
  copyStrategy: z
    .enum(['harbor', 'skopeo'], { error: 'must be "harbor" (server-side copy) or "skopeo"' })
    .default('harbor'),
  approval: ApprovalSpec.optional(),
  overlay: OverlaySpec.optional(),
  verification: VerificationSpec.optional(),
  /** Wait this long after verification before moving on. */
  soak: Duration.optional(),
  /** Freeze windows: no copy into this environment while one is open (besides the pipeline-wide ones). */
  freeze: FreezeList.optional(),
  /**
   * Promotions of one repository write an environment one at a time; while one writes, the others wait.
   * `supersede` (default): a waiting promotion ends as `Superseded` when a newer one arrives; `queue`:
   * they wait their turn. Absent means `supersede` (concurrencyOf); not allowed on the source.
   */
  concurrency: z
    .enum(CONCURRENCY_POLICIES, {
      error: `must be "supersede" (a newer promotion replaces a waiting one; the default) or "queue" (each waits its turn)`,
    })
    .optional(),
  /**
   * Evidence the artifact must carry in the previous environment's project, signed by the promoter's cosign
   * key, before it is copied here (src/domain/evidence.ts); otherwise the promotion fails `EvidenceMissing`.
   */
  requires: RequiresList.optional(),
});

export const PipelineSchema = z
  .strictObject({
    apiVersion: z.literal('harbor-promote/v1', { error: 'must be "harbor-promote/v1"' }),
    name: EnvironmentName.optional(),
    registry: RegistryHost,
    /**
     * `true`: `start --requested-by NAME` may name the requester (e.g. a CI job starting for a person).
     * Absent or `false`: the requester is the OS user running `start`, so a self-approval check means something.
     */
    allowRequestedBy: z.boolean({ error: 'must be true or false' }).optional(),
    environments: z
      .array(EnvironmentSpec)
      .min(2, { error: 'needs at least two environments: the source and one destination' }),
    /** Freeze windows of every destination (each environment may add its own). */
    freeze: FreezeList.optional(),
    /** Webhooks told about the events they list (waiting-approval, frozen, failed, completed, …). */
    notify: z
      .array(WebhookSpec, {
        error:
          'must be a list of webhooks, e.g. [{ url: "https://hooks.example.com/x", events: [failed, completed] }]',
      })
      .optional(),
    /** `harbor-promote rollback`: `approval: false` skips the environment's approval gate for rollbacks. */
    rollback: RollbackSpec.optional(),
  })
  .superRefine((p, ctx) => {
    const names = new Map<string, number>();
    const projects = new Map<string, number>();
    p.environments.forEach((e, i) => {
      const n = names.get(e.name);
      if (n !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['environments', i, 'name'],
          message: `"${e.name}" is already used by environments[${n}]; give each environment its own name`,
        });
      else names.set(e.name, i);
      const pi = projects.get(e.project);
      if (pi !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['environments', i, 'project'],
          message: `"${e.project}" is already used by environments[${pi}]; each environment needs its own Harbor project`,
        });
      else projects.set(e.project, i);
    });
    // The first environment is the source: the image is already there, nothing is copied into it.
    const src = p.environments[0];
    for (const key of [
      'approval',
      'overlay',
      'verification',
      'soak',
      'freeze',
      'concurrency',
      'requires',
    ] as const)
      if (src?.[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['environments', 0, key],
          message: `the first environment is the source (the image is resolved, scanned and signed there); move \`${key}\` to a later environment`,
        });
  });

export type PipelineFile = z.input<typeof PipelineSchema>;
export type Pipeline = z.output<typeof PipelineSchema>;
export type Environment = z.output<typeof EnvironmentSpec>;
export type Verification = z.output<typeof VerificationSpec>;
export type ScanSettings = z.output<typeof ScanSpec>;

// ---- error formatting: every message names its path and the fix -------------------------------------

/** Keys the schema knows, to suggest the right spelling of an unknown one. */
const KNOWN_KEYS = [
  'apiVersion',
  'name',
  'registry',
  'environments',
  'project',
  'repository',
  'severityThreshold',
  'scan',
  'timeout',
  'pollInterval',
  'copyStrategy',
  'approval',
  'approvers',
  'required',
  'expiry',
  'allowSelfApproval',
  'allowedSigners',
  'allowedSignersFile',
  'allowRequestedBy',
  'overlay',
  'path',
  'imageName',
  'newName',
  'verification',
  'command',
  'webhook',
  'external',
  'soak',
  'freeze',
  'cron',
  'duration',
  'start',
  'end',
  'timeZone',
  'reason',
  'notify',
  'url',
  'urlEnv',
  'events',
  'secretEnv',
  'attempts',
  'rollback',
  'concurrency',
];
/** Keys people reach for that belong to the worker. */
const WORKER_KEYS = /^(harbor(Url|_url)?|url|credentials?|username|user|password|token|robot|secret|auth)$/i;

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(
        d[j]! + 1,
        d[j - 1]! + 1,
        prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return d[b.length]!;
}

function unknownKeyMessage(key: string): string {
  if (WORKER_KEYS.test(key))
    return 'unknown key; the Harbor URL and credentials come from the worker environment (HARBOR_URL, HARBOR_USERNAME, HARBOR_PASSWORD_FILE), remove it';
  const best = KNOWN_KEYS.map((k) => [k, editDistance(key, k)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= 2
    ? `unknown key; did you mean "${best[0]}"?`
    : 'unknown key; remove it (see pipelines/README.md for the format)';
}

/** One line per problem: `environments[2].approval.required: 3 exceeds the 2 approvers listed; …`. */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) lines.push(`${formatPath([...path, k])}: ${unknownKeyMessage(k)}`);
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // `scan: false | {…}`: a mapping gets the mapping's own messages (which key, what is wrong), anything
      // else the union's one-line explanation.
      const nested = issue.errors.find((branch) =>
        branch.some((i) => i.path.length > 0 || i.code === 'unrecognized_keys'),
      );
      if (nested) lines.push(...formatIssues(nested, path));
      else lines.push(`${formatPath(path)}: ${issue.message}`);
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      lines.push(
        `${formatPath(path)}: is required${issue.message.startsWith('Invalid input') ? '' : `; it ${issue.message}`}`,
      );
    } else {
      lines.push(`${formatPath(path)}: ${issue.message}`);
    }
  }
  return lines;
}

export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid pipeline:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates an already-parsed pipeline object (from YAML or from a workflow input). */
export function validatePipeline(value: unknown, source = 'pipeline'): Pipeline {
  const r = PipelineSchema.safeParse(value, { reportInput: true });
  if (!r.success) throw new PipelineError(source, formatIssues(r.error.issues));
  const limits = durationLimitProblems(r.data);
  if (limits.length > 0) throw new PipelineError(source, limits);
  return r.data;
}
