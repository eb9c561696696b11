/**
 * The ONE table that reads meaning into what the outside tools print (cosign, skopeo, git), into Harbor's
 * error messages where the status alone is not enough, and into the Temporal SDK's start-up errors. Each pattern matches a phrase the tool really prints for that case
 * (recorded in test/unit/activities/fixtures/tool-output.json by test/support/record-tool-output.ts),
 * never a bare status number: digests, sizes and request ids contain "401", "403" and "412" in about one
 * run in twenty, and reading those as statuses turned transient 5xx answers into permanent failures with
 * a false diagnosis (issue 15). Whatever matches no pattern is left to the caller, which retries it.
 *
 * Where the phrases come from (toolchain.md §A4/§B7, harbor-api.md §1/§6):
 * - cosign uses go-containerregistry: an error envelope prints as `CODE: message` (Harbor's codes:
 *   `UNAUTHORIZED`, `DENIED`, `FORBIDDEN`, `PROJECTPOLICYVIOLATION`), a body-less answer as
 *   `unexpected status code 401 Unauthorized`.
 * - skopeo uses containers/image: `unauthorized: …`, `denied: …`, `requested access to the resource is
 *   denied`, `authentication required`, `manifest unknown`, and for other statuses
 *   `received unexpected HTTP status: 412 Precondition Failed` or `StatusCode: 412, "…"`.
 * - git push: `! [rejected] … (fetch first)` / `(non-fast-forward)`, `failed to update ref`.
 */

/** `harbor` is the message of Harbor's REST error envelope (HarborHttpError.harborMessage). */
export type Tool = 'cosign' | 'skopeo' | 'git' | 'temporal' | 'harbor';

/**
 * - `denied`: the account lacks a permission or its credentials are refused (needs a person).
 * - `policy-violation`: the project's pull policy blocks the image (quarantine; needs a person).
 * - `scan-pending`: blocked by the pull policy only until a running scan ends (worth waiting for).
 * - `not-found`: the image or manifest does not exist.
 * - `push-race`: someone else pushed first; redo the change on their head.
 * - `namespace-missing`: the Temporal namespace does not exist.
 */
export type OutputKind =
  'denied' | 'policy-violation' | 'scan-pending' | 'not-found' | 'push-race' | 'namespace-missing';

export interface OutputPattern {
  /** Stable name, used by the unit tests (one test per pattern). */
  name: string;
  tools: readonly Tool[];
  kind: OutputKind;
  pattern: RegExp;
  /** Where the phrase comes from, and why it cannot be a digest or a size. */
  why: string;
}

/** Harbor's "scan still running" block (prevent_vul): the message quotes the status (skopeo's logrus escapes the quotes). */
const SCAN_RUNNING = /\\?"(?:Pending|Scheduled|Running)\\?" status of vulnerability scanning/;

/** Harbor's 412 says the pull is blocked only until a scan that is still running ends (prevent_vul). */
export const scanStillRunning = (harborMessage: string) => SCAN_RUNNING.test(harborMessage);

/**
 * Order matters: the first match wins, so the more specific kinds come first (a pending scan is also a
 * policy violation; a policy violation's message may mention denial).
 */
