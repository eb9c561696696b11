/**
 * `harbor-promote doctor`: what a pipeline needs from Harbor, the GitOps repository, the keys and the tools,
 * judged against facts the worker gathered (src/activities/doctor.ts). Pure: every decision and every
 * message is here, so it is tested without Harbor or Temporal. One check per line, each with its fix.
 */
import { scanMode, type Environment, type Pipeline, type ScanMode } from './pipeline.js';
import { THRESHOLD_TITLE, thresholdRank, type Threshold } from './severity.js';

// ---- what the worker found ---------------------------------------------------------------------------

export interface ProjectPolicyFacts {
  autoScan: boolean;
  preventVulnerable: boolean;
  /** Lower case, `none` when absent. */
  severity: 'none' | 'low' | 'medium' | 'high' | 'critical';
  cosignRequired: boolean;
}

export interface ProjectFacts {
  /** From `HEAD /projects?project_name=`; undefined when Harbor could not be asked. */
  exists?: boolean;
  /** The policy from `GET /projects/{name}`; an error line when it could not be read. */
  policy?: ProjectPolicyFacts;
  policyError?: string;
  /** `resource:action` the robot holds in the project (`GET /users/current/permissions`). */
  permissions?: string[];
  permissionsError?: string;
  /** The effective scanner's name, null for none, undefined when it could not be read. */
  scanner?: string | null;
  scannerError?: string;
}

export interface ToolFacts {
  name: 'cosign' | 'skopeo' | 'git';
  bin: string;
  /** First line of `version` output when it ran, else undefined. */
  version?: string;
  error?: string;
}

export interface DoctorFacts {
  harbor: {
    url: string;
    username: string;
    /** Undefined when reachable; the reason otherwise. */
    unreachable?: string;
    /** Undefined when the credentials were accepted; the reason otherwise. */
    rejected?: string;
    version?: string;
  };
  projects: Record<string, ProjectFacts>;
  /** Undefined when the GitOps checks were not run (no environment has an overlay, or not asked). */
  gitops?: {
    url: string;
    branch: string;
    /** Undefined when the branch was fetched; the reason otherwise. */
    unreachable?: string;
    /** Overlay path → present on the branch. */
    files: Record<string, boolean>;
  };
  /** Undefined when not checked; `match` true when the public key is the private key's. */
  cosign?: { match: boolean; error?: string };
  tools?: ToolFacts[];
}

// ---- the report ---------------------------------------------------------------------------------------

export interface DoctorCheck {
  /** Stable id for scripts, e.g. `project:platform-dev:permissions`. */
  id: string;
  ok: boolean;
  /** Passes, but says something the user should know (e.g. "not scanned"). */
  warning?: boolean;
  /** One line: what was checked and what was found. */
  message: string;
  /** On a failure (or a warning): what to change. */
  fix?: string;
}

