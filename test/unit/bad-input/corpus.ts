/**
 * The bad-input corpus, as data: every row is something a user (or a script) could type or send, and the
 * field its error must name. Shared by the pure tests here and by the stack-backed "changes nothing" proof
 * (test/integration/proof/bad-input-stack.test.ts), which feeds a sample of the same rows to the CLI.
 */

export interface RefRow {
  name: string;
  input: string;
  /** The message must match this (it names the part of the reference and the fix). */
  expect: RegExp;
}

const long = (n: number, c = 'a') => c.repeat(n);

export const IMAGE_REFERENCE_ROWS: RefRow[] = [
  { name: 'empty', input: '', expect: /^image: is empty/ },
  { name: 'only spaces', input: '   ', expect: /^image: is empty/ },
  {
    name: 'upper case repository',
    input: 'MyService:1.4.2',
    expect: /^image: repository .*upper case.*"myservice"/,
  },
  {
    name: '--help as an image',
    input: '--help',
    expect: /^image: repository .*invalid path component "--help"/,
  },
  {
    name: 'option-looking -rf',
    input: '-rf:1.0',
    expect: /^image: repository .*invalid path component "-rf"/,
  },
  { name: 'semicolon command', input: 'myservice:1.0;reboot', expect: /^image: tag .*not a valid tag/ },
  { name: 'semicolon command with a path', input: 'myservice:1.0;rm -rf /', expect: /^image: repository /s },
  { name: '$(…) substitution', input: 'myservice:$(id)', expect: /^image: tag .*not a valid tag/ },
  { name: 'backticks', input: 'my`id`service:1', expect: /^image: repository .*invalid path component/ },
  { name: 'pipe', input: 'myservice|cat:1', expect: /^image: repository .*invalid path component/ },
  { name: 'ampersand', input: 'myservice:1&&reboot', expect: /^image: tag .*not a valid tag/ },
  { name: 'redirect', input: 'myservice:1>/etc/passwd', expect: /^image: (tag|repository) / },
  { name: 'newline injection', input: 'myservice:1\nrm', expect: /^image: tag .*not a valid tag/s },
  { name: 'NUL byte', input: 'myservice:1\u0000x', expect: /^image: tag .*not a valid tag/s },
  { name: 'parent directory', input: '../etc/passwd:1', expect: /^image: repository "\.\.\/etc\/passwd" /s },
  {
    name: 'parent directory inside',
    input: 'team/../admin:1',
    expect: /^image: repository .*invalid path component "\.\."/,
  },
  { name: 'absolute path', input: '/etc/passwd:1', expect: /^image: repository .*invalid path component ""/ },
  {
    name: 'tag over 128 characters',
    input: `myservice:${long(129)}`,
    expect: /^image: tag .*129 characters long; Harbor tags have at most 128/,
  },
  {
    name: 'repository over 255 characters',
    input: `${long(256)}:1`,
    expect: /^image: repository is 256 characters long/,
  },
  {
    name: 'tag starting with a dot',
    input: 'myservice:.hidden',
    expect: /^image: tag .*starts with a letter, digit or "_"/,
  },
  { name: 'tag starting with a dash', input: 'myservice:-v1', expect: /^image: tag .*not a valid tag/ },
  { name: 'empty tag', input: 'myservice:', expect: /^image: tag .*not a valid tag/ },
  {
    name: 'neither tag nor digest',
    input: 'myservice',
    expect: /^image: .*neither a tag nor a digest.*never default to "latest"/,
  },
  {
    name: 'digest too short',
    input: 'myservice@sha256:abc123',
    expect: /^image: digest .*not a sha256 digest/,
  },
  {
    name: 'digest with upper case hex',
    input: `myservice@sha256:${long(64, 'A')}`,
    expect: /^image: digest .*64 lower case hex/,
  },
  {
    name: 'digest with non-hex',
    input: `myservice@sha256:${long(64, 'g')}`,
    expect: /^image: digest .*not a sha256 digest/,
  },
  {
    name: 'sha512 digest',
    input: `myservice@sha512:${long(128, 'a')}`,
    expect: /^image: digest .*expected "sha256:"/,
  },
  {
    name: 'digest without algorithm',
    input: `myservice@${long(64, 'a')}`,
    expect: /^image: digest .*not a sha256 digest/,
  },
  {
    name: 'two @',
    input: `myservice@sha256:${long(64)}@sha256:${long(64)}`,
    expect: /^image: .*more than one "@"/,
  },
  {
    name: 'full address with host',
    input: 'harbor.example.com/platform-dev/myservice:1',
    expect: /^image: repository .*looks like a full image address/,
  },
  {
    name: 'localhost host',
    input: 'localhost/myservice:1',
    expect: /^image: repository .*looks like a full image address/,
  },
  { name: 'unicode homoglyph', input: 'myservіce:1', expect: /^image: repository .*invalid path component/ },
  { name: 'spaces inside', input: 'my service:1', expect: /^image: repository .*invalid path component/ },
];

