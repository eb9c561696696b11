/** Input checks shared by the activities: a bad name fails at once as InvalidInput instead of as a 4xx. */
import { FailureType } from '../domain/failures.js';
import { nonRetryable } from './failures.js';

const PROJECT = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function checkProject(project: string): void {
  if (!PROJECT.test(project) || project.length > 255)
    throw nonRetryable(FailureType.InvalidInput, `invalid Harbor project name '${project}'`);
}

export function checkRepository(repository: string): void {
  if (!REPOSITORY.test(repository)) {
    throw nonRetryable(
      FailureType.InvalidInput,
      `invalid repository name '${repository}' (lower case path, without the project)`,
    );
  }
}

export function checkDigest(digest: string): void {
  if (!DIGEST.test(digest))
    throw nonRetryable(FailureType.InvalidInput, `invalid digest '${digest}' (expected sha256:<64 hex>)`);
}

export function checkTag(tag: string): void {
  if (!TAG.test(tag)) throw nonRetryable(FailureType.InvalidInput, `invalid tag '${tag}'`);
}

export function checkReference(reference: string): void {
  if (reference.startsWith('sha256:')) checkDigest(reference);
  else checkTag(reference);
}

export function checkArtifact(a: { project: string; repository: string; digest: string }): void {
  checkProject(a.project);
  checkRepository(a.repository);
  checkDigest(a.digest);
}