export interface DoctorReport {
  pipeline?: string;
  harborUrl: string;
  harborVersion?: string;
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorInput {
  /** The validated pipeline (the CLI parsed the file; the activity validates it again). */
  pipeline: unknown;
  /** `pipeline`: only the checks that depend on the pipeline (what `start` runs); default all. */
  scope?: 'all' | 'pipeline';
}

export interface DoctorActivities {
  runDoctor(input: DoctorInput): Promise<DoctorReport>;
}

// ---- what the pipeline needs ---------------------------------------------------------------------------

export interface Operation {
  what: string;
  permissions: string[];
}

/** Robot permissions per operation the promotion performs in one environment's project. */
export function operationsFor(pipeline: Pipeline, index: number): Operation[] {
  const env = pipeline.environments[index]!;
  const ops: Operation[] = [
    {
      what: 'read artifacts',
      permissions: ['repository:pull', 'artifact:read', 'tag:list', 'accessory:list'],
    },
    { what: 'read policy', permissions: ['project:read', 'metadata:read'] },
  ];
  if (index === 0) ops.push({ what: 'push the signature', permissions: ['repository:push'] });
  else
    ops.push({
      what: `copy into ${env.project}`,
      permissions: [
        'artifact:create',
        'tag:create',
        ...(env.copyStrategy === 'skopeo' ? ['repository:push'] : []),
      ],
    });
  if (scanMode(env) !== 'off') ops.push({ what: 'scan', permissions: ['scan:create', 'scan:read'] });
  return ops;
}

/**
 * Harbor lists the project itself relative to its scope as `.` (`RelativeTo` in pkg/permission/types), so
 * `project:read` may appear as `.:read` (or with the empty self resource).
 */
export function holds(held: readonly string[], permission: string): boolean {
  const [resource, action] = permission.split(':') as [string, string];
  return held.some((h) => {
    const i = h.lastIndexOf(':');
    const [r, a] = [h.slice(0, i), h.slice(i + 1)];
    const self = resource === 'project' && (r === '.' || r === '');
    return (r === resource || self) && (a === action || a === '*');
  });
}

// ---- the checks ----------------------------------------------------------------------------------------

const pass = (id: string, message: string): DoctorCheck => ({ id, ok: true, message });
const warn = (id: string, message: string, fix?: string): DoctorCheck => ({
  id,
  ok: true,
  warning: true,
  message,
  ...(fix && { fix }),
});
const fail = (id: string, message: string, fix: string): DoctorCheck => ({ id, ok: false, message, fix });

const SCAN_MODE_TEXT: Record<ScanMode, string> = {
  required: 'scan required (a missing scanner fails the promotion)',
  optional: 'scan.required: false (gates when a scanner exists, passes with a warning otherwise)',
  off: 'scan: false (no scan gate; the record says "not scanned")',
};

function harborChecks(f: DoctorFacts): DoctorCheck[] {
  const h = f.harbor;
  if (h.unreachable)
    return [
      fail(
        'harbor:reachable',
        `Harbor at ${h.url} is not reachable: ${h.unreachable}`,
        'set HARBOR_URL to the Harbor base URL (without /api/v2.0) and check that Harbor is up',
      ),
    ];
  const out = [pass('harbor:reachable', `Harbor at ${h.url} answers${h.version ? ` (${h.version})` : ''}`)];
  if (h.rejected)
    out.push(
      fail(
        'harbor:credentials',
        `Harbor did not accept ${h.username}: ${h.rejected}`,
        "put the robot's current secret in HARBOR_PASSWORD_FILE; check the robot is enabled and not expired",
      ),
    );
  else out.push(pass('harbor:credentials', `${h.username} is accepted by Harbor`));
  return out;
}

/** Harbor's prevent_vul vs the pipeline's gate, cosign enforcement vs signing: the consequence, spelled out. */
function policyCheck(pipeline: Pipeline, index: number, p: ProjectPolicyFacts): DoctorCheck {
  const env = pipeline.environments[index]!;
  const id = `project:${env.project}:policy`;
  const where = `${env.name} (${env.project})`;
  const source = pipeline.environments[0]!;
  const parts: string[] = [];
  const problems: { message: string; fix: string; fatal: boolean }[] = [];
  const mode = scanMode(env);

  if (p.cosignRequired)
    parts.push(
      `enforces cosign: unsigned images cannot be pulled there; the pipeline signs in ${source.name}: OK`,
    );
  else parts.push('does not enforce cosign (the pipeline signs anyway)');

  if (p.preventVulnerable && p.severity !== 'none') {
    const harbor = p.severity as Threshold;
    const gate = env.severityThreshold;
    parts.push(
      `prevents pulls of images with ${THRESHOLD_TITLE[harbor]} or higher${p.autoScan ? ', scans on push' : ''}`,
    );
    if (mode !== 'off' && thresholdRank(harbor) < thresholdRank(gate))
      problems.push({
        message: `Harbor blocks from ${THRESHOLD_TITLE[harbor]} but the pipeline's gate only from ${THRESHOLD_TITLE[gate]}: an image with a ${THRESHOLD_TITLE[harbor]} finding passes the gate and is then quarantined in ${env.project}`,
        fix: `set environments[${index}].severityThreshold: ${harbor} to stop such images before the copy`,
        fatal: false,
      });
    if (mode === 'off' && !p.autoScan)
      problems.push({
        message: `environments[${index}].scan is false and ${env.project} does not scan on push: with a scanner, Harbor refuses to serve the unscanned image there`,
        fix: `turn on "Automatically scan images on push" in ${env.project}, or set environments[${index}].scan: { required: false }`,
        fatal: true,
      });
    else if (mode === 'off')
      problems.push({
        message: `environments[${index}].scan is false, but ${env.project} still scans on push and blocks vulnerable images: Harbor gates pulls there`,
        fix: `expected; remove prevent_vul from ${env.project} if that environment must never block`,
        fatal: false,
      });
  } else parts.push('does not block vulnerable images (the pipeline gate decides)');
  if (!p.autoScan && mode !== 'off' && index > 0)
    parts.push('no scan on push: the pipeline triggers the scan after the copy');

  const head = `${where} ${parts.join('; ')}`;
  const fatal = problems.find((x) => x.fatal);
  if (fatal) return fail(id, `${head}. ${fatal.message}`, fatal.fix);
  if (problems.length)
    return warn(
      id,
      `${head}. ${problems.map((x) => x.message).join('; ')}`,
      problems.map((x) => x.fix).join('; '),
    );
  return pass(id, head);
}

function scannerCheck(env: Environment, index: number, p: ProjectFacts): DoctorCheck {
  const id = `project:${env.project}:scanner`;
  const mode = scanMode(env);
  const where = `${env.name} (${env.project})`;
  if (mode === 'off') return pass(id, `${where}: no scanner needed; ${SCAN_MODE_TEXT.off}`);
  if (p.scanner === undefined)
    return warn(
      id,
      `${where}: cannot tell whether a scanner is configured (${p.scannerError ?? 'no answer'}); ${SCAN_MODE_TEXT[mode]}`,
      `grant the robot scanner:read on ${env.project} so doctor can check`,
    );
  if (p.scanner === null)
    return mode === 'optional'
      ? warn(
          id,
          `${where}: no scanner configured; ${SCAN_MODE_TEXT.optional}: promotions pass here NOT scanned`,
          'add a scanner in Harbor (Administration → Interrogation Services) and make it the default',
        )
      : fail(
          id,
          `${where}: no scanner configured, but the pipeline requires a scan here`,
          `add a scanner in Harbor (Administration → Interrogation Services) and make it the default, or set environments[${index}].scan: { required: false } (or false)`,
        );
  return pass(id, `${where}: scanner ${p.scanner}; ${SCAN_MODE_TEXT[mode]}`);
}

function permissionCheck(pipeline: Pipeline, index: number, p: ProjectFacts, username: string): DoctorCheck {
  const env = pipeline.environments[index]!;
  const id = `project:${env.project}:permissions`;
  const ops = operationsFor(pipeline, index);
  if (!p.permissions)
    return fail(
      id,
      `${env.project}: cannot read ${username}'s permissions (${p.permissionsError ?? 'no answer'})`,
      `grant ${username} project:read on ${env.project}`,
    );
  // The policy was read (GET /projects/{name} answered with its metadata): that operation is proven.
  const held = [...p.permissions, ...(p.policy ? ['project:read', 'metadata:read'] : [])];
  const missing = ops
    .map((o) => ({ what: o.what, lacks: o.permissions.filter((x) => !holds(held, x)) }))
    .filter((o) => o.lacks.length > 0);
  if (missing.length === 0)
    return pass(id, `${env.project}: ${username} may ${ops.map((o) => o.what).join(', ')}`);
  const lacks = [...new Set(missing.flatMap((m) => m.lacks))];
  return fail(
    id,
    `${env.project}: ${username} cannot ${missing.map((m) => `${m.what} (needs ${m.lacks.join(', ')})`).join('; ')}`,
    `grant ${username} ${lacks.join(', ')} on project ${env.project} (Administration → Robot Accounts → edit → permissions)`,
  );
}

function projectChecks(pipeline: Pipeline, f: DoctorFacts): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  pipeline.environments.forEach((env, i) => {
    const p = f.projects[env.project] ?? {};
    const id = `project:${env.project}`;
    if (p.exists === false) {
      out.push(
        fail(
          `${id}:exists`,
          `${env.name}: project ${env.project} does not exist in Harbor`,
          `create project ${env.project} in Harbor (Projects → New Project), or fix environments[${i}].project`,
        ),
      );
      return;
    }
    out.push(pass(`${id}:exists`, `${env.name}: project ${env.project} exists`));
    out.push(
      p.policy
        ? policyCheck(pipeline, i, p.policy)
        : fail(
            `${id}:policy`,
            `${env.project}: cannot read the project's policy (${p.policyError ?? 'no answer'})`,
            `grant ${f.harbor.username} project:read and metadata:read on ${env.project}`,
          ),
    );
    out.push(scannerCheck(env, i, p));
    out.push(permissionCheck(pipeline, i, p, f.harbor.username));
  });
  return out;
}