/** A valid pipeline for the stack's projects; rows below change one thing each. */
export const GOOD_PIPELINE = `apiVersion: harbor-promote/v1
name: myservice
registry: harbor.example.com
environments:
  - name: dev
    project: platform-dev
    scan: { timeout: 5m, pollInterval: 1s }
  - name: staging
    project: platform-staging
    severityThreshold: high
    approval:
      approvers: [alice, bob]
      required: 1
      expiry: 1h
    overlay:
      path: applications/overlays/k8s-staging/services/myservice/kustomization.yaml
  - name: production
    project: platform-production
    severityThreshold: high
`;

export interface YamlRow {
  name: string;
  yaml: string;
  /** Every listed pattern must match one problem line (path first, then the fix). */
  expect: RegExp[];
}

/**
 * A value that is present but of the wrong type: the message names the path and must not claim the field
 * is missing ("is required" would send the user looking for a key that is right there).
 */
const PRESENT = (path: string, also?: RegExp) =>
  new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: (?!is required)${also ? `.*${also.source}` : ''}`);

const sub = (from: string | RegExp, to: string) => GOOD_PIPELINE.replace(from, to);

export const PIPELINE_ROWS: YamlRow[] = [
  { name: 'empty file', yaml: '', expect: [/\(top level\): expected a mapping/] },
  { name: 'a list at the top', yaml: '- dev\n- staging\n', expect: [/\(top level\): expected a mapping/] },
  { name: 'a scalar at the top', yaml: 'hello\n', expect: [/\(top level\): expected a mapping/] },
  {
    name: 'YAML syntax error',
    yaml: 'apiVersion: [harbor-promote/v1\n',
    expect: [/line \d+, column \d+: .*fix the YAML syntax/],
  },
  {
    name: 'duplicate YAML key',
    yaml: sub('name: myservice', 'name: myservice\nname: other'),
    expect: [/line \d+, column \d+: .*fix the YAML syntax/],
  },
  {
    name: 'wrong apiVersion',
    yaml: sub('harbor-promote/v1', 'harbor-promote/v2'),
    expect: [/^apiVersion: must be "harbor-promote\/v1"/],
  },
  {
    name: 'missing apiVersion',
    yaml: sub('apiVersion: harbor-promote/v1\n', ''),
    expect: [/^apiVersion: (is required|must be "harbor-promote\/v1")/],
  },
  {
    name: 'missing registry',
    yaml: sub('registry: harbor.example.com\n', ''),
    expect: [/^registry: is required/],
  },
  {
    name: 'registry with scheme',
    yaml: sub('registry: harbor.example.com', 'registry: https://harbor.example.com'),
    expect: [/^registry: must be a registry host/],
  },
  {
    name: 'registry with credentials',
    yaml: sub('registry: harbor.example.com', 'registry: admin:pw@harbor.example.com'),
    expect: [/^registry: must be a registry host .*no scheme, path or credentials/],
  },
  {
    name: 'unknown top-level key (typo)',
    yaml: sub('registry:', 'registy: x\nregistry:'),
    expect: [/^registy: unknown key; did you mean "registry"\?/],
  },
  {
    name: 'Harbor URL in the pipeline',
    yaml: sub('registry:', 'harborUrl: http://h\nregistry:'),
    expect: [/^harborUrl: unknown key; the Harbor URL and credentials come from the worker environment/],
  },
  {
    name: 'password in the pipeline',
    yaml: sub('registry:', 'password: hunter2\nregistry:'),
    expect: [/^password: unknown key; .*worker environment/],
  },
  {
    name: 'unknown environment key',
    yaml: sub('    project: platform-staging', '    projet: x\n    project: platform-staging'),
    expect: [/^environments\[1\]\.projet: unknown key; did you mean "project"\?/],
  },
  {
    name: 'environments is a mapping',
    yaml: 'apiVersion: harbor-promote/v1\nregistry: h.example.com\nenvironments:\n  dev: platform-dev\n',
    expect: [/^environments: /],
  },
  {
    name: 'only one environment',
    yaml: 'apiVersion: harbor-promote/v1\nregistry: h.example.com\nenvironments:\n  - name: dev\n    project: platform-dev\n',
    expect: [/^environments: needs at least two environments/],
  },
  {
    name: 'duplicate environment names',
    yaml: sub('- name: production', '- name: staging'),
    expect: [/^environments\[2\]\.name: "staging" is already used by environments\[1\]/],
  },
  {
    name: 'duplicate projects',
    yaml: sub('project: platform-production', 'project: platform-staging'),
    expect: [/^environments\[2\]\.project: "platform-staging" is already used by environments\[1\]/],
  },
  {
    name: 'environment name upper case',
    yaml: sub('- name: production', '- name: Production'),
    expect: [/^environments\[2\]\.name: must be lower case letters/],
  },
  {
    name: 'project name upper case',
    yaml: sub('project: platform-production', 'project: Platform-Production'),
    expect: [/^environments\[2\]\.project: .*not a valid Harbor project name/],
  },
  {
    name: 'project missing',
    yaml: sub('    project: platform-production\n', ''),
    expect: [/^environments\[2\]\.project: is required/],
  },
  {
    name: 'severity threshold unknown',
    yaml: sub('severityThreshold: high\n    approval', 'severityThreshold: severe\n    approval'),
    expect: [/^environments\[1\]\.severityThreshold: must be one of/],
  },
  {
    name: 'severity threshold a number',
    yaml: sub('severityThreshold: high\n    approval', 'severityThreshold: 7\n    approval'),
    expect: [/^environments\[1\]\.severityThreshold: must be one of/],
  },
  {
    name: 'copy strategy unknown',
    yaml: sub(
      '    severityThreshold: high\n    approval',
      '    copyStrategy: rsync\n    severityThreshold: high\n    approval',
    ),
    expect: [/^environments\[1\]\.copyStrategy: must be "harbor" \(server-side copy\) or "skopeo"/],
  },
  {
    name: 'required as a string',
    yaml: sub('required: 1', 'required: "1"'),
    expect: [PRESENT('environments[1].approval.required')],
  },
  {
    name: 'required above approvers',
    yaml: sub('required: 1', 'required: 3'),
    expect: [
      /^environments\[1\]\.approval\.required: 3 exceeds the 2 approvers listed; lower it or add approvers/,
    ],
  },
  {
    name: 'required zero',
    yaml: sub('required: 1', 'required: 0'),
    expect: [/^environments\[1\]\.approval\.required: must be at least 1/],
  },
  {
    name: 'required fractional',
    yaml: sub('required: 1', 'required: 1.5'),
    expect: [/^environments\[1\]\.approval\.required: /],
  },
  {
    name: 'no approvers',
    yaml: sub('approvers: [alice, bob]', 'approvers: []'),
    expect: [/^environments\[1\]\.approval\.approvers: lists nobody/],
  },
  {
    name: 'approvers as a string',
    yaml: sub('approvers: [alice, bob]', 'approvers: alice'),
    expect: [PRESENT('environments[1].approval.approvers')],
  },
  {
    name: 'approver listed twice',
    yaml: sub('approvers: [alice, bob]', 'approvers: [alice, alice]'),
    expect: [/^environments\[1\]\.approval\.approvers\[1\]: "alice" is listed twice/],
  },
  {
    name: 'approver with a space',
    yaml: sub('approvers: [alice, bob]', 'approvers: ["alice smith", bob]'),
    expect: [/^environments\[1\]\.approval\.approvers\[0\]: must be a user name/],
  },
  {
    name: 'approval on the source',
    yaml: sub(
      '    scan: { timeout: 5m, pollInterval: 1s }',
      '    scan: { timeout: 5m, pollInterval: 1s }\n    approval: { approvers: [alice] }',
    ),
    expect: [/^environments\[0\]\.approval: the first environment is the source/],
  },
  {
    name: 'expiry not a duration',
    yaml: sub('expiry: 1h', 'expiry: soon'),
    expect: [/^environments\[1\]\.approval\.expiry: is not a duration/],
  },
  {
    name: 'expiry a number',
    yaml: sub('expiry: 1h', 'expiry: 3600'),
    expect: [PRESENT('environments[1].approval.expiry', /must be a duration string/)],
  },
  {
    name: 'scan poll interval garbage',
    yaml: sub('pollInterval: 1s', 'pollInterval: fast'),
    expect: [/^environments\[0\]\.scan\.pollInterval: is not a duration/],
  },
  {
    name: 'overlay path with ..',
    yaml: sub(
      'path: applications/overlays/k8s-staging/services/myservice/kustomization.yaml',
      'path: ../../etc/kustomization.yaml',
    ),
    expect: [/^environments\[1\]\.overlay\.path: must be a relative path .*no leading "\/" or "\.\."/],
  },
  {
    name: 'overlay path absolute',
    yaml: sub(
      'path: applications/overlays/k8s-staging/services/myservice/kustomization.yaml',
      'path: /etc/kustomization.yaml',
    ),
    expect: [/^environments\[1\]\.overlay\.path: must be a relative path/],
  },
  {
    name: 'overlay path not a kustomization',
    yaml: sub(
      'path: applications/overlays/k8s-staging/services/myservice/kustomization.yaml',
      'path: deploy.yaml',
    ),
    expect: [/^environments\[1\]\.overlay\.path: must be a relative path to a kustomization\.yaml/],
  },
  {
    name: 'verification with nothing to run',
    yaml: sub('  - name: production', '    verification: { timeout: 5m }\n  - name: production'),
    expect: [/^environments\[1\]\.verification: says nothing to run/],
  },
  {
    name: 'verification with two kinds',
    yaml: sub(
      '  - name: production',
      '    verification: { external: true, webhook: "https://ci.example.com/x" }\n  - name: production',
    ),
    expect: [/^environments\[1\]\.verification: gives webhook and external; give exactly one/],
  },
  {
    name: 'webhook with credentials',
    yaml: sub(
      '  - name: production',
      '    verification: { webhook: "https://user:pw@ci.example.com/x" }\n  - name: production',
    ),
    expect: [/^environments\[1\]\.verification\.webhook: contains credentials/],
  },
  {
    name: 'webhook not http',
    yaml: sub(
      '  - name: production',
      '    verification: { webhook: "file:///etc/passwd" }\n  - name: production',
    ),
    expect: [/^environments\[1\]\.verification\.webhook: must be an http\(s\) URL/],
  },
  {
    name: 'command as a shell string',
    yaml: sub('  - name: production', '    verification: { command: "make test" }\n  - name: production'),
    expect: [/^environments\[1\]\.verification\.command: /],
  },
  {
    name: 'external: false',
    yaml: sub('  - name: production', '    verification: { external: false }\n  - name: production'),
    expect: [/^environments\[1\]\.verification\.external: must be `true` when present/],
  },
];

/** Workflow inputs (what the CLI or a script passes to `start`), checked again by the workflow. */
export interface InputRow {
  name: string;
  /** Mutates a valid input. */
  change: (input: Record<string, unknown>) => void;
  expect: RegExp;
}

export const PROMOTION_INPUT_ROWS: InputRow[] = [
  { name: 'missing repository', change: (i) => delete i.repository, expect: /^repository: is required/ },
  {
    name: 'repository upper case',
    change: (i) => (i.repository = 'MyService'),
    expect: /^repository: .*upper case/,
  },
  {
    name: 'repository with a host',
    change: (i) => (i.repository = 'harbor.example.com/x'),
    expect: /^repository: .*full image address/,
  },
  {
    name: 'reference shell metacharacters',
    change: (i) => (i.reference = '1.0;reboot'),
    expect: /^reference: .*not a valid tag/,
  },
  {
    name: 'reference malformed digest',
    change: (i) => (i.reference = 'sha256:xyz'),
    expect: /^reference: .*not a sha256 digest/,
  },
  {
    name: 'unknown key with a secret',
    change: (i) => (i.harborPassword = 'hunter2'),
    expect: /^harborPassword: unknown key/,
  },
  {
    name: 'target is the source',
    change: (i) => (i.targetEnvironment = 'dev'),
    expect: /^targetEnvironment: "dev" is not a destination of this pipeline; use one of staging, production/,
  },
  {
    name: 'target unknown',
    change: (i) => (i.targetEnvironment = 'qa'),
    expect: /^targetEnvironment: "qa" is not a destination/,
  },
  {
    name: 'requestedBy too long',
    change: (i) => (i.requestedBy = 'x'.repeat(500)),
    expect: /^requestedBy: /,
  },
  { name: 'pipeline missing', change: (i) => delete i.pipeline, expect: /^pipeline: is required/ },
  {
    name: 'pipeline environments wrong type',
    change: (i) => ((i.pipeline as Record<string, unknown>).environments = 'dev,staging'),
    expect: /^pipeline\.environments: /,
  },
];

/** Approve/reject messages with the wrong shape or from the wrong person; the gate is open for staging. */
export interface MessageRow {
  name: string;
  kind: 'approve' | 'reject';
  args: unknown;
  expect: RegExp;
}

export const MESSAGE_ROWS: MessageRow[] = [
  { name: 'no arguments', kind: 'approve', args: undefined, expect: /environment and approver are required/ },
  { name: 'empty object', kind: 'approve', args: {}, expect: /environment and approver are required/ },
  {
    name: 'approver a number',
    kind: 'approve',
    args: { environment: 'staging', approver: 42 },
    expect: /environment and approver are required/,
  },
  {
    name: 'environment an array',
    kind: 'approve',
    args: { environment: ['staging'], approver: 'alice' },
    expect: /environment and approver are required/,
  },
  { name: 'a plain string', kind: 'approve', args: 'alice', expect: /environment and approver are required/ },
  {
    name: 'approver not on the list',
    kind: 'approve',
    args: { environment: 'staging', approver: 'mallory' },
    expect: /"mallory" is not an approver for staging; approvers: alice, bob/,
  },
  {
    name: 'approver differs only in case',
    kind: 'approve',
    args: { environment: 'staging', approver: 'Alice' },
    expect: /"Alice" is not an approver for staging/,
  },
  {
    name: 'environment without a gate',
    kind: 'approve',
    args: { environment: 'dev', approver: 'alice' },
    expect: /environment "dev" has no approval gate in this promotion/,
  },
  {
    name: 'environment not waiting yet',
    kind: 'approve',
    args: { environment: 'production', approver: 'carol' },
    expect: /not waiting for approval into production; the promotion waits for approval into staging/,
  },
  {
    name: 'reject without a reason',
    kind: 'reject',
    args: { environment: 'staging', approver: 'alice' },
    expect: /a rejection needs a reason/,
  },
  {
    name: 'reject by a stranger',
    kind: 'reject',
    args: { environment: 'staging', approver: 'mallory', reason: 'no' },
    expect: /"mallory" is not an approver for staging/,
  },
];

/** Worker environment mistakes (src/worker/config.ts): each is refused at start, naming the variable. */
export interface WorkerEnvRow {
  name: string;
  /** Variables to set (undefined = unset) over a valid environment. */
  env: Record<string, string | undefined>;
  expect: RegExp;
}

/** A password value that must never be echoed back in a configuration error. */
export const WORKER_TEST_SECRET = 'wrk-Secret-7f3a9c1e5b';

export const WORKER_ENV_ROWS: WorkerEnvRow[] = [
  { name: 'HARBOR_URL missing', env: { HARBOR_URL: undefined }, expect: /HARBOR_URL/ },
  {
    name: 'HARBOR_URL without scheme',
    env: { HARBOR_URL: 'harbor.example.com' },
    expect: /HARBOR_URL must be the http\(s\) base URL of Harbor/,
  },
  {
    name: 'HARBOR_URL ftp',
    env: { HARBOR_URL: 'ftp://harbor.example.com' },
    expect: /HARBOR_URL must be the http\(s\) base URL/,
  },
  {
    name: 'HARBOR_USERNAME missing',
    env: { HARBOR_USERNAME: undefined },
    expect: /HARBOR_USERNAME is required/,
  },
  { name: 'HARBOR_USERNAME blank', env: { HARBOR_USERNAME: '   ' }, expect: /HARBOR_USERNAME is required/ },
  {
    name: 'password and password file both',
    env: { HARBOR_PASSWORD: WORKER_TEST_SECRET },
    expect: /HARBOR_PASSWORD and HARBOR_PASSWORD_FILE are both set; keep one/,
  },
  {
    name: 'no Harbor password at all',
    env: { HARBOR_PASSWORD_FILE: undefined },
    expect: /HARBOR_PASSWORD or HARBOR_PASSWORD_FILE is required/,
  },
  {
    name: 'password file missing',
    env: { HARBOR_PASSWORD_FILE: '/nonexistent/promoter-secret' },
    expect: /HARBOR_PASSWORD_FILE=\/nonexistent\/promoter-secret cannot be read \(ENOENT\)/,
  },
  {
    name: 'cosign key inline and file',
    // Only a PEM header, split so no scanner mistakes this file for a committed key.
    env: { COSIGN_KEY: `-----BEGIN ENCRYPTED SIGSTORE ${'PRIVATE'} KEY-----` },
    expect: /COSIGN_KEY_FILE and COSIGN_KEY are both set/,
  },
  {
    name: 'no cosign key',
    env: { COSIGN_KEY_FILE: undefined },
    expect: /COSIGN_KEY_FILE or COSIGN_KEY is required/,
  },
  {
    name: 'no cosign public key',
    env: { COSIGN_PUBLIC_KEY_FILE: undefined },
    expect: /COSIGN_PUBLIC_KEY_FILE or COSIGN_PUBLIC_KEY is required/,
  },
  {
    name: 'no cosign password',
    env: { COSIGN_PASSWORD_FILE: undefined },
    expect: /COSIGN_PASSWORD or COSIGN_PASSWORD_FILE is required/,
  },
  {
    name: 'cosign key file unreadable',
    env: { COSIGN_KEY_FILE: '/nonexistent/cosign.key' },
    expect: /COSIGN_KEY_FILE=\/nonexistent\/cosign\.key cannot be read/,
  },
  {
    name: 'GITOPS_REPO_URL missing',
    env: { GITOPS_REPO_URL: undefined },
    expect: /GITOPS_REPO_URL is required/,
  },
  {
    name: 'TEMPORAL_ADDRESS with a scheme',
    env: { TEMPORAL_ADDRESS: 'http://127.0.0.1:7233' },
    expect: /TEMPORAL_ADDRESS must be host:port/,
  },
  {
    name: 'TEMPORAL_ADDRESS without a port',
    env: { TEMPORAL_ADDRESS: 'temporal' },
    expect: /TEMPORAL_ADDRESS must be host:port/,
  },
  { name: 'TEMPORAL_TLS yes', env: { TEMPORAL_TLS: 'yes' }, expect: /TEMPORAL_TLS must be 1 or 0/ },
  {
    name: 'TLS cert without key',
    env: { TEMPORAL_TLS_CERT: '/tmp/cert.pem' },
    expect: /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/,
  },
  {
    name: 'HARBOR_TIMEOUT not a duration',
    env: { HARBOR_TIMEOUT: 'soon' },
    expect: /HARBOR_TIMEOUT is not a duration/,
  },
  {
    name: 'TOOL_TIMEOUT a bare number',
    env: { TOOL_TIMEOUT: '600' },
    expect: /TOOL_TIMEOUT is not a duration/,
  },
  {
    name: 'WORKER_LOG_LEVEL unknown',
    env: { WORKER_LOG_LEVEL: 'LOUD' },
    expect: /WORKER_LOG_LEVEL must be TRACE, DEBUG, INFO, WARN or ERROR/,
  },
  {
    name: 'WORKER_LOG_FORMAT unknown',
    env: { WORKER_LOG_FORMAT: 'xml' },
    expect: /WORKER_LOG_FORMAT must be json or text/,
  },
  {
    name: 'max concurrent activities 0',
    env: { WORKER_MAX_CONCURRENT_ACTIVITIES: '0' },
    expect: /WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number from 1 to 9999/,
  },
  {
    name: 'max concurrent activities words',
    env: { WORKER_MAX_CONCURRENT_ACTIVITIES: 'many' },
    expect: /WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number/,
  },
  {
    name: 'metrics address without port',
    env: { WORKER_METRICS_ADDRESS: 'localhost' },
    expect: /WORKER_METRICS_ADDRESS must be host:port/,
  },
  {
    name: 'cosign binary missing',
    env: { COSIGN_BIN: '/nonexistent/cosign' },
    expect: /COSIGN_BIN=\/nonexistent\/cosign is not an executable file; install it or set COSIGN_BIN/,
  },
  {
    name: 'skopeo not on PATH',
    env: { SKOPEO_BIN: 'skopeo-that-does-not-exist' },
    expect: /SKOPEO_BIN=skopeo-that-does-not-exist is not an executable file on PATH/,
  },
];