export const TOOL_OUTPUT_PATTERNS: readonly OutputPattern[] = [
  {
    name: 'scan-running-block',
    tools: ['cosign', 'skopeo'],
    kind: 'scan-pending',
    pattern: SCAN_RUNNING,
    why: 'Harbor prevent_vul on an artifact whose scan is not finished: `current image with "Pending" status of vulnerability scanning cannot be pulled …`',
  },
  {
    name: 'harbor-policy-code',
    tools: ['cosign', 'skopeo'],
    kind: 'policy-violation',
    pattern: /\bPROJECTPOLICYVIOLATION\b/,
    why: "Harbor's error code for a pull blocked by the project's policy, printed by ggcr as `PROJECTPOLICYVIOLATION: <message>`",
  },
  {
    name: 'harbor-policy-message',
    tools: ['cosign', 'skopeo'],
    kind: 'policy-violation',
    pattern:
      /cannot be pulled due to configured policy|The image is not signed in Cosign|The image is not signed by/,
    why: "Harbor's policy messages, which containers/image prints without the code (`unknown: <message>`)",
  },
  {
    name: 'status-412-phrase',
    tools: ['cosign', 'skopeo'],
    kind: 'policy-violation',
    pattern:
      /unexpected status code 412\b|unexpected HTTP status: 412\b|StatusCode: 412\b|\b412 Precondition Failed\b/,
    why: 'a body-less 412 (manifest HEAD) as ggcr (`unexpected status code 412 Precondition Failed`) and containers/image (`StatusCode: 412`) print it',
  },
  {
    name: 'registry-unauthorized-code',
    tools: ['cosign', 'skopeo'],
    kind: 'denied',
    pattern: /\bUNAUTHORIZED: |\bunauthorized: /,
    why: 'the registry error code UNAUTHORIZED as ggcr (`UNAUTHORIZED: …`) and containers/image (`unauthorized: …`) print it',
  },
  {
    name: 'registry-denied-code',
    tools: ['cosign', 'skopeo'],
    kind: 'denied',
    pattern: /\bDENIED: |\bdenied: |\bFORBIDDEN: /,
    why: "the registry error codes DENIED/FORBIDDEN (Harbor's 403) as `DENIED: …` or `denied: …`",
  },
  {
    name: 'status-401-403-phrase',
    tools: ['cosign', 'skopeo'],
    kind: 'denied',
    pattern:
      /unexpected status code 40[13]\b|unexpected HTTP status: 40[13]\b|StatusCode: 40[13]\b|\b401 Unauthorized\b|\b403 Forbidden\b/,
    why: 'a body-less 401/403 with its reason phrase, as ggcr and containers/image print it',
  },
  {
    name: 'authentication-required',
    tools: ['cosign', 'skopeo'],
    kind: 'denied',
    pattern: /authentication required|requested access to the resource is denied|invalid username\/password/,
    why: "the distribution spec's default messages for UNAUTHORIZED/DENIED and containers/image's wording for rejected credentials",
  },
  {
    name: 'manifest-unknown',
    tools: ['cosign', 'skopeo'],
    kind: 'not-found',
    pattern:
      /\bMANIFEST_UNKNOWN\b|manifest unknown|\bNAME_UNKNOWN\b|repository name not known|\bNOT_FOUND: |\bartifact \S+ not found\b/,
    why: "the registry codes for a missing manifest or repository (`MANIFEST_UNKNOWN: …`, `manifest unknown`), and Harbor's `NOT_FOUND` for a digest it does not hold, which containers/image prints as `unknown: artifact <project>/<repo>@<digest> not found`",
  },
  {
    name: 'harbor-artifact-not-found',
    tools: ['harbor'],
    kind: 'not-found',
    pattern: /\b(?:artifact|repository) \S+ not found\b/,
    why: "Harbor's message for a missing artifact or repository (`artifact P/R@sha256:… not found`), which CopyArtifact answers with 400, not 404 (harbor-api.md §4)",
  },
  {
    name: 'git-push-rejected',
    tools: ['git'],
    kind: 'push-race',
    pattern: /\(non-fast-forward\)|\(fetch first\)|\[rejected\]|failed to update ref|cannot lock ref/,
    why: 'git push when the remote branch moved: `! [rejected] HEAD -> main (fetch first)` / `(non-fast-forward)`, or a concurrent ref update',
  },
  {
    name: 'temporal-namespace-not-found',
    tools: ['temporal'],
    kind: 'namespace-missing',
    pattern: /namespace\b.*\bnot found|namespace\b.*\bdoes not exist/i,
    why: "Temporal's NotFound for an unknown namespace (`Namespace foo is not found.`)",
  },
];

/** The first pattern of `tool` that matches `text`, or undefined (the caller treats that as transient). */
export function classifyToolOutput(tool: Tool, text: string): OutputPattern | undefined {
  return TOOL_OUTPUT_PATTERNS.find((p) => p.tools.includes(tool) && p.pattern.test(text));
}

/** Does `text` (a tool's stderr) say `kind`, by the first matching pattern? */
export function toolOutputSays(tool: Tool, kind: OutputKind, text: string): boolean {
  return classifyToolOutput(tool, text)?.kind === kind;
}

/** Harbor's policy message after `PROJECTPOLICYVIOLATION: ` (ggcr), or the line that carries it. */
export function policyMessage(text: string): string {
  const coded = /PROJECTPOLICYVIOLATION: (.*)/.exec(text);
  if (coded) return coded[1]!.trim();
  const line = text.split('\n').find((l) => classifyToolOutput('skopeo', l)?.kind === 'policy-violation');
  return (line ?? text).trim();
}