/** Whether the pipeline reads the GitOps repository: overlays, or approvers' keys kept there. */
export const usesGitops = (pipeline: Pipeline) =>
  pipeline.environments.some((e) => e.overlay || e.approval?.allowedSignersFile !== undefined);

function gitopsChecks(pipeline: Pipeline, f: DoctorFacts): DoctorCheck[] {
  const overlays = pipeline.environments.map((e, i) => ({ env: e, index: i })).filter((x) => x.env.overlay);
  const keyFiles = pipeline.environments
    .map((e, i) => ({ env: e, index: i }))
    .filter((x) => x.env.approval?.allowedSignersFile !== undefined);
  if (!usesGitops(pipeline)) return [pass('gitops', 'no environment has an overlay: GitOps is not used')];
  const g = f.gitops;
  if (!g) return [];
  if (g.unreachable)
    return [
      fail(
        'gitops:reachable',
        `GitOps repository ${g.url} branch ${g.branch} cannot be fetched: ${g.unreachable}`,
        'check GITOPS_REPO_URL and GITOPS_BRANCH, and that the worker can fetch and push it',
      ),
    ];
  return [
    pass('gitops:reachable', `GitOps repository ${g.url} branch ${g.branch} is reachable`),
    ...overlays.map(({ env, index }) => {
      const path = env.overlay!.path;
      return g.files[path]
        ? pass(`gitops:overlay:${env.name}`, `${env.name}: overlay ${path} exists on ${g.branch}`)
        : fail(
            `gitops:overlay:${env.name}`,
            `${env.name}: overlay ${path} does not exist on branch ${g.branch}`,
            `commit ${path} (a kustomization.yaml listing the image ${env.overlay!.imageName ?? '<repository>'}) to ${g.branch}, or fix environments[${index}].overlay.path`,
          );
    }),
    ...keyFiles.map(({ env, index }) => {
      const path = env.approval!.allowedSignersFile!;
      return g.files[path]
        ? pass(
            `gitops:allowed-signers:${env.name}`,
            `${env.name}: approvers' keys ${path} exist on ${g.branch}`,
          )
        : fail(
            `gitops:allowed-signers:${env.name}`,
            `${env.name}: approvers' keys ${path} do not exist on branch ${g.branch}`,
            `commit ${path} (allowed_signers lines "alice ssh-ed25519 AAAA…", one per approver) to ${g.branch}, or fix environments[${index}].approval.allowedSignersFile`,
          );
    }),
  ];
}

