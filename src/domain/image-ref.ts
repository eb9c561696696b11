/**
 * Image references as users type them: `myservice:1.4.2-a1b2c3d`, `myservice@sha256:<hex>`, `team/app:tag`.
 * Pure; shared by the CLI, the pipeline schema and the workflow. Errors name the field and the fix.
 */

/** Harbor's tag rule (src/pkg/tag/model): first char word-ish, then up to 127 of `[a-zA-Z0-9._-]`. */
/** Quotes what the user typed, escaping control characters so an error stays one line. */
const q = (s: string): string => JSON.stringify(s);

export const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** OCI distribution repository path components: lower case, separators `.`, `_`, `__`, `-`. */
const REPO_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** Only sha256 is accepted: it is what Harbor and cosign produce, and a typo should fail early. */
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
/** Harbor project names: lower case, 1–255 chars, start with a letter or digit. */
const PROJECT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,254}$/;

export class ImageReferenceError extends Error {
  override readonly name = 'ImageReferenceError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export interface ImageReference {
  /** Repository inside a Harbor project, e.g. `myservice` or `team/app` (no project, no host). */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Returns an error message (with the fix) for a repository name, or undefined when it is valid. */
export function repositoryProblem(repo: string): string | undefined {
  if (repo.length === 0) return 'is empty; give the repository name inside the project, e.g. `myservice`';
  if (repo.length > 255) return `is ${repo.length} characters long; Harbor allows at most 255`;
  if (repo !== repo.toLowerCase())
    return `${q(repo)} has upper case letters; use ${q(repo.toLowerCase())} (Harbor repository names are lower case)`;
  // Docker's rule: a first component with "." or ":" (or "localhost") before a "/" is a registry host.
  const first = repo.split('/')[0]!;
  if (repo.includes('/') && (/[.:]/.test(first) || first === 'localhost'))
    return `${q(repo)} looks like a full image address; give only the repository inside the project, e.g. \`myservice\``;
  const bad = repo.split('/').find((c) => !REPO_COMPONENT.test(c));
  if (bad !== undefined)
    return `${q(repo)} has an invalid path component ${q(bad)}; use lower case letters and digits separated by ".", "_", "__" or "-"`;
  return undefined;
}

export function tagProblem(tag: string): string | undefined {
  if (TAG_PATTERN.test(tag)) return undefined;
  if (tag.length > 128)
    return `${q(`${tag.slice(0, 20)}…`)} is ${tag.length} characters long; Harbor tags have at most 128`;
  return `${q(tag)} is not a valid tag; a tag starts with a letter, digit or "_" and continues with letters, digits, ".", "_" or "-" (Harbor's ^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$)`;
}

export function digestProblem(digest: string): string | undefined {
  if (DIGEST_PATTERN.test(digest)) return undefined;
  return `${q(digest)} is not a sha256 digest; expected "sha256:" followed by 64 lower case hex characters`;
}

export function projectProblem(project: string): string | undefined {
  if (PROJECT_PATTERN.test(project)) return undefined;
  return `${q(project)} is not a valid Harbor project name; use lower case letters, digits, ".", "_" or "-" (e.g. "platform-dev")`;
}

/** A reference alone (what follows `:` or `@`): a tag or a digest. */
export function referenceProblem(reference: string): string | undefined {
  if (reference.startsWith('sha256:') || reference.includes(':')) return digestProblem(reference);
  return tagProblem(reference);
}

export function isDigest(reference: string): boolean {
  return DIGEST_PATTERN.test(reference);
}

/**
 * Parses `repo:tag`, `repo@sha256:…` or `repo:tag@sha256:…`. A registry host or project prefix is refused:
 * the pipeline decides the project, so `platform-dev/myservice` would be read as repository `platform-dev/myservice`.
 */
export function parseImageReference(text: string, field = 'image'): ImageReference {
  const trimmed = text.trim();
  if (trimmed.length === 0)
    throw new ImageReferenceError(
      field,
      'is empty; expected e.g. `myservice:1.4.2` or `myservice@sha256:<hex>`',
    );
  const [namePart, digest, ...extra] = trimmed.split('@');
  if (extra.length > 0) throw new ImageReferenceError(field, `${q(trimmed)} has more than one "@"`);
  // The tag is after the last ':' that follows the last '/', so a host port is not mistaken for a tag.
  const lastSlash = namePart!.lastIndexOf('/');
  const colon = namePart!.indexOf(':', lastSlash + 1);
  const repository = colon === -1 ? namePart! : namePart!.slice(0, colon);
  const tag = colon === -1 ? undefined : namePart!.slice(colon + 1);
  const repoErr = repositoryProblem(repository);
  if (repoErr) throw new ImageReferenceError(field, `repository ${repoErr}`);
  if (tag !== undefined) {
    const err = tagProblem(tag);
    if (err) throw new ImageReferenceError(field, `tag ${err}`);
  }
  if (digest !== undefined) {
    const err = digestProblem(digest);
    if (err) throw new ImageReferenceError(field, `digest ${err}`);
  }
  if (tag === undefined && digest === undefined)
    throw new ImageReferenceError(
      field,
      `${q(trimmed)} has neither a tag nor a digest; add one, e.g. \`${repository}:1.4.2\` (promotions never default to "latest")`,
    );
  return { repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** The reference a promotion resolves: the digest when given (it wins over the tag), else the tag. */
export function referenceOf(ref: ImageReference): string {
  return ref.digest ?? ref.tag!;
}

export function formatImageReference(ref: ImageReference): string {
  return `${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** `sha256:0123456789ab…` → `sha256:0123456789ab`: for summaries, never for identity. */
export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice(0, 19) : digest;
}

/** One artifact in one Harbor project, always pinned by digest. `repository` excludes the project. */
export interface ArtifactRef {
  project: string;
  repository: string;
  digest: string;
}
