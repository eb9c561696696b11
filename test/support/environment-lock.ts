/**
 * For the environment-lock suites on the local stack: builds of one service pushed in version order (so
 * their push times order them), overlays seeded for it, what each overlay pins now and every digest it
 * was ever moved to (from the GitOps history), and how a promotion ended.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { commitsTouching, fileAtHead, seedFiles } from './gitops';
import type { ImagePusher, PushedImage } from './images';
import { kustomization, PRODUCTION_OVERLAY, STAGING_OVERLAY } from './promotions';
import { sleep } from './temporal';

/** Pushes the tags one after another, a second apart: Harbor's push_time then orders them. */
export async function pushInOrder(
  pusher: ImagePusher,
  service: string,
  tags: string[],
): Promise<PushedImage[]> {
  const out: PushedImage[] = [];
  for (const [i, tag] of tags.entries()) {
    if (i > 0) await sleep(1_100);
    out.push(await pusher.push('platform-dev', service, tag));
  }
  return out;
}

export const overlayPaths = (service: string) => ({
  staging: STAGING_OVERLAY(service),
  production: PRODUCTION_OVERLAY(service),
});

export function seedOverlays(
  gitops: string,
  services: string[],
  host: string,
  note: string,
): Promise<boolean> {
  const files: Record<string, string> = {};
  for (const s of services) {
    files[STAGING_OVERLAY(s)] = kustomization('staging', s, host);
    files[PRODUCTION_OVERLAY(s)] = kustomization('production', s, host);
  }
  return seedFiles(gitops, files, `${note}: overlays for ${services.join(', ')}`);
}

/** The digest the overlay pins at HEAD. */
export async function pinnedDigest(gitops: string, path: string): Promise<string | undefined> {
  return /digest: (sha256:[0-9a-f]{64})/.exec(await fileAtHead(gitops, path))?.[1];
}

/** Every digest the overlay was moved to, oldest first (from the promoter's commit messages). */
export async function overlayMoves(gitops: string, path: string): Promise<string[]> {
  return (await commitsTouching(gitops, path))
    .map((c) => /^promote \S+ to (sha256:[0-9a-f]{64})/.exec(c.message)?.[1])
    .filter((d): d is string => d !== undefined)
    .reverse();
}

/** `completed`, or the failure type the promotion ended with. */
export async function outcome(h: WorkflowHandle): Promise<{ type: string; message: string }> {
  try {
    await h.result();
    return { type: 'completed', message: '' };
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure)
      return { type: err.cause.type ?? 'Error', message: err.cause.message };
    throw err;
  }
}