function cosignCheck(f: DoctorFacts): DoctorCheck[] {
  if (!f.cosign) return [];
  if (f.cosign.error)
    return [
      fail(
        'cosign:keypair',
        `cosign key pair cannot be checked: ${f.cosign.error}`,
        'check COSIGN_KEY_FILE and COSIGN_PASSWORD_FILE (the password must open the key)',
      ),
    ];
  return [
    f.cosign.match
      ? pass(
          'cosign:keypair',
          'cosign key pair matches: COSIGN_PUBLIC_KEY_FILE is the public half of COSIGN_KEY_FILE',
        )
      : fail(
          'cosign:keypair',
          'cosign public key does not belong to the private key: every signature would fail verification',
          'set COSIGN_PUBLIC_KEY_FILE to the cosign.pub generated with COSIGN_KEY_FILE (`cosign public-key --key cosign.key`)',
        ),
  ];
}

function toolChecks(pipeline: Pipeline, f: DoctorFacts): DoctorCheck[] {
  const needsSkopeo = pipeline.environments.some((e, i) => i > 0 && e.copyStrategy === 'skopeo');
  const needsGit = usesGitops(pipeline);
  return (f.tools ?? []).map((t) => {
    const needed = t.name === 'cosign' || (t.name === 'skopeo' ? needsSkopeo : needsGit);
    const env = `${t.name.toUpperCase()}_BIN`;
    if (t.version) return pass(`tool:${t.name}`, `${t.name} present (${t.bin}: ${t.version})`);
    if (!needed)
      return pass(`tool:${t.name}`, `${t.name} not found at ${t.bin}, and this pipeline does not need it`);
    return fail(
      `tool:${t.name}`,
      `${t.name} not usable at ${t.bin}: ${t.error ?? 'no version output'}`,
      `install ${t.name} or set ${env} to its path (npm run tools -- build builds the pinned one)`,
    );
  });
}

/** All checks, in the order a user fixes them. */
export function diagnose(pipeline: Pipeline, f: DoctorFacts): DoctorReport {
  const checks = [...harborChecks(f)];
  if (!f.harbor.unreachable && !f.harbor.rejected) checks.push(...projectChecks(pipeline, f));
  checks.push(...gitopsChecks(pipeline, f), ...cosignCheck(f), ...toolChecks(pipeline, f));
  return {
    ...(pipeline.name && { pipeline: pipeline.name }),
    harborUrl: f.harbor.url,
    ...(f.harbor.version && { harborVersion: f.harbor.version }),
    ok: checks.every((c) => c.ok),
    checks,
  };
}

/** Which scan rule applies per environment (for the CLI and the docs). */
export function scanRules(pipeline: Pipeline): { environment: string; mode: ScanMode; text: string }[] {
  return pipeline.environments.map((e) => ({
    environment: e.name,
    mode: scanMode(e),
    text: SCAN_MODE_TEXT[scanMode(e)],
  }));
}

/** One line per check: `✓ message`, `! message` (warning), `✗ message` then `    fix: …`. */
export function renderReport(r: DoctorReport): string[] {
  const lines: string[] = [];
  for (const c of r.checks) {
    lines.push(`${c.ok ? (c.warning ? '!' : '✓') : '✗'} ${c.message}`);
    if (c.fix && (!c.ok || c.warning)) lines.push(`    fix: ${c.fix}`);
  }
  const failed = r.checks.filter((c) => !c.ok).length;
  lines.push(
    failed === 0
      ? `all ${r.checks.length} checks passed${r.checks.some((c) => c.warning) ? ' (with warnings)' : ''}`
      : `${failed} of ${r.checks.length} checks failed`,
  );
  return lines;
}
